import { apply } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { registerBuiltinOp } from "./builtinOp";

export const negOp = registerBuiltinOp({
  ...unaryOp("neg", "-a", (g) => [neg(g)]),
  onnx: (b, [x]) => b.op("Neg", [x]),
});

/** torch.neg: `-x`. */
export function neg(x: Tensor): Tensor {
  return apply(negOp, [x]);
}
