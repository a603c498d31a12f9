/**
 * The losses over classes: nllLoss on log-probabilities, crossEntropyLoss on logits (class
 * indices or class probabilities as targets). The class dimension is 1 of (N, C, d1, ...), or 0
 * of a single sample (C), as in PyTorch.
 */
import {
  OpError,
  type Tensor,
  type TypedArray,
  apply,
  div,
  eq,
  formatShape,
  gather,
  indexSelect,
  logSoftmax,
  neg,
  registerOp,
  reshape,
  sameShape,
  scalar,
  squeeze,
  sum,
  unsqueeze,
  where,
} from "@gradgraph/core";
import { checkFiniteNumber, checkInteger, checkTensor } from "../validation";
import { type LossOptions, type Reduction, checkFloat, checkWeight, fixedValue, readLossOptions, reduce } from "./common";

export interface NllLossOptions extends LossOptions {
  /** A weight per class, shape (C), of the input's dtype: each sample's loss is scaled by its class's weight. */
  weight?: Tensor;
  /**
   * Samples whose target is this class index have loss 0, no gradient and no part in the mean.
   * Default -100, as in PyTorch.
   */
  ignoreIndex?: number;
}

export interface CrossEntropyLossOptions extends NllLossOptions {
  /**
   * In [0, 1] (default 0): the target becomes this much the uniform distribution over the C
   * classes and `1 - labelSmoothing` the given target.
   */
  labelSmoothing?: number;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

type ClassIndexAttrs = {
  readonly loss: string;
  readonly classes: number;
  readonly ignoreIndex: number;
};

function checkClassIndices(data: TypedArray, { loss, classes, ignoreIndex }: ClassIndexAttrs): void {
  for (let i = 0; i < data.length; i++) {
    if ((data[i] < 0 || data[i] >= classes) && data[i] !== ignoreIndex) {
      throw new OpError(loss, `target ${data[i]} is out of bounds for ${classes} classes`);
    }
  }
}

/**
 * Passes class indices through unchanged after checking they name a class (or are the ignored
 * index). It lets targets that are only known at evaluation time (placeholders) fail with the
 * loss's own message, not gather's.
 */
const classIndicesOp = registerOp<ClassIndexAttrs>({
  name: "nn.classIndices",
  arity: 1,
  infer: ([target]) => target,
  kernel([target], attrs) {
    checkClassIndices(target.data, attrs);
    return target.data.slice();
  },
  vjp: "nondifferentiable",
});

/** The class dimension of `input`: 0 for a single sample (C), else 1 (N, C, d1, ...). */
function classDimOf(loss: string, what: string, input: Tensor): number {
  if (input.shape.length === 0) throw new OpError(loss, `${what} must have a class dimension, got a 0-d tensor`);
  return input.shape.length === 1 ? 0 : 1;
}

/** A target of class indices: int32, of the input's shape without its class dimension. */
function checkClassIndexTarget(loss: string, what: string, input: Tensor, target: Tensor, classDim: number): void {
  if (target.dtype !== "int32") throw new OpError(loss, `target must hold int32 class indices, got ${target.dtype}`);
  const expected = input.shape.filter((_, i) => i !== classDim);
  if (!sameShape(target.shape, expected)) {
    const need = what === "logits" ? "need" : "needs";
    throw new OpError(loss, `${what} ${formatShape(input.shape)} ${need} a target of shape ${formatShape(expected)}, got ${formatShape(target.shape)}`);
  }
}

function checkClassWeight(loss: string, weight: unknown, input: Tensor, classDim: number): asserts weight is Tensor {
  checkWeight(loss, "weight", weight, input);
  const classes = input.shape[classDim];
  if (!sameShape(weight.shape, [classes])) {
    throw new OpError(loss, `weight must hold one entry per class, shape [${classes}], got ${formatShape(weight.shape)}`);
  }
}

function checkIgnoreIndex(loss: string, ignoreIndex: unknown): asserts ignoreIndex is number {
  checkInteger(loss, "ignoreIndex", ignoreIndex);
  if (ignoreIndex < INT32_MIN || ignoreIndex > INT32_MAX) {
    throw new OpError(loss, `ignoreIndex must fit in int32 like the targets, got ${ignoreIndex}`);
  }
}

/** Every class's log-probability times its class's weight (laid along the class dimension); as they are without weights. */
function weightedByClass(logProbs: Tensor, weight: Tensor | undefined): Tensor {
  if (weight === undefined) return logProbs;
  const rank = logProbs.shape.length;
  return logProbs.mul(rank === 1 ? weight : reshape(weight, [1, weight.shape[0], ...Array<number>(rank - 2).fill(1)]));
}

interface ClassIndexLoss {
  /** Each sample's `-weight[t] · logProbs[t]`, 0 where its target is ignored. */
  readonly perSample: Tensor;
  /** Each sample's `weight[t]` (1 without weights), 0 where ignored: "mean" divides by their sum. */
  readonly sampleWeight: Tensor;
  /** Nonzero where the sample's target is ignored. */
  readonly ignored: Tensor;
}

/**
 * The negative log-likelihood of each sample's target class, as PyTorch's `nll_loss`. Ignored
 * samples are dropped with `where`, not multiplied by 0: a log-probability of -Infinity at the
 * class they index would otherwise make their loss NaN.
 */
function classIndexLoss(loss: string, logProbs: Tensor, target: Tensor, classDim: number, weight: Tensor | undefined, ignoreIndex: number): ClassIndexLoss {
  const attrs = { loss, classes: logProbs.shape[classDim], ignoreIndex };
  const known = fixedValue(target);
  if (known !== undefined) checkClassIndices(known, attrs);
  const checked = apply(classIndicesOp, [target], attrs);
  const ignored = eq(checked, ignoreIndex);
  const indexable = where(ignored, 0, checked); // an ignored sample picks class 0, dropped below
  const picked = squeeze(gather(logProbs, classDim, unsqueeze(indexable, classDim)), classDim);
  const classWeight = weight === undefined ? undefined : reshape(indexSelect(weight, 0, reshape(indexable, [-1])), target.shape);
  return {
    perSample: where(ignored, 0, neg(classWeight === undefined ? picked : classWeight.mul(picked))),
    sampleWeight: where(ignored, 0, classWeight ?? scalar(1, logProbs.dtype)),
    ignored,
  };
}

/** PyTorch's "mean" over class indices is weighted: the sum of the losses over the sum of the samples' weights. */
function reduceWeighted({ perSample, sampleWeight }: Omit<ClassIndexLoss, "ignored">, reduction: Reduction): Tensor {
  return reduction === "mean" ? div(sum(perSample), sum(sampleWeight)) : reduce(perSample, reduction);
}

const CLASS_INDEX_OPTIONS = ["weight", "ignoreIndex"] as const;

/**
 * The negative log-likelihood loss on log-probabilities `input` against int32 class indices,
 * PyTorch's `nll_loss`: `-weight[t] · input[t]` per sample. Shapes: input (C) with a 0-d target,
 * or (N, C, d1, ...) with target (N, d1, ...). "mean" divides by the summed weights of the
 * targets that are not ignored (NaN when all are ignored, as in PyTorch).
 */
export function nllLoss(input: Tensor, target: Tensor, options?: NllLossOptions): Tensor {
  const op = "nllLoss";
  const { reduction, weight, ignoreIndex = -100 } = readLossOptions(op, options, CLASS_INDEX_OPTIONS);
  checkIgnoreIndex(op, ignoreIndex);
  checkFloat(op, "input", input);
  checkTensor(op, "target", target);
  const classDim = classDimOf(op, "input", input);
  checkClassIndexTarget(op, "input", input, target, classDim);
  if (weight !== undefined) checkClassWeight(op, weight, input, classDim);
  return reduceWeighted(classIndexLoss(op, input, target, classDim, weight, ignoreIndex), reduction);
}

/**
 * Cross-entropy against class probabilities (`target` of the logits' shape), PyTorch's
 * `cross_entropy_loss_prob_target`: `-Σ_c weight[c] · target[c] · logProbs[c]` per sample, the
 * target first smoothed to `(1 - s) · target + s / C`. "mean" averages over the samples,
 * whatever the weights.
 */
function probabilityCrossEntropy(logProbs: Tensor, target: Tensor, classDim: number, weight: Tensor | undefined, labelSmoothing: number, reduction: Reduction): Tensor {
  const classes = logProbs.shape[classDim];
  const smoothed = labelSmoothing === 0 ? target : target.mul(1 - labelSmoothing).add(labelSmoothing / classes);
  return reduce(neg(sum(weightedByClass(logProbs, weight).mul(smoothed), classDim)), reduction);
}

/**
 * Cross-entropy of unnormalized `logits`, as `torch.nn.functional.cross_entropy`: the
 * log-softmax over the class dimension, then
 * - int32 class indices (shapes as `nllLoss`): the NLL loss, with `weight` and `ignoreIndex`;
 *   label smoothing s adds `s / C` times the weighted sum of every class's negative
 *   log-probability and scales the NLL by `1 - s`; ignored samples count for neither, and "mean"
 *   divides both by the summed weights of the kept targets, as PyTorch does;
 * - float class probabilities of the logits' shape and dtype (see `probabilityCrossEntropy`),
 *   differentiable in the target too. PyTorch refuses an ignoreIndex >= 0 with them.
 */
export function crossEntropyLoss(logits: Tensor, target: Tensor, options?: CrossEntropyLossOptions): Tensor {
  const op = "crossEntropyLoss";
  const { reduction, weight, ignoreIndex = -100, labelSmoothing = 0 } = readLossOptions(op, options, [...CLASS_INDEX_OPTIONS, "labelSmoothing"]);
  checkIgnoreIndex(op, ignoreIndex);
  checkFiniteNumber(op, "labelSmoothing", labelSmoothing);
  if (labelSmoothing < 0 || labelSmoothing > 1) throw new OpError(op, `labelSmoothing must be between 0 and 1, got ${labelSmoothing}`);
  checkFloat(op, "logits", logits);
  checkTensor(op, "target", target);
  const classDim = classDimOf(op, "logits", logits);
  if (weight !== undefined) checkClassWeight(op, weight, logits, classDim);

  if (target.dtype !== "int32") {
    if (!sameShape(target.shape, logits.shape)) {
      throw new OpError(
        op,
        `a float target holds class probabilities and needs the logits' shape ${formatShape(logits.shape)}, got ${formatShape(target.shape)} (class indices are int32)`,
      );
    }
    if (target.dtype !== logits.dtype) {
      throw new OpError(op, `class probabilities (${target.dtype}) must have the logits' dtype (${logits.dtype})`);
    }
    if (ignoreIndex >= 0) throw new OpError(op, `ignoreIndex ${ignoreIndex} is not supported for class probabilities (only class indices can be ignored)`);
    return probabilityCrossEntropy(logSoftmax(logits, classDim), target, classDim, weight, labelSmoothing, reduction);
  }

  checkClassIndexTarget(op, "logits", logits, target, classDim);
  const logProbs = logSoftmax(logits, classDim);
  const nll = classIndexLoss(op, logProbs, target, classDim, weight, ignoreIndex);
  if (labelSmoothing === 0) return reduceWeighted(nll, reduction);
  const uniform = where(nll.ignored, 0, neg(sum(weightedByClass(logProbs, weight), classDim)));
  const perSample = nll.perSample.mul(1 - labelSmoothing).add(uniform.mul(labelSmoothing / logits.shape[classDim]));
  return reduceWeighted({ perSample, sampleWeight: nll.sampleWeight }, reduction);
}
