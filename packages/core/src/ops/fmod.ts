import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor, TensorLike } from "../ir/tensor";
import { floatBinaryOp } from "./elementwise";
import { mul } from "./mul";
import { neg } from "./neg";
import { floatOperands } from "./operands";
import { trunc } from "./trunc";
import { div } from "./div";
import { unbroadcast } from "./unbroadcast";

/**
 * C's fmod: a - trunc(a / b) · b, with the dividend's sign (remainder takes the divisor's). JS's
 * `%` is exactly fmod. derivatives.yaml: grad for a, -grad · trunc(a / b) for b.
 */
export const fmodOp = registerOp(
  floatBinaryOp("fmod", "a % b", (g, { inputs: [a, b], needs }) => [
    needs[0] ? unbroadcast(g, a.shape) : null,
    needs[1] ? unbroadcast(neg(mul(g, trunc(div(a, b)))), b.shape) : null,
  ]),
);

/** Float operands only: PyTorch's integer fmod is left for later (int32 operands become float32 here). */
export function fmod(a: TensorLike, b: TensorLike): Tensor {
  return apply(fmodOp, floatOperands("fmod", a, b));
}
