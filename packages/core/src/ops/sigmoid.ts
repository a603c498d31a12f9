import { apply } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { mul } from "./mul";
import { sub } from "./sub";
import { unaryOp } from "./elementwise";
import { registerBuiltinOp } from "./builtinOp";

export const sigmoidOp = registerBuiltinOp({
  ...unaryOp("sigmoid", "1 / (1 + Math.exp(-a))", (g, { output }) => [mul(g, mul(output, sub(1, output)))]),
  onnx: (b, [x]) => b.op("Sigmoid", [x]),
});

/** torch.sigmoid: `1 / (1 + exp(-x))`. */
export function sigmoid(x: Tensor): Tensor {
  return apply(sigmoidOp, [x]);
}
