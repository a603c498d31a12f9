import { apply } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { mul } from "./mul";
import { sub } from "./sub";
import { unaryOp } from "./elementwise";
import { registerBuiltinOp } from "./builtinOp";

export const tanhOp = registerBuiltinOp({
  ...unaryOp("tanh", "Math.tanh(a)", (g, { output }) => [mul(g, sub(1, mul(output, output)))]),
  onnx: (b, [x]) => b.op("Tanh", [x]),
});

/** torch.tanh: the hyperbolic tangent of each element. */
export function tanh(x: Tensor): Tensor {
  return apply(tanhOp, [x]);
}
