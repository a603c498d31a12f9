import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { rsqrt } from "./rsqrt";

export const asinhOp = registerOp({
  ...unaryOp("asinh", "Math.asinh(a)", (g, { inputs: [x] }) => [mul(g, rsqrt(add(mul(x, x), 1)))]),
  onnx: (b, [x]) => b.op("Asinh", [x]),
});

/** torch.asinh: the inverse hyperbolic sine of each element. */
export function asinh(x: Tensor): Tensor {
  return apply(asinhOp, [x]);
}
