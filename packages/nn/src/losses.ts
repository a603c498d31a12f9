/**
 * Loss functions on core tensors, PyTorch's `torch.nn.functional` semantics: the loss per element
 * (or per sample), then a reduction.
 */
import {
  OpError,
  type Tensor,
  type TypedArray,
  apply,
  binaryOp,
  formatShape,
  gather,
  logSoftmax,
  mean,
  neg,
  registerOp,
  sameShape,
  sigmoid,
  squeeze,
  sum,
  unbroadcast,
  unsqueeze,
} from "@gradgraph/core";
import { checkTensor, describeValue, readOptions } from "./validation";

export type Reduction = "mean" | "sum" | "none";

export interface LossOptions {
  /** "mean" (default) averages over every element (cross-entropy: over samples); "sum" adds; "none" keeps them. */
  reduction?: Reduction;
}

/** The reduction asked for, checked before anything is built. */
function readReduction(op: string, options: LossOptions | undefined): Reduction {
  const { reduction = "mean" } = readOptions(op, options, ["reduction"]);
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") {
    throw new OpError(op, `reduction must be 'mean', 'sum' or 'none', got ${describeValue(reduction)}`);
  }
  return reduction;
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "mean") return mean(loss);
  return reduction === "sum" ? sum(loss) : loss;
}

function checkFloat(op: string, what: string, x: unknown): asserts x is Tensor {
  checkTensor(op, what, x);
  if (x.dtype === "int32") throw new OpError(op, `${what} must be a float tensor, got ${x.dtype}`);
}

/** Elementwise losses compare two tensors of one shape and one float dtype; PyTorch would broadcast with a warning. */
function checkSameShapeAndDType(op: string, input: Tensor, target: Tensor): void {
  checkFloat(op, "input", input);
  checkTensor(op, "target", target);
  if (!sameShape(input.shape, target.shape)) {
    throw new OpError(op, `input ${formatShape(input.shape)} and target ${formatShape(target.shape)} must have the same shape`);
  }
  if (input.dtype !== target.dtype) {
    throw new OpError(op, `input (${input.dtype}) and target (${target.dtype}) must have the same dtype`);
  }
}

/** Mean squared error: `(input - target)^2`, reduced. Gradients flow into both arguments. */
export function mseLoss(input: Tensor, target: Tensor, options?: LossOptions): Tensor {
  const reduction = readReduction("mseLoss", options);
  checkSameShapeAndDType("mseLoss", input, target);
  const diff = input.sub(target);
  return reduce(diff.mul(diff), reduction);
}

// ---------------------------------------------------------------------------------------------
// Cross-entropy

function checkClassIndices(data: TypedArray, classes: number): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i] < 0 || data[i] >= classes) {
      throw new OpError("crossEntropyLoss", `target ${data[i]} is out of bounds for ${classes} classes`);
    }
  }
}

/**
 * Passes class indices through unchanged after checking they name a class. It lets targets that
 * are only known at evaluation time (placeholders) fail with the loss's own message, not gather's.
 */
const classIndicesOp = registerOp<{ classes: number }>({
  name: "nn.classIndices",
  arity: 1,
  infer: ([target]) => target,
  kernel([target], { classes }) {
    checkClassIndices(target.data, classes);
    return target.data.slice();
  },
  vjp: "nondifferentiable",
});

/**
 * Cross-entropy of unnormalized `logits` against int32 class indices, as `nn.CrossEntropyLoss`
 * (no weights, no ignore_index, no label smoothing): `logsumexp(logits) - logits[target]` per
 * sample. Shapes: logits (C) with a 0-d target, or (N, C, d1, ...) with target (N, d1, ...);
 * "mean" averages over the samples.
 */
export function crossEntropyLoss(logits: Tensor, target: Tensor, options?: LossOptions): Tensor {
  const op = "crossEntropyLoss";
  const reduction = readReduction(op, options);
  checkFloat(op, "logits", logits);
  checkTensor(op, "target", target);
  if (target.dtype !== "int32") {
    throw new OpError(op, `target must hold int32 class indices, got ${target.dtype}`);
  }
  if (logits.shape.length === 0) throw new OpError(op, "logits must have a class dimension, got a 0-d tensor");
  const classDim = logits.shape.length === 1 ? 0 : 1;
  const expected = logits.shape.filter((_, i) => i !== classDim);
  if (!sameShape(target.shape, expected)) {
    throw new OpError(
      op,
      `logits ${formatShape(logits.shape)} need a target of shape ${formatShape(expected)}, got ${formatShape(target.shape)}`,
    );
  }
  const classes = logits.shape[classDim];
  const known = target.cachedValue;
  if (known !== undefined) checkClassIndices(known, classes); // fail here, at the caller's line, when we can
  const checked = apply(classIndicesOp, [target], { classes });
  const picked = gather(logSoftmax(logits, classDim), classDim, unsqueeze(checked, classDim));
  return reduce(neg(squeeze(picked, classDim)), reduction);
}

// ---------------------------------------------------------------------------------------------
// Binary cross-entropy on logits

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
 * numerically stable form (no overflow for large |logits|).
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options?: LossOptions): Tensor {
  const reduction = readReduction("binaryCrossEntropyWithLogits", options);
  checkSameShapeAndDType("binaryCrossEntropyWithLogits", logits, target);
  return reduce(apply(bceWithLogitsOp, [logits, target]), reduction);
}
