import { apply } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { mul } from "./mul";
import { sign } from "./sign";
import { unaryOp } from "./elementwise";
import { registerBuiltinOp } from "./builtinOp";

export const absOp = registerBuiltinOp({
  ...unaryOp("abs", "Math.abs(a)", (g, { inputs: [x] }) => [mul(g, sign(x))]),
  onnx: (b, [x]) => b.op("Abs", [x]),
});

/** torch.abs: the absolute value of each element. */
export function abs(x: Tensor): Tensor {
  return apply(absOp, [x]);
}
