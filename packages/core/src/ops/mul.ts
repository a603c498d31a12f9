import { unbroadcast } from "./unbroadcast";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp } from "./elementwise";
import { sameDTypeOperands } from "./operands";
import { registerBuiltinOp } from "./builtinOp";

// An int32 product can need 62 bits, more than a double holds exactly: Math.imul keeps the low 32
// bits, the wrap-around of PyTorch's int32 multiplication.
export const mulOp = registerBuiltinOp({
  ...binaryOp("mul", { expr: "a * b", int32: { expr: "Math.imul(a, b)" } }, (g, { inputs: [a, b], needs }) => [
    needs[0] ? unbroadcast(mul(g, b), a.shape) : null,
    needs[1] ? unbroadcast(mul(g, a), b.shape) : null,
  ]),
  onnx: (b, [x, y], _attrs, out) => b.op(out.dtype === "bool" ? "And" : "Mul", [x, y]),
});

/** torch.mul: `a * b`, broadcast and promoted as in PyTorch. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return apply(mulOp, sameDTypeOperands("mul", a, b));
}
