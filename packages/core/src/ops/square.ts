import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

export const squareOp = registerOp({
  ...unaryOp("square", "a * a", (g, { inputs: [x] }) => [mul(g, mul(x, 2))]),
  onnx: (b, [x]) => b.op("Mul", [x, x]),
});

/** torch.square: `x * x`. */
export function square(x: Tensor): Tensor {
  return apply(squareOp, [x]);
}
