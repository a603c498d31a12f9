import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

export const squareOp = registerBuiltinOp({
  ...unaryOp("square", "a * a", (g, { inputs: [x] }) => [mul(g, mul(x, 2))]),
  onnx: (b, [x]) => b.op("Mul", [x, x]),
});

/** torch.square: `x * x`. */
export function square(x: Tensor): Tensor {
  return apply(squareOp, [x]);
}
