/**
 * The functional forms behind torch.nn's normalization and attention layers, as PyTorch 1.13's
 * `F.layer_norm`, `F.group_norm`, `F.batch_norm`, `F.dropout` and scaled dot-product attention
 * (`torch._C._nn._scaled_dot_product_attention`, public as `F.scaled_dot_product_attention` in
 * 2.0). Each is a composite of registered ops, so its gradient is theirs and compiled programs
 * fuse it like any other chain.
 *
 * Written with the Tensor methods (`x.mean(dims, true)`, `x.softmax(-1)`): mean and softmax
 * live in functional.ts, which re-exports this file, so importing them would close an import cycle.
 */
import { allocate, isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { defaultGenerator, Generator } from "../basics/random";
import { broadcastShapes, formatShape, sameShape, sizeOf } from "../basics/shape";
import { checkNumber, checkOptions, checkTensor, describeValue } from "../ir/args";
import type { Tensor } from "../ir/tensor";
import { tril } from "../ops/triangular";
import { where } from "../ops/where";
import { full, tensor } from "./creation";

function checkFloatInput(op: string, x: unknown): asserts x is Tensor {
  checkTensor(op, "input", x);
  if (!isFloat(x.dtype)) throw new OpError(op, `expected a float input, got ${x.dtype} ${formatShape(x.shape)}`);
}

/** An optional tensor argument: a Tensor, or null/undefined for none (PyTorch's None). */
function optionalTensor(op: string, what: string, value: Tensor | null | undefined): Tensor | undefined {
  if (value === null || value === undefined) return undefined;
  checkTensor(op, what, value);
  return value;
}

/** `normalized` times `weight` plus `bias`, each when given (the affine step every normalization ends with). */
function affine(normalized: Tensor, weight: Tensor | undefined, bias: Tensor | undefined): Tensor {
  const scaled = weight === undefined ? normalized : normalized.mul(weight);
  return bias === undefined ? scaled : scaled.add(bias);
}

/** A per-channel vector shaped to broadcast along dim 1 of an input of `rank` dims: (C) → (C, 1, ..., 1). */
function perChannel(vector: Tensor | undefined, rank: number): Tensor | undefined {
  return vector?.reshape(vector.size, ...new Array<number>(Math.max(rank - 2, 0)).fill(1));
}

/** (x - mean) / sqrt(var + eps) over `dims`, with the biased variance, as every normalization computes it. */
function standardize(x: Tensor, dims: number[], eps: number): Tensor {
  const centered = x.sub(x.mean(dims, true));
  return centered.mul(centered.square().mean(dims, true).add(eps).rsqrt());
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * `F.layer_norm(x, normalizedShape, weight, bias, eps)`: each slice over the last
 * `normalizedShape.length` dims standardized with its own mean and biased variance, then scaled by
 * `weight` and shifted by `bias` (both of `normalizedShape`, optional).
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const op = "layerNorm";
  checkFloatInput(op, x);
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new OpError(op, `normalizedShape must be a size or an array of sizes, got ${describeValue(normalizedShape)}`);
  }
  if (shape.length === 0) {
    throw new OpError(op, "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []");
  }
  checkNumber(op, "eps", eps);
  const w = optionalTensor(op, "weight", weight);
  const b = optionalTensor(op, "bias", bias);
  for (const [what, given] of [["weight", w], ["bias", b]] as const) {
    if (given !== undefined && !sameShape(given.shape, shape)) {
      throw new OpError(
        op,
        `Expected ${what} to be of same shape as normalized_shape, but got ${what} of shape ${formatShape(given.shape)} and normalized_shape = ${formatShape(shape)}`,
      );
    }
  }
  const first = x.ndim - shape.length;
  if (first < 0 || !sameShape(x.shape.slice(first), shape)) {
    throw new OpError(
      op,
      `Given normalized_shape=${formatShape(shape)}, expected input with shape [*, ${shape.join(", ")}], but got input of size${formatShape(x.shape)}`,
    );
  }
  return affine(standardize(x, range(first, x.ndim), eps), w, b);
}

/**
 * `F.group_norm(x, numGroups, weight, bias, eps)`: the channels (dim 1) of each sample split into
 * `numGroups` groups, each group standardized over its channels and the remaining dims, then the
 * per-channel `weight` and `bias` (of size C, optional) applied.
 */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const op = "groupNorm";
  checkFloatInput(op, x);
  if (!Number.isInteger(numGroups) || numGroups <= 0) throw new OpError(op, `numGroups must be a positive integer, got ${describeValue(numGroups)}`);
  checkNumber(op, "eps", eps);
  if (x.ndim < 2) throw new OpError(op, `expected an input of shape (N, C, *), got ${formatShape(x.shape)}`);
  const channels = x.shape[1];
  if (channels % numGroups !== 0) {
    throw new OpError(
      op,
      `Expected number of channels in input to be divisible by num_groups, but got input of shape ${formatShape(x.shape)} and num_groups=${numGroups}`,
    );
  }
  const w = optionalTensor(op, "weight", weight);
  const b = optionalTensor(op, "bias", bias);
  for (const [what, given] of [["weight", w], ["bias", b]] as const) {
    if (given !== undefined && !sameShape(given.shape, [channels])) {
      throw new OpError(
        op,
        `Expected ${what} to be a vector of size equal to the number of channels in input, but got ${what} of shape ${formatShape(given.shape)} and input of shape ${formatShape(x.shape)}`,
      );
    }
  }
  const grouped = x.reshape(x.shape[0], numGroups, (channels / numGroups) * sizeOf(x.shape.slice(2)));
  const normalized = standardize(grouped, [2], eps).reshape(...x.shape);
  return affine(normalized, perChannel(w, x.ndim), perChannel(b, x.ndim));
}

/** What `batchNorm` gives: the output and, in training with running statistics, their updated values. */
export interface BatchNormResult {
  readonly output: Tensor;
  /**
   * In training, with running statistics given: `(1 - momentum) * runningMean + momentum * mean`
   * of the batch (detached). Undefined otherwise.
   */
  readonly runningMean: Tensor | undefined;
  /** As `runningMean`, with the batch's unbiased variance (Bessel's correction), as PyTorch updates it. */
  readonly runningVar: Tensor | undefined;
}

/**
 * `F.batch_norm(x, runningMean, runningVar, weight, bias, training, momentum, eps)` on an input
 * of shape (N, C, *): each channel standardized over every dim but 1. In training, with the
 * batch's mean and biased variance; PyTorch then updates the running statistics in place, here
 * they come back as new tensors (`runningMean`, `runningVar`) for the caller to assign. In
 * evaluation, with the running statistics, which must then be given.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  weight?: Tensor | null,
  bias?: Tensor | null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): BatchNormResult {
  const op = "batchNorm";
  checkFloatInput(op, x);
  if (typeof training !== "boolean") throw new OpError(op, `training must be true or false, got ${describeValue(training)}`);
  checkNumber(op, "momentum", momentum);
  checkNumber(op, "eps", eps);
  if (x.ndim < 2) throw new OpError(op, `expected an input of shape (N, C, *), got ${formatShape(x.shape)}`);
  const channels = x.shape[1];
  const given = {
    running_mean: optionalTensor(op, "runningMean", runningMean),
    running_var: optionalTensor(op, "runningVar", runningVar),
    weight: optionalTensor(op, "weight", weight),
    bias: optionalTensor(op, "bias", bias),
  };
  for (const [what, vector] of Object.entries(given)) {
    if (vector !== undefined && vector.size !== channels) throw new OpError(op, `${what} should contain ${channels} elements not ${vector.size}`);
  }
  const dims = [0, ...range(2, x.ndim)];
  const count = sizeOf(dims.map((d) => x.shape[d]));
  const [w, b] = [perChannel(given.weight, x.ndim), perChannel(given.bias, x.ndim)];
  if (!training) {
    for (const [what, vector] of [["running_mean", given.running_mean], ["running_var", given.running_var]] as const) {
      if (vector === undefined) throw new OpError(op, `${what} must be defined in evaluation mode`);
    }
    const centered = x.sub(perChannel(given.running_mean, x.ndim)!);
    const normalized = centered.mul(perChannel(given.running_var, x.ndim)!.add(eps).rsqrt());
    return { output: affine(normalized, w, b), runningMean: undefined, runningVar: undefined };
  }
  if (count === 1) throw new OpError(op, `Expected more than 1 value per channel when training, got input size ${formatShape(x.shape)}`);
  const mean = x.mean(dims, true);
  const centered = x.sub(mean);
  const squares = centered.square().sum(dims, true);
  const output = affine(centered.mul(squares.div(count).add(eps).rsqrt()), w, b);
  const updated = (running: Tensor | undefined, batch: Tensor) =>
    running === undefined ? undefined : batch.reshape(channels).mul(momentum).add(running.mul(1 - momentum)).detach();
  return { output, runningMean: updated(given.running_mean, mean), runningVar: updated(given.running_var, squares.div(count - 1)) };
}

/**
 * `F.dropout(x, p)` in training: each element zeroed with probability `p` and the rest scaled by
 * 1/(1-p), so the expected value is unchanged. The mask is a constant drawn from `generator`
 * (uniform draws in x's dtype, kept below 1-p), so gradients flow only through the kept
 * elements. As PyTorch: p = 0 is the identity and p = 1 gives zeros.
 */
export function dropout(x: Tensor, p = 0.5, generator: Generator = defaultGenerator): Tensor {
  checkTensor("dropout", "input", x);
  if (!(typeof p === "number" && p >= 0 && p <= 1)) {
    throw new OpError("dropout", `dropout probability has to be between 0 and 1, but got ${describeValue(p)}`);
  }
  if (!(generator instanceof Generator)) throw new OpError("dropout", `generator must be a Generator, got ${describeValue(generator)}`);
  if (p === 0 || x.size === 0) return x;
  if (p === 1) return x.mul(0);
  const draws = allocate(x.dtype === "float64" ? "float64" : "float32", x.size) as Float32Array | Float64Array;
  generator.fillUniform(draws, 0, 1);
  const keep = 1 - p;
  const scale = 1 / keep;
  for (let i = 0; i < draws.length; i++) draws[i] = draws[i] < keep ? scale : 0;
  return x.mul(tensor(draws, { shape: x.shape }));
}

/** Options of `scaledDotProductAttention`, as PyTorch's `F.scaled_dot_product_attention` takes them. */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcast to the weights' shape (..., L, S). A bool (or int32) mask is PyTorch's bool mask: nonzero
   * where the query may attend (the others get weight 0). A float mask is added to the scores
   * (-Infinity forbids).
   */
  attnMask?: Tensor;
  /** Each query position i attends to key positions j <= i only (the lower triangle of L × S); not with attnMask. */
  isCausal?: boolean;
  /** Dropout on the attention weights, 0 by default. */
  dropoutP?: number;
  /** Where the dropout mask is drawn from; the shared default generator unless given. */
  generator?: Generator;
}

/** What `scaledDotProductAttention` gives: the output and the attention weights. */
export interface ScaledDotProductAttentionResult {
  /** softmax(q kᵀ / sqrt(E) + mask) v, of shape (..., L, Ev). */
  readonly output: Tensor;
  /** The attention weights (after dropout), of shape (..., L, S); lazy, so free unless read. */
  readonly attnWeights: Tensor;
}

/**
 * Scaled dot-product attention of queries (..., L, E) over keys (..., S, E) and values
 * (..., S, Ev), leading dims broadcast, computed as PyTorch 1.13's math path does: the query
 * scaled by 1/sqrt(E), its products with the keys, the mask, softmax over S, dropout, then the
 * weighted sum of the values. A query that may attend to nothing gets NaN weights, as in PyTorch.
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options?: ScaledDotProductAttentionOptions,
): ScaledDotProductAttentionResult {
  const op = "scaledDotProductAttention";
  const { attnMask, isCausal = false, dropoutP = 0, generator = defaultGenerator } = checkOptions(op, options, [
    "attnMask",
    "isCausal",
    "dropoutP",
    "generator",
  ]);
  for (const [what, t] of [["query", query], ["key", key], ["value", value]] as const) {
    checkFloatInput(op, t);
    if (t.ndim < 2) throw new OpError(op, `${what} must have at least 2 dims (..., sequence, features), got ${formatShape(t.shape)}`);
  }
  const embedding = query.shape[query.ndim - 1];
  const sourceLength = key.shape[key.ndim - 2];
  if (key.shape[key.ndim - 1] !== embedding) {
    throw new OpError(op, `expected key of shape [..., S, ${embedding}] (the query's embedding size), got key ${formatShape(key.shape)}`);
  }
  if (value.shape[value.ndim - 2] !== sourceLength) {
    throw new OpError(op, `expected value of shape [..., ${sourceLength}, Ev] (as many positions as the key), got value ${formatShape(value.shape)}`);
  }
  if (typeof isCausal !== "boolean") throw new OpError(op, `isCausal must be true or false, got ${describeValue(isCausal)}`);
  if (isCausal && attnMask !== undefined) throw new OpError(op, "Explicit attn_mask should not be set when is_causal=True");
  const scores = query.mul(1 / Math.sqrt(embedding)).matmul(key.transpose(-2, -1));
  let masked = scores;
  if (attnMask !== undefined) {
    checkTensor(op, "attnMask", attnMask);
    const broadcast = broadcastShapes(op, attnMask.shape, scores.shape);
    if (!sameShape(broadcast, scores.shape)) {
      throw new OpError(op, `attnMask of shape ${formatShape(attnMask.shape)} does not broadcast to the attention weights' shape ${formatShape(scores.shape)}`);
    }
    masked = !isFloat(attnMask.dtype) ? where(attnMask, scores, -Infinity) : scores.add(attnMask);
  } else if (isCausal) {
    masked = where(tril(full([scores.shape[scores.ndim - 2], sourceLength], 1, { dtype: "int32" })), scores, -Infinity);
  }
  const attnWeights = dropout(masked.softmax(-1), dropoutP, generator);
  return { output: attnWeights.matmul(value), attnWeights };
}
