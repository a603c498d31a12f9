import { unbroadcast } from "./unbroadcast";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { add } from "./add";
import { eq, gt, lt } from "./compare";
import { binaryOp } from "./elementwise";
import { mul } from "./mul";
import { sameDTypeOperands } from "./operands";
import { registerOp } from "../ir/registry";

/** Where a tie splits the gradient in half between both operands, as PyTorch does. */
function tieShare(winner: Tensor, a: Tensor, b: Tensor): Tensor {
  return add(winner, mul(eq(a, b), 0.5));
}

// NaN wins, as in PyTorch's maximum/minimum.
export const maximumOp = registerOp(
  binaryOp("maximum", "(a > b || a !== a) ? a : b", (g, { inputs: [a, b], needs }) => [
    needs[0] ? unbroadcast(mul(g, tieShare(gt(a, b), a, b)), a.shape) : null,
    needs[1] ? unbroadcast(mul(g, tieShare(lt(a, b), a, b)), b.shape) : null,
  ]),
);

export const minimumOp = registerOp(
  binaryOp("minimum", "(a < b || a !== a) ? a : b", (g, { inputs: [a, b], needs }) => [
    needs[0] ? unbroadcast(mul(g, tieShare(lt(a, b), a, b)), a.shape) : null,
    needs[1] ? unbroadcast(mul(g, tieShare(gt(a, b), a, b)), b.shape) : null,
  ]),
);

export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return apply(maximumOp, sameDTypeOperands("maximum", a, b));
}

export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return apply(minimumOp, sameDTypeOperands("minimum", a, b));
}
