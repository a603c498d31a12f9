import { unbroadcast } from "./unbroadcast";
import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { eq, ge } from "./compare";
import { binaryOp } from "./elementwise";
import { log } from "./log";
import { mul } from "./mul";
import { sameDTypeOperands } from "./operands";
import { sub } from "./sub";
import { where } from "./where";

import { registerBuiltinOp } from "./builtinOp";

/**
 * PyTorch's integer power (c10's powi): exponentiation by squaring in wrapping int32 products. A
 * negative exponent gives 1 / base^|exponent| truncated toward zero: ±1 for a base of ±1, else 0
 * (a base of 0 included).
 */
function powInt32(base: number, exponent: number): number {
  if (exponent < 0) return base === 1 ? 1 : base === -1 ? (exponent % 2 === 0 ? 1 : -1) : 0;
  let result = 1;
  for (let square = base, rest = exponent; rest !== 0; rest >>>= 1) {
    if (rest & 1) result = Math.imul(result, square);
    square = Math.imul(square, square);
  }
  return result;
}

/**
 * Gradients as derivatives.yaml masks them: the base's is 0 where the exponent is 0 (a^0 is
 * constant, though b·a^(b-1) is 0·∞ at a = 0), the exponent's is 0 where a = 0 and b ≥ 0 (0^b is
 * constant there, though a^b·log a is 0·-∞); for b < 0 it stays ±∞ (∞·-∞), as PyTorch's. The
 * masks and products come in PyTorch's order, so even the signs of zero gradients agree.
 */
export const powOp = registerBuiltinOp({
  ...binaryOp("pow", { expr: "Math.pow(a, b)", int32: { expr: "powInt32(a, b)", helpers: { powInt32 } } }, (g, { inputs: [a, b], output, needs }) => [
    needs[0] ? unbroadcast(where(eq(b, 0), 0, mul(g, mul(b, pow(a, sub(b, 1))))), a.shape) : null,
    needs[1] ? unbroadcast(mul(g, where(mul(eq(a, 0), ge(b, 0)), 0, mul(output, log(a)))), b.shape) : null,
  ]),
  onnx: (b, [x, y]) => b.op("Pow", [x, y]),
});

/** Refuses what PyTorch refuses when the exponent is a number: int32 tensors to negative powers. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const [base, exponent] = sameDTypeOperands("pow", a, b);
  if (typeof b === "number" && b < 0 && base.dtype === "int32") {
    throw new OpError(
      "pow",
      `Integers to negative integer powers are not allowed (int32 base ${formatShape(base.shape)}, exponent ${b}); cast the base to a float dtype first`,
    );
  }
  return apply(powOp, [base, exponent]);
}
