import { unbroadcast } from "./unbroadcast";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp } from "./elementwise";
import { mul } from "./mul";
import { neg } from "./neg";
import { sameDTypeOperands } from "./operands";
import { registerOp } from "../ir/registry";

// d(a/b)/db = -a/b² = -(a/b)/b: reusing the output saves a multiply and matches PyTorch's formula.
export const divOp = registerOp(
  binaryOp("div", "a / b", (g, { inputs: [a, b], output, needs }) => [
    needs[0] ? unbroadcast(div(g, b), a.shape) : null,
    needs[1] ? unbroadcast(neg(div(mul(g, output), b)), b.shape) : null,
  ]),
);

export function div(a: TensorLike, b: TensorLike): Tensor {
  return apply(divOp, sameDTypeOperands("div", a, b));
}
