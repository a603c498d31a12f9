/** Binary cross-entropy, on probabilities and on logits. */
import {
  OpError,
  type Tensor,
  type TypedArray,
  apply,
  binaryOp,
  formatShape,
  log,
  maximum,
  neg,
  registerOp,
  scalar,
  sigmoid,
  sub,
  unbroadcast,
} from "@gradgraph/core";
import { type LossOptions, TORCH_EPSILON, allocateFloat, checkSameShapeAndDType, checkWeight, fixedValue, readLossOptions, reduce } from "./common";

export interface BinaryCrossEntropyOptions extends LossOptions {
  /** Scales each element's loss; of the input's dtype, broadcasting to the input's shape. */
  weight?: Tensor;
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /**
   * Scales the positive term `-y log sigmoid(x)` (> 1 favours recall); of the input's dtype,
   * broadcasting to the input's shape: (C) gives one per class of the last dimension.
   */
  posWeight?: Tensor;
}

/** A weight that multiplies the loss elementwise: of the input's dtype, broadcasting to the input's shape, never beyond it. */
function checkElementwiseWeight(loss: string, what: string, weight: unknown, input: Tensor): asserts weight is Tensor {
  checkWeight(loss, what, weight, input);
  const offset = input.shape.length - weight.shape.length;
  if (offset < 0 || weight.shape.some((size, i) => size !== 1 && size !== input.shape[offset + i])) {
    throw new OpError(loss, `${what} ${formatShape(weight.shape)} must broadcast to the input's shape ${formatShape(input.shape)}`);
  }
}

/** PyTorch clamps each log at -100, so a probability of exactly 0 or 1 costs at most 100, never Infinity. */
const LOG_FLOOR = -100;

function checkProbabilities(data: TypedArray): void {
  for (let i = 0; i < data.length; i++) {
    if (!(data[i] >= 0 && data[i] <= 1)) throw new OpError("binaryCrossEntropy", `input must hold probabilities between 0 and 1, got ${data[i]}`);
  }
}

/**
 * `-(y · max(log p, -100) + (1 - y) · max(log(1 - p), -100))` with PyTorch's gradients, which are
 * not those of the clamped formula: `(p - y) / max(p (1 - p), EPSILON)` for p (finite at 0 and
 * 1) and `-logit(p)` for y (±Infinity there). Its kernel refuses probabilities outside [0, 1], as
 * PyTorch's does, so it has no formula for the compiler to fuse.
 */
const binaryCrossEntropyOp = registerOp({
  name: "nn.binaryCrossEntropy",
  arity: 2,
  infer: ([p]) => p, // the loss checks that both have one shape and one float dtype
  kernel([p, y], _attrs, out) {
    checkProbabilities(p.data);
    const loss = allocateFloat(out);
    for (let i = 0; i < loss.length; i++) {
      const probability = p.data[i];
      const label = y.data[i];
      loss[i] = (label - 1) * Math.max(Math.log(1 - probability), LOG_FLOOR) - label * Math.max(Math.log(probability), LOG_FLOOR);
    }
    return loss;
  },
  vjp: (g, { inputs: [p, y], needs }) => [
    needs[0] ? g.mul(p.sub(y)).div(maximum(sub(1, p).mul(p), TORCH_EPSILON)) : null,
    needs[1] ? g.mul(neg(log(p.div(sub(1, p))))) : null,
  ],
});

/**
 * Binary cross-entropy of probabilities `input` against `target`, PyTorch's
 * `binary_cross_entropy`: logs clamped at -100, optional elementwise `weight`. Gradients flow
 * into both arguments. Inputs outside [0, 1] are an error (when evaluated, if not known before).
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options?: BinaryCrossEntropyOptions): Tensor {
  const op = "binaryCrossEntropy";
  const { reduction, weight } = readLossOptions(op, options, ["weight"]);
  checkSameShapeAndDType(op, input, target);
  if (weight !== undefined) checkElementwiseWeight(op, "weight", weight, input);
  const known = fixedValue(input);
  if (known !== undefined) checkProbabilities(known);
  const loss = apply(binaryCrossEntropyOp, [input, target]);
  return reduce(weight === undefined ? loss : loss.mul(weight), reduction);
}

/**
 * `max(x, 0) - x*y + log(1 + exp(-|x|))` as one op: composed from relu and abs, the gradient at
 * x = 0 would follow their subgradients (giving -y) instead of the true sigmoid(0) - y.
 */
const bceWithLogitsOp = registerOp(
  binaryOp("nn.bceWithLogits", "Math.max(a, 0) - a * b + Math.log1p(Math.exp(-Math.abs(a)))", (g, { inputs: [x, y], needs }) => [
    needs[0] ? unbroadcast(g.mul(sigmoid(x).sub(y)), x.shape) : null,
    needs[1] ? unbroadcast(g.mul(neg(x)), y.shape) : null,
  ]),
);

/**
 * Binary cross-entropy of `sigmoid(logits)` against probabilities `target`, in PyTorch's
 * numerically stable form (no overflow for large |logits|), with optional elementwise `weight`
 * and `posWeight` p. PyTorch's loss with p is `(1 - y) x + (1 + (p - 1) y) softplus(-x)`: the
 * plain loss plus `(p - 1) y` times `softplus(-x)`, which is the plain loss of a positive
 * target, so the stable op serves both. Gradients flow into logits and target.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options?: BinaryCrossEntropyWithLogitsOptions): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  const { reduction, weight, posWeight } = readLossOptions(op, options, ["weight", "posWeight"]);
  checkSameShapeAndDType(op, logits, target);
  if (weight !== undefined) checkElementwiseWeight(op, "weight", weight, logits);
  if (posWeight !== undefined) checkElementwiseWeight(op, "posWeight", posWeight, logits);
  let loss = apply(bceWithLogitsOp, [logits, target]);
  if (posWeight !== undefined) {
    const positiveTerm = apply(bceWithLogitsOp, [logits, scalar(1, logits.dtype)]);
    loss = loss.add(posWeight.sub(1).mul(target).mul(positiveTerm));
  }
  return reduce(weight === undefined ? loss : loss.mul(weight), reduction);
}
