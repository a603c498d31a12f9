/**
 * Reductions and scans as PyTorch spells them, on the registered ops: max/min with their indices
 * beside amax/amin, arg-extrema, variance, norms, sorting, cumulative products and extrema.
 */
import { isFloat } from "../basics/dtype";
import { describeValue, OpError } from "../basics/errors";
import { formatShape, normalizeDim, sizeOf } from "../basics/shape";
import { checkOptions, checkTensor } from "../ir/args";
import { apply, applyCanonical, canonicalAttrs, scalarNode } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { abs } from "../ops/abs";
import { argmaxOp } from "../ops/argmax";
import { argminOp } from "../ops/argmin";
import { argsort } from "../ops/argsort";
import { gt } from "../ops/compare";
import { cummaxIndicesOp } from "../ops/cummaxIndices";
import { cumminIndicesOp } from "../ops/cumminIndices";
import { div } from "../ops/div";
import { expand } from "../ops/expand";
import { gather } from "../ops/gather";
import { cumsum as cumsumNode } from "../ops/cumsum";
import { linearScan as linearScanNode } from "../ops/linearScan";
import { maxOp } from "../ops/max";
import { minOp } from "../ops/min";
import { mul } from "../ops/mul";
import { pow } from "../ops/pow";
import { reduceAttrs } from "../ops/reduction";
import { reshape } from "../ops/reshape";
import { slice } from "../ops/slice";
import { sqrt } from "../ops/sqrt";
import { sub } from "../ops/sub";
import { sum } from "../ops/sum";
import { where } from "../ops/where";
import { asCalled } from "./arguments";

export { argsort } from "../ops/argsort";
export { prod } from "../ops/prod";

/** Values with the index each was taken from, as PyTorch's `torch.max(x, dim)` returns them. */
export interface ValuesAndIndices {
  readonly values: Tensor;
  /** int32 positions along the dim. */
  readonly indices: Tensor;
}

type ExtremumOp = typeof maxOp;

function extremum(op: ExtremumOp, x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  checkTensor(op.name, "input", x);
  if (dim === undefined && x.size === 0) {
    throw new OpError(
      op.name,
      `Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument (input shape ${formatShape(x.shape)})`,
    );
  }
  const attrs = canonicalAttrs(op, [x], dim === undefined ? { keepdim } : { dims: dim, keepdim });
  return attrs.dims.length === 0 ? x : applyCanonical(op, [x], attrs);
}

/** The max over dims (all when omitted); ties share the gradient evenly (PyTorch's amax). */
export function amax(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return asCalled("amax", () => extremum(maxOp, x, dim, keepdim));
}

/** The min over dims (all when omitted); ties share the gradient evenly (PyTorch's amin). */
export function amin(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return asCalled("amin", () => extremum(minOp, x, dim, keepdim));
}

/** The index of the first maximum along `dim` (of the flattened tensor when omitted), int32; NaN counts as the maximum. */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return apply(argmaxOp, [x], { dim: dim ?? null, keepdim });
}

/** The index of the first minimum along `dim` (of the flattened tensor when omitted), int32; NaN counts as the minimum. */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return apply(argminOp, [x], { dim: dim ?? null, keepdim });
}

/** The values at the first extremum along `dim`, and its indices: what max(x, dim) and min(x, dim) return. */
function selectedAlong(op: "max" | "min", x: Tensor, dim: number, keepdim: boolean): ValuesAndIndices {
  checkTensor(op, "input", x);
  if (typeof dim !== "number") throw new OpError(op, `dim must be a number (a${op} takes a list of dims), got ${describeValue(dim)}`);
  const d = normalizeDim(op, dim, Math.max(x.ndim, 1));
  // PyTorch's error names max (or min), not the arg op this uses.
  if (x.ndim > 0 && x.shape[d] === 0) throw new OpError(op, `Expected reduction dim ${d} to have non-zero size (input shape ${formatShape(x.shape)})`);
  const indices = apply(op === "max" ? argmaxOp : argminOp, [x], { dim: d, keepdim: true });
  const values = gather(x, d, indices);
  if (keepdim) return { values, indices };
  const shape = x.shape.filter((_, i) => i !== d);
  return { values: reshape(values, shape), indices: reshape(indices, shape) };
}

/**
 * `max(x)`: the largest element, ties sharing the gradient (PyTorch's max()). `max(x, dim)`: the
 * values and the indices of the first maximum along `dim`; the gradient goes to that index only
 * (PyTorch's value_selecting_reduction_backward), unlike amax's.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesAndIndices;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesAndIndices {
  return dim === undefined ? asCalled("max", () => amax(x)) : selectedAlong("max", x, dim, keepdim);
}

/** As `max`, for the smallest. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesAndIndices;
export function min(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesAndIndices {
  return dim === undefined ? asCalled("min", () => amin(x)) : selectedAlong("min", x, dim, keepdim);
}

/** Options of `variance` and `std`: PyTorch's `correction` and `keepdim`. */
export interface VarianceOptions {
  /** Subtracted from the count in the denominator: 1 (Bessel's correction, PyTorch's default) or 0. */
  correction?: number;
  keepdim?: boolean;
}

/** Variance over dims (all when omitted), PyTorch's `torch.var(x, dim, correction=1)`: Σ(x - mean)² / (N - correction). */
export function variance(x: Tensor, dim?: number | readonly number[], options?: VarianceOptions): Tensor {
  checkTensor("var", "input", x);
  const { correction = 1, keepdim = false } = checkOptions("var", options, ["correction", "keepdim"]);
  if (!isFloat(x.dtype)) throw new OpError("var", `expected a float tensor, got ${x.dtype}`);
  if (typeof correction !== "number" || !Number.isFinite(correction)) throw new OpError("var", `correction must be a number, got ${describeValue(correction)}`);
  const { dims } = reduceAttrs("var", x, dim, keepdim);
  const count = sizeOf(dims.map((d) => x.shape[d]));
  const centered = sub(x, div(sum(x, dims, true), scalarNode(count, x.dtype)));
  // N - correction <= 0 gives Infinity or NaN, as PyTorch's (it warns).
  return div(sum(mul(centered, centered), dims, keepdim), scalarNode(count - correction, x.dtype));
}

/** The square root of `variance`, with the same options (PyTorch's torch.std). */
export function std(x: Tensor, dim?: number | readonly number[], options?: VarianceOptions): Tensor {
  return asCalled("std", () => sqrt(variance(x, dim, options)));
}

/** root(s) for s > 0 and 0 elsewhere, with gradient 0 where s is 0 (PyTorch's norm backward masks norm == 0), instead of 0 · ∞. */
function safeRoot(s: Tensor, root: (positive: Tensor) => Tensor): Tensor {
  const positive = gt(s, 0);
  return where(positive, root(where(positive, s, 1)), 0);
}

/**
 * The vector p-norm over dims (all when omitted), PyTorch's torch.norm: p = 2 (and "fro", the
 * same over the given dims), 1, Infinity (the largest |x|, ties sharing the gradient), -Infinity,
 * 0 (the count of nonzeros, no gradient) or any other positive p. At a zero vector the gradient
 * is 0, as PyTorch's.
 */
export function norm(x: Tensor, p: number | "fro" = "fro", dim?: number | readonly number[], keepdim = false): Tensor {
  return asCalled("norm", () => pNorm(x, p, dim, keepdim));
}

function pNorm(x: Tensor, p: number | "fro", dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  checkTensor("norm", "input", x);
  if (!isFloat(x.dtype)) throw new OpError("norm", `expected a float tensor, got ${x.dtype}`);
  if (p !== "fro" && (typeof p !== "number" || Number.isNaN(p) || (p < 0 && p !== -Infinity))) {
    throw new OpError("norm", `p must be "fro", a non-negative number or ±Infinity, got ${describeValue(p)}`);
  }
  const magnitude = abs(x);
  if (p === Infinity) return amax(magnitude, dim, keepdim);
  if (p === -Infinity) return amin(magnitude, dim, keepdim);
  if (p === 1) return sum(magnitude, dim, keepdim);
  if (p === 0) return sum(where(gt(magnitude, 0), scalarNode(1, x.dtype), 0), dim, keepdim);
  if (p === "fro" || p === 2) return safeRoot(sum(mul(x, x), dim, keepdim), sqrt);
  // |x|^p has an infinite slope at 0 for p < 1: zeros take no gradient, as in PyTorch.
  return safeRoot(sum(safeRoot(magnitude, (m) => pow(m, p)), dim, keepdim), (s) => pow(s, 1 / p));
}

/** Running products along `dim` (torch.cumprod), with gradients exact at zeros (see linearScan). */
export function cumprod(x: Tensor, dim: number): Tensor {
  checkTensor("cumprod", "input", x);
  return asCalled("cumprod", () => linearScanNode(x, expand(scalarNode(0, x.dtype), x.shape), { dim, initial: 1 }));
}

function cumulative(op: string, indicesOp: typeof cummaxIndicesOp, x: Tensor, dim: number): ValuesAndIndices {
  checkTensor(op, "input", x);
  const indices = asCalled(op, () => apply(indicesOp, [x], { dim }));
  return { values: x.ndim === 0 ? x : gather(x, dim, indices), indices };
}

/** The running maximum along `dim` and where it was taken (the later index on ties; NaN stays), as torch.cummax. */
export function cummax(x: Tensor, dim: number): ValuesAndIndices {
  return cumulative("cummax", cummaxIndicesOp, x, dim);
}

/** The running minimum along `dim` and where it was taken, as torch.cummin. */
export function cummin(x: Tensor, dim: number): ValuesAndIndices {
  return cumulative("cummin", cumminIndicesOp, x, dim);
}

/** Sorted values along `dim` and their original indices (stable; NaN sorts as the largest), as torch.sort. */
export function sort(x: Tensor, dim = -1, descending = false): ValuesAndIndices {
  checkTensor("sort", "input", x);
  const indices = asCalled("sort", () => argsort(x, dim, descending));
  return { values: x.ndim === 0 ? x : gather(x, dim, indices), indices };
}

/**
 * The k largest (or smallest) values along `dim`, in sorted order, with their indices, as
 * torch.topk. Equal values come in index order (PyTorch leaves their order unspecified).
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true): ValuesAndIndices {
  checkTensor("topk", "input", x);
  const d = normalizeDim("topk", dim, Math.max(x.ndim, 1));
  const size = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isSafeInteger(k) || k < 0 || k > size) throw new OpError("topk", `selected index k (${describeValue(k)}) out of range (the dim has size ${size})`);
  const indices = asCalled("topk", () => (x.ndim === 0 ? argsort(x) : slice(argsort(x, d, largest), d, 0, k)));
  return { values: x.ndim === 0 ? x : gather(x, d, indices), indices };
}

/** torch.cumsum: running sums along `dim`; `reverse` sums from the end (TensorFlow's option). */
export function cumsum(x: Tensor, dim: number, options?: { reverse?: boolean }): Tensor {
  checkTensor("cumsum", "input", x);
  return cumsumNode(x, dim, checkOptions("cumsum", options, ["reverse"]));
}

/** The recurrence `h[t] = a[t]·h[t-1] + b[t]` along `dim` from `initial` (backwards with `reverse`), in one op with its own gradient. */
export function linearScan(a: Tensor, b: Tensor, options: { dim: number; reverse?: boolean; initial?: number }): Tensor {
  checkTensor("linearScan", "a", a);
  checkTensor("linearScan", "b", b);
  if (options === undefined) throw new OpError("linearScan", "expected options { dim, reverse?, initial? }, got undefined");
  return linearScanNode(a, b, checkOptions("linearScan", options, ["dim", "reverse", "initial"]));
}
