import { unbroadcast } from "./unbroadcast";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp } from "./elementwise";
import { floorDivide, int32Division } from "./floorDivide";
import { mul } from "./mul";
import { neg } from "./neg";
import { sameDTypeOperands } from "./operands";

/**
 * fmod (JS's %, exact) moved onto the divisor's side, as PyTorch's remainder kernel does; the one
 * addition rounds once when stored, so float32 needs no formula of its own.
 */
function remainderOf(a: number, b: number): number {
  const mod = a % b;
  return mod !== 0 && b < 0 !== mod < 0 ? mod + b : mod;
}

/**
 * The remainder with the sign of the divisor (PyTorch's remainder, Python's %): a - b·floor(a / b),
 * so -7 % 2 is 1 and 7 % -2 is -1. Gradients as in derivatives.yaml: the gradient to a, and
 * -gradient·floorDivide(a, b) to b.
 */
export const remainderOp = registerBuiltinOp({
  ...binaryOp(
    "remainder",
    {
      expr: "remainder(a, b)",
      helpers: { remainder: remainderOf },
      int32: { expr: "remainder(a, b)", helpers: { remainder: int32Division("remainder", remainderOf) } },
    },
    (g, { inputs: [a, b], needs }) => [
      unbroadcast(g, a.shape),
      needs[1] ? unbroadcast(neg(mul(g, floorDivide(a, b))), b.shape) : null,
    ],
  ),
  onnx: (b, [x, y]) => {
    // The truncated remainder, moved by one divisor where it is nonzero and its sign is not the divisor's.
    const mod = b.op("Mod", [x, y], { fmod: 1 });
    const zero = b.scalar(0, x.dtype);
    const moves = b.op("And", [b.op("Not", [b.op("Equal", [mod, zero])]), b.op("Xor", [b.op("Less", [y, zero]), b.op("Less", [mod, zero])])]);
    return b.op("Where", [moves, b.op("Add", [mod, y]), mod]);
  },
});

/** torch.remainder (Python's `%`): the remainder of floor division, with the divisor's sign. */
export function remainder(a: TensorLike, b: TensorLike): Tensor {
  return apply(remainderOp, sameDTypeOperands("remainder", a, b));
}
