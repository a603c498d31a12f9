import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { rsqrt } from "./rsqrt";

export const asinhOp = registerBuiltinOp({
  ...unaryOp("asinh", "Math.asinh(a)", (g, { inputs: [x] }) => [mul(g, rsqrt(add(mul(x, x), 1)))]),
  onnx: (b, [x]) => b.op("Asinh", [x]),
});

/** torch.asinh: the inverse hyperbolic sine of each element. */
export function asinh(x: Tensor): Tensor {
  return apply(asinhOp, [x]);
}
