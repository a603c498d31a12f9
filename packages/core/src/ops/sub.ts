import { unbroadcast } from "./unbroadcast";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp } from "./elementwise";
import { neg } from "./neg";
import { sameDTypeOperands } from "./operands";
import { registerOp } from "../ir/registry";

export const subOp = registerOp(
  binaryOp("sub", "a - b", (g, { inputs: [a, b], needs }) => [
    unbroadcast(g, a.shape),
    needs[1] ? unbroadcast(neg(g), b.shape) : null,
  ]),
);

export function sub(a: TensorLike, b: TensorLike): Tensor {
  return apply(subOp, sameDTypeOperands("sub", a, b));
}
