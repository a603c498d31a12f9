import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { div } from "./div";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { sub } from "./sub";

export const atanhOp = registerBuiltinOp({
  ...unaryOp("atanh", "Math.atanh(a)", (g, { inputs: [x] }) => [div(g, sub(1, mul(x, x)))]),
  onnx: (b, [x]) => b.op("Atanh", [x]),
});

/** torch.atanh: the inverse hyperbolic tangent of each element. */
export function atanh(x: Tensor): Tensor {
  return apply(atanhOp, [x]);
}
