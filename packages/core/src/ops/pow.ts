import { unbroadcast } from "./unbroadcast";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { eq } from "./compare";
import { binaryOp } from "./elementwise";
import { log } from "./log";
import { mul } from "./mul";
import { sameDTypeOperands } from "./operands";
import { sub } from "./sub";
import { where } from "./where";

import { registerOp } from "../ir/registry";

// For the exponent's gradient, 0^b contributes 0 (not 0·log 0 = NaN), as in PyTorch.
export const powOp = registerOp(
  binaryOp("pow", "Math.pow(a, b)", (g, { inputs: [a, b], output, needs }) => [
    needs[0] ? unbroadcast(mul(g, mul(b, pow(a, sub(b, 1)))), a.shape) : null,
    needs[1] ? unbroadcast(where(eq(a, 0), 0, mul(g, mul(output, log(a)))), b.shape) : null,
  ]),
);

export function pow(a: TensorLike, b: TensorLike): Tensor {
  return apply(powOp, sameDTypeOperands("pow", a, b));
}
