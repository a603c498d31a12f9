import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp } from "./elementwise";
import { int32Division } from "./floorDivide";
import { mul } from "./mul";
import { neg } from "./neg";
import { sameDTypeOperands } from "./operands";
import { trunc } from "./trunc";
import { div } from "./div";
import { unbroadcast } from "./unbroadcast";

const truncatedRemainder = (a: number, b: number) => a % b;

/**
 * C's fmod: a - trunc(a / b) · b, with the dividend's sign (remainder takes the divisor's). JS's
 * `%` is exactly fmod; an int32 divisor of 0 is PyTorch's ZeroDivisionError. derivatives.yaml:
 * grad for a, -grad · trunc(a / b) for b.
 */
export const fmodOp = registerBuiltinOp({
  ...binaryOp("fmod", { expr: "a % b", int32: { expr: "fmod(a, b)", helpers: { fmod: int32Division("fmod", truncatedRemainder) } } }, (g, { inputs: [a, b], needs }) => [
    needs[0] ? unbroadcast(g, a.shape) : null,
    needs[1] ? unbroadcast(neg(mul(g, trunc(div(a, b)))), b.shape) : null,
  ]),
  onnx: (b, [x, y]) => b.op("Mod", [x, y], { fmod: 1 }),
});

/** torch.fmod: int32 operands give int32, as in PyTorch. */
export function fmod(a: TensorLike, b: TensorLike): Tensor {
  return apply(fmodOp, sameDTypeOperands("fmod", a, b));
}
