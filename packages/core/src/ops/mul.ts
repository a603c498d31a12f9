import { unbroadcast } from "./unbroadcast";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp } from "./elementwise";
import { sameDTypeOperands } from "./operands";
import { registerOp } from "../ir/registry";

export const mulOp = registerOp(
  binaryOp("mul", "a * b", (g, { inputs: [a, b], needs }) => [
    needs[0] ? unbroadcast(mul(g, b), a.shape) : null,
    needs[1] ? unbroadcast(mul(g, a), b.shape) : null,
  ]),
);

export function mul(a: TensorLike, b: TensorLike): Tensor {
  return apply(mulOp, sameDTypeOperands("mul", a, b));
}
