import { unbroadcast } from "./unbroadcast";
import { OpError } from "../basics/errors";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp } from "./elementwise";
import { neg } from "./neg";
import { sameDTypeOperands } from "./operands";
import { registerBuiltinOp } from "./builtinOp";

const subtraction = binaryOp("sub", "a - b", (g, { inputs: [a, b], needs }) => [
  unbroadcast(g, a.shape),
  needs[1] ? unbroadcast(neg(g), b.shape) : null,
]);

/** a - b; of two bools it is refused, as PyTorch refuses it (its difference is no bool). */
export const subOp = registerBuiltinOp({
  ...subtraction,
  infer(inputs, attrs) {
    if (inputs[0].dtype === "bool") {
      throw new OpError("sub", "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use logicalNot() instead");
    }
    return subtraction.infer(inputs, attrs);
  },
  onnx: (b, [x, y]) => b.op("Sub", [x, y]),
});

/** torch.sub: `a - b`, broadcast and promoted as in PyTorch. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return apply(subOp, sameDTypeOperands("sub", a, b));
}
