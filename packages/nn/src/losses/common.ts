/** What every loss shares: its options and reduction, and the checks of its arguments. */
import { isFloat, OpError, type Tensor, type TensorMeta, type TypedArray, formatShape, mean, sameShape, sum } from "@gradgraph/core";
import { checkTensor, describeValue, readOptions } from "../validation";

export type Reduction = "mean" | "sum" | "none";

export interface LossOptions {
  /** "mean" (default) averages over every element (cross-entropy: over samples); "sum" adds; "none" keeps them. */
  reduction?: Reduction;
}

const REDUCTIONS: readonly Reduction[] = ["mean", "sum", "none"];

/**
 * Loss.cpp's `EPSILON` (binary_cross_entropy's smallest denominator, cosine_embedding_loss's
 * squared norms) is a C++ float, so PyTorch adds 1e-12 rounded to float32 even in float64.
 */
export const TORCH_EPSILON = Math.fround(1e-12);

/**
 * The loss's options, with unknown names refused and the reduction checked, before anything is
 * built. `extra` names the loss's own options; `reductions` the ones it accepts ("mean" is the default).
 */
export function readLossOptions<T extends { reduction?: string }>(
  loss: string,
  options: T | undefined,
  extra: readonly (keyof T & string)[] = [],
  reductions: readonly NonNullable<T["reduction"]>[] = REDUCTIONS as readonly NonNullable<T["reduction"]>[],
): Partial<T> & { reduction: NonNullable<T["reduction"]> } {
  const read = readOptions(loss, options, ["reduction", ...extra]);
  const { reduction = "mean" } = read;
  if (!(reductions as readonly unknown[]).includes(reduction)) {
    const names = reductions.map((r) => `'${r}'`);
    throw new OpError(loss, `reduction must be ${names.slice(0, -1).join(", ")} or ${names.at(-1)}, got ${describeValue(reduction)}`);
  }
  return { ...read, reduction: reduction as NonNullable<T["reduction"]> };
}

/**
 * The value of `x` if it is known now and fixed, for checks that fail at the caller's line when
 * they can (the kernels check again). A placeholder's feed is neither: it may change before evaluation.
 */
export function fixedValue(x: Tensor): TypedArray | undefined {
  return x.op === "placeholder" ? undefined : x.cachedValue;
}

/** The output array of a loss's own float kernel. */
export function allocateFloat(out: TensorMeta): Float32Array | Float64Array {
  const length = out.shape.reduce((size, d) => size * d, 1);
  return out.dtype === "float64" ? new Float64Array(length) : new Float32Array(length);
}

export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "mean") return mean(loss);
  return reduction === "sum" ? sum(loss) : loss;
}

export function checkFloat(loss: string, what: string, x: unknown): asserts x is Tensor {
  checkTensor(loss, what, x);
  if (!isFloat(x.dtype)) throw new OpError(loss, `${what} must be a float tensor, got ${x.dtype}`);
}

/** Elementwise losses compare two tensors of one shape and one float dtype; PyTorch would broadcast with a warning. */
export function checkSameShapeAndDType(loss: string, input: unknown, target: unknown, names: readonly [string, string] = ["input", "target"]): void {
  const [inputName, targetName] = names;
  checkFloat(loss, inputName, input);
  checkTensor(loss, targetName, target);
  if (!sameShape(input.shape, target.shape)) {
    throw new OpError(loss, `${inputName} ${formatShape(input.shape)} and ${targetName} ${formatShape(target.shape)} must have the same shape`);
  }
  if (input.dtype !== target.dtype) {
    throw new OpError(loss, `${inputName} (${input.dtype}) and ${targetName} (${target.dtype}) must have the same dtype`);
  }
}

/** A weight option: a tensor of the input's dtype. */
export function checkWeight(loss: string, what: string, weight: unknown, input: Tensor): asserts weight is Tensor {
  checkTensor(loss, what, weight);
  if (weight.dtype !== input.dtype) throw new OpError(loss, `${what} (${weight.dtype}) must have the input's dtype (${input.dtype})`);
}
