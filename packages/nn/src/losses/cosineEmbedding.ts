/** The cosine embedding loss: are two embeddings alike (target 1) or unlike (target -1)? */
import { OpError, type Tensor, eq, formatShape, ge, sameShape, sqrt, sub, sum, where } from "@gradgraph/core";
import { checkFiniteNumber, checkTensor } from "../validation";
import { type LossOptions, TORCH_EPSILON, checkSameShapeAndDType, readLossOptions, reduce } from "./common";

export interface CosineEmbeddingLossOptions extends LossOptions {
  /** Unlike pairs cost nothing once their cosine is at most this (default 0; PyTorch suggests [-1, 1]). */
  margin?: number;
}

/**
 * PyTorch's `cosine_embedding_loss` of the pairs (input1, input2): `1 - cos` where the target is
 * 1, `max(cos - margin, 0)` where it is -1, 0 for any other target; then reduced. Shapes: two 1-D
 * inputs (D) with a 0-d target, or two (N, D) with target (N), of any dtype. As in PyTorch, the
 * cosine is `x·y / sqrt((|x|² + ε)(|y|² + ε))` and the clamp passes the gradient at cos = margin.
 */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor, options?: CosineEmbeddingLossOptions): Tensor {
  const op = "cosineEmbeddingLoss";
  const { reduction, margin = 0 } = readLossOptions(op, options, ["margin"]);
  checkFiniteNumber(op, "margin", margin);
  checkSameShapeAndDType(op, input1, input2, ["input1", "input2"]);
  checkTensor(op, "target", target);
  const rank = input1.shape.length;
  if (rank !== 1 && rank !== 2) {
    throw new OpError(op, `input1 and input2 must be 1-D (one pair) or 2-D (a batch of pairs), got ${formatShape(input1.shape)}`);
  }
  const expected = input1.shape.slice(0, -1);
  if (!sameShape(target.shape, expected)) {
    throw new OpError(op, `inputs ${formatShape(input1.shape)} need a target of shape ${formatShape(expected)}, got ${formatShape(target.shape)}`);
  }
  const dim = rank - 1;
  const squaredNorm = (x: Tensor) => sum(x.mul(x), dim).add(TORCH_EPSILON);
  const cos = sum(input1.mul(input2), dim).div(sqrt(squaredNorm(input1).mul(squaredNorm(input2))));
  const beyondMargin = cos.sub(margin);
  const unlike = where(ge(beyondMargin, 0), beyondMargin, 0); // PyTorch's clamp_min: the gradient passes at 0
  return reduce(where(eq(target, 1), sub(1, cos), 0).add(where(eq(target, -1), unlike, 0)), reduction);
}
