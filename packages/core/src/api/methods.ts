/**
 * The methods users call on a Tensor, installed on the IR's node class from here (the top layer),
 * so the IR itself imports nothing above it. Each is a one-line call of the functional API.
 */
import { allocate, copyOf, type DType, type TypedArray } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { flattenNested, type NestedArray, nest } from "../basics/nested";
import { formatShape, sameShape } from "../basics/shape";
import { describeValue } from "../ir/args";
import { Tensor, type TensorLike } from "../ir/tensor";
import { backward } from "../autodiff/backward";
import { evaluate } from "../exec/evaluate";
import * as F from "./functional";

/** Everything a Tensor offers beyond the IR node (ir/tensor.ts merges it into the class's type). */
export interface TensorMethods {
  /**
   * Gives a leaf new values (parameter updates, feeding a placeholder). Tensors built from it before
   * keep the values they were built with, as in PyTorch; a placeholder is an input slot, read
   * whenever a tensor built on it is evaluated.
   */
  assign(value: Tensor | TypedArray | NestedArray): this;
  /**
   * Realizes the value (running only the kernels it needs) and returns a copy of its flat
   * row-major data: yours to change, which changes no tensor.
   */
  data(): TypedArray;
  /**
   * The same values without the copy: the array the tensor itself holds. For speed where the
   * copy shows; never write to it (that would change this tensor and every value computed from it).
   */
  unsafeData(): TypedArray;
  toArray(): NestedArray;
  item(): number;
  /** Accumulates d(this)/d(leaf) into `.grad` of every leaf created with requiresGrad (PyTorch style). */
  backward(gradOutput?: Tensor): void;
  add(other: TensorLike): Tensor;
  sub(other: TensorLike): Tensor;
  mul(other: TensorLike): Tensor;
  /** True division: int32 operands are divided as float32 (PyTorch's `/`). */
  div(other: TensorLike): Tensor;
  /** Floor division, PyTorch's `//`; int32 stays int32. */
  floorDivide(other: TensorLike): Tensor;
  /** The remainder of floor division, with the divisor's sign (PyTorch's `%`). */
  remainder(other: TensorLike): Tensor;
  pow(other: TensorLike): Tensor;
  maximum(other: TensorLike): Tensor;
  minimum(other: TensorLike): Tensor;
  eq(other: TensorLike): Tensor;
  ne(other: TensorLike): Tensor;
  lt(other: TensorLike): Tensor;
  le(other: TensorLike): Tensor;
  gt(other: TensorLike): Tensor;
  ge(other: TensorLike): Tensor;
  neg(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  sqrt(): Tensor;
  abs(): Tensor;
  sign(): Tensor;
  tanh(): Tensor;
  sigmoid(): Tensor;
  relu(): Tensor;
  logicalAnd(other: TensorLike): Tensor;
  logicalOr(other: TensorLike): Tensor;
  logicalXor(other: TensorLike): Tensor;
  logicalNot(): Tensor;
  /** Whether some element (along dims) is nonzero, as bool. */
  any(dim?: number | number[], keepdim?: boolean): Tensor;
  /** Whether every element (along dims) is nonzero, as bool. */
  all(dim?: number | number[], keepdim?: boolean): Tensor;
  sin(): Tensor;
  cos(): Tensor;
  tan(): Tensor;
  asin(): Tensor;
  acos(): Tensor;
  atan(): Tensor;
  sinh(): Tensor;
  cosh(): Tensor;
  asinh(): Tensor;
  acosh(): Tensor;
  atanh(): Tensor;
  exp2(): Tensor;
  expm1(): Tensor;
  log2(): Tensor;
  log10(): Tensor;
  log1p(): Tensor;
  rsqrt(): Tensor;
  reciprocal(): Tensor;
  square(): Tensor;
  erf(): Tensor;
  erfc(): Tensor;
  floor(): Tensor;
  ceil(): Tensor;
  trunc(): Tensor;
  round(): Tensor;
  frac(): Tensor;
  isnan(): Tensor;
  isinf(): Tensor;
  isfinite(): Tensor;
  /** Replaces NaN with `nan` and ±Infinity with `posinf` / `neginf` (the dtype's largest finite values by default). */
  nanToNum(nan?: number, posinf?: number, neginf?: number): Tensor;
  /** Clamps into [min, max]; either bound may be left out (undefined), not both. */
  clamp(min?: TensorLike, max?: TensorLike): Tensor;
  /** clamp's alias, as in PyTorch. */
  clip(min?: TensorLike, max?: TensorLike): Tensor;
  atan2(other: TensorLike): Tensor;
  hypot(other: TensorLike): Tensor;
  copysign(other: TensorLike): Tensor;
  /** C's fmod: the remainder with the dividend's sign (`remainder` takes the divisor's). */
  fmod(other: TensorLike): Tensor;
  logAddExp(other: TensorLike): Tensor;
  lerp(end: Tensor, weight: TensorLike): Tensor;
  matmul(other: Tensor): Tensor;
  transpose(dim0: number, dim1: number): Tensor;
  /** The matrix transpose of a 2-D tensor (PyTorch's `.T` for 2-D). */
  readonly T: Tensor;
  permute(...dims: number[]): Tensor;
  reshape(...shape: number[]): Tensor;
  view(...shape: number[]): Tensor;
  /** Dims `startDim` to `endDim` (all, by default) merged into one. */
  flatten(startDim?: number, endDim?: number): Tensor;
  unflatten(dim: number, sizes: readonly number[]): Tensor;
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor;
  narrow(dim: number, start: number, length: number): Tensor;
  flip(...dims: number[]): Tensor;
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor;
  /** The whole tensor tiled `repeats[i]` times along dim i (PyTorch's `x.repeat`; see repeatInterleave for each element). */
  repeat(...repeats: number[]): Tensor;
  tile(...repeats: number[]): Tensor;
  repeatInterleave(repeats: number | readonly number[] | Tensor, dim?: number): Tensor;
  tril(diagonal?: number): Tensor;
  triu(diagonal?: number): Tensor;
  diag(diagonal?: number): Tensor;
  diagonal(offset?: number, dim1?: number, dim2?: number): Tensor;
  split(size: number | readonly number[], dim?: number): Tensor[];
  chunk(chunks: number, dim?: number): Tensor[];
  unbind(dim?: number): Tensor[];
  /** Windows of `size` elements along `dim`, `step` apart, as a new last dim. */
  unfold(dim: number, size: number, step: number): Tensor;
  expand(...shape: number[]): Tensor;
  squeeze(dim?: number): Tensor;
  unsqueeze(dim: number): Tensor;
  slice(dim: number, start: number, end?: number, step?: number): Tensor;
  /** `x.select(dim, i)`: index `i` along `dim`, dropping that dim (PyTorch's `x[..., i, ...]`). */
  select(dim: number, index: number): Tensor;
  sum(dim?: number | number[], keepdim?: boolean): Tensor;
  mean(dim?: number | number[], keepdim?: boolean): Tensor;
  /** The largest element (ties share the gradient), or along `dim` the values and indices of the first maximum. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): F.ValuesAndIndices;
  min(): Tensor;
  min(dim: number, keepdim?: boolean): F.ValuesAndIndices;
  amax(dim?: number | number[], keepdim?: boolean): Tensor;
  amin(dim?: number | number[], keepdim?: boolean): Tensor;
  argmax(dim?: number, keepdim?: boolean): Tensor;
  argmin(dim?: number, keepdim?: boolean): Tensor;
  prod(dim?: number | number[], keepdim?: boolean): Tensor;
  /** Variance with Bessel's correction by default (PyTorch's `x.var()`). */
  var(dim?: number | number[], options?: F.VarianceOptions): Tensor;
  std(dim?: number | number[], options?: F.VarianceOptions): Tensor;
  norm(p?: number | "fro", dim?: number | number[], keepdim?: boolean): Tensor;
  logSumExp(dim: number, keepdim?: boolean): Tensor;
  cumsum(dim: number): Tensor;
  cumprod(dim: number): Tensor;
  cummax(dim: number): F.ValuesAndIndices;
  cummin(dim: number): F.ValuesAndIndices;
  sort(dim?: number, descending?: boolean): F.ValuesAndIndices;
  argsort(dim?: number, descending?: boolean): Tensor;
  topk(k: number, dim?: number, largest?: boolean): F.ValuesAndIndices;
  softmax(dim: number): Tensor;
  logSoftmax(dim: number): Tensor;
  gather(dim: number, index: Tensor): Tensor;
  indexSelect(dim: number, index: Tensor): Tensor;
  /** PyTorch's `x[...]`: `x[0, :, i]` is `x.index([0, null, i])` (the table is at `index` in api/indexing.ts). */
  index(indices: readonly F.IndexEntry[]): Tensor;
  /** `x[indices] = values` (or `+=` with accumulate) out of place: an int32 tensor or null per leading dim. */
  indexPut(indices: readonly (Tensor | null)[], values: Tensor, accumulate?: boolean): Tensor;
  indexAdd(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor;
  scatter(dim: number, index: Tensor, src: TensorLike): Tensor;
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
  scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: F.ScatterReduction, options?: { includeSelf?: boolean }): Tensor;
  take(index: Tensor): Tensor;
  takeAlongDim(indices: Tensor, dim?: number): Tensor;
  /** `value` where the mask is nonzero (masks are 0/1 tensors of any dtype until there is a bool dtype). */
  maskedFill(mask: Tensor, value: TensorLike): Tensor;
  /** The elements where the mask is nonzero, 1-D; the mask is evaluated now (its values decide the length). */
  maskedSelect(mask: Tensor): Tensor;
  /** Coordinates of the nonzero elements, int32 [count, rank] (or one 1-D tensor per dim with asTuple); evaluated now. */
  nonzero(options?: { asTuple?: false }): Tensor;
  nonzero(options: { asTuple: true }): Tensor[];
  nonzero(options?: { asTuple?: boolean }): Tensor | Tensor[];
  cast(dtype: DType): Tensor;
  detach(): Tensor;
}

function assign<T extends Tensor>(this: T, value: Tensor | TypedArray | NestedArray): T {
  if (!this.isLeaf) throw new Error(`assign: only leaf tensors can be assigned, this is the output of '${this.op}'`);
  if (this.frozen) throw new Error("assign: this is a shared constant and cannot change");
  let data: TypedArray;
  if (value instanceof Tensor) {
    if (!sameShape(value.shape, this.shape) || value.dtype !== this.dtype) {
      throw new OpError("assign", `expected ${this.dtype} ${formatShape(this.shape)}, got ${value.dtype} ${formatShape(value.shape)}`);
    }
    data = copyOf(evaluate([value])[0]);
  } else {
    if (typeof value !== "number" && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
      throw new OpError("assign", `expected a Tensor, a typed array or (nested) numbers, got ${describeValue(value)}`);
    }
    const flat = ArrayBuffer.isView(value) ? (value as TypedArray) : flattenNested(value, "assign").values;
    if (flat.length !== this.size) {
      throw new OpError("assign", `expected ${this.size} values for shape ${formatShape(this.shape)}, got ${flat.length}`);
    }
    data = allocate(this.dtype, this.size);
    data.set(flat);
  }
  this.setLeafData(data);
  return this;
}

function item(this: Tensor): number {
  if (this.size !== 1) throw new Error(`item: a Tensor with ${this.size} elements cannot be converted to a number`);
  return evaluate([this])[0][0];
}

const methods: Omit<TensorMethods, "T"> & ThisType<Tensor> = {
  assign,
  data() { return copyOf(evaluate([this])[0]); },
  unsafeData() { return evaluate([this])[0]; },
  toArray() { return nest(evaluate([this])[0], this.shape); },
  item,
  backward(gradOutput) { backward(this, gradOutput); },
  add(other) { return F.add(this, other); },
  sub(other) { return F.sub(this, other); },
  mul(other) { return F.mul(this, other); },
  div(other) { return F.div(this, other); },
  floorDivide(other) { return F.floorDivide(this, other); },
  remainder(other) { return F.remainder(this, other); },
  pow(other) { return F.pow(this, other); },
  maximum(other) { return F.maximum(this, other); },
  minimum(other) { return F.minimum(this, other); },
  eq(other) { return F.eq(this, other); },
  ne(other) { return F.ne(this, other); },
  lt(other) { return F.lt(this, other); },
  le(other) { return F.le(this, other); },
  gt(other) { return F.gt(this, other); },
  ge(other) { return F.ge(this, other); },
  neg() { return F.neg(this); },
  exp() { return F.exp(this); },
  log() { return F.log(this); },
  sqrt() { return F.sqrt(this); },
  abs() { return F.abs(this); },
  sign() { return F.sign(this); },
  tanh() { return F.tanh(this); },
  sigmoid() { return F.sigmoid(this); },
  relu() { return F.relu(this); },
  logicalAnd(other) { return F.logicalAnd(this, other); },
  logicalOr(other) { return F.logicalOr(this, other); },
  logicalXor(other) { return F.logicalXor(this, other); },
  logicalNot() { return F.logicalNot(this); },
  any(dim, keepdim = false) { return F.any(this, dim, keepdim); },
  all(dim, keepdim = false) { return F.all(this, dim, keepdim); },
  sin() { return F.sin(this); },
  cos() { return F.cos(this); },
  tan() { return F.tan(this); },
  asin() { return F.asin(this); },
  acos() { return F.acos(this); },
  atan() { return F.atan(this); },
  sinh() { return F.sinh(this); },
  cosh() { return F.cosh(this); },
  asinh() { return F.asinh(this); },
  acosh() { return F.acosh(this); },
  atanh() { return F.atanh(this); },
  exp2() { return F.exp2(this); },
  expm1() { return F.expm1(this); },
  log2() { return F.log2(this); },
  log10() { return F.log10(this); },
  log1p() { return F.log1p(this); },
  rsqrt() { return F.rsqrt(this); },
  reciprocal() { return F.reciprocal(this); },
  square() { return F.square(this); },
  erf() { return F.erf(this); },
  erfc() { return F.erfc(this); },
  floor() { return F.floor(this); },
  ceil() { return F.ceil(this); },
  trunc() { return F.trunc(this); },
  round() { return F.round(this); },
  frac() { return F.frac(this); },
  isnan() { return F.isnan(this); },
  isinf() { return F.isinf(this); },
  isfinite() { return F.isfinite(this); },
  nanToNum(nan, posinf, neginf) { return F.nanToNum(this, nan, posinf, neginf); },
  clamp(min, max) { return F.clamp(this, min, max); },
  clip(min, max) { return F.clamp(this, min, max); },
  atan2(other) { return F.atan2(this, other); },
  hypot(other) { return F.hypot(this, other); },
  copysign(other) { return F.copysign(this, other); },
  fmod(other) { return F.fmod(this, other); },
  logAddExp(other) { return F.logAddExp(this, other); },
  lerp(end, weight) { return F.lerp(this, end, weight); },
  matmul(other) { return F.matmul(this, other); },
  transpose(dim0, dim1) { return F.transpose(this, dim0, dim1); },
  permute(...dims) { return F.permute(this, dims); },
  reshape(...shape) { return F.reshape(this, shape); },
  view(...shape) { return F.reshape(this, shape); },
  flatten(startDim, endDim) { return F.flatten(this, startDim, endDim); },
  unflatten(dim, sizes) { return F.unflatten(this, dim, sizes); },
  movedim(source, destination) { return F.movedim(this, source, destination); },
  narrow(dim, start, length) { return F.narrow(this, dim, start, length); },
  flip(...dims) { return F.flip(this, dims); },
  roll(shifts, dims) { return F.roll(this, shifts, dims); },
  repeat(...repeats) { return F.repeat(this, repeats); },
  tile(...repeats) { return F.tile(this, repeats); },
  repeatInterleave(repeats, dim) { return F.repeatInterleave(this, repeats, dim); },
  tril(diagonal) { return F.tril(this, diagonal); },
  triu(diagonal) { return F.triu(this, diagonal); },
  diag(diagonal) { return F.diag(this, diagonal); },
  diagonal(offset, dim1, dim2) { return F.diagonal(this, offset, dim1, dim2); },
  split(size, dim) { return F.split(this, size, dim); },
  chunk(chunks, dim) { return F.chunk(this, chunks, dim); },
  unbind(dim) { return F.unbind(this, dim); },
  unfold(dim, size, step) { return F.unfold(this, dim, size, step); },
  expand(...shape) { return F.expand(this, shape); },
  squeeze(dim) { return F.squeeze(this, dim); },
  unsqueeze(dim) { return F.unsqueeze(this, dim); },
  slice(dim, start, end, step) { return F.slice(this, dim, start, end, step); },
  select(dim, index) { return F.select(this, dim, index); },
  sum(dim, keepdim = false) { return F.sum(this, dim, keepdim); },
  mean(dim, keepdim = false) { return F.mean(this, dim, keepdim); },
  max: function (this: Tensor, dim?: number, keepdim: boolean = false) {
    return dim === undefined ? F.max(this) : F.max(this, dim, keepdim);
  } as TensorMethods["max"],
  min: function (this: Tensor, dim?: number, keepdim: boolean = false) {
    return dim === undefined ? F.min(this) : F.min(this, dim, keepdim);
  } as TensorMethods["min"],
  amax(dim, keepdim = false) { return F.amax(this, dim, keepdim); },
  amin(dim, keepdim = false) { return F.amin(this, dim, keepdim); },
  argmax(dim, keepdim = false) { return F.argmax(this, dim, keepdim); },
  argmin(dim, keepdim = false) { return F.argmin(this, dim, keepdim); },
  prod(dim, keepdim = false) { return F.prod(this, dim, keepdim); },
  var(dim, options) { return F.variance(this, dim, options); },
  std(dim, options) { return F.std(this, dim, options); },
  norm(p, dim, keepdim = false) { return F.norm(this, p, dim, keepdim); },
  logSumExp(dim, keepdim = false) { return F.logSumExp(this, dim, keepdim); },
  cumsum(dim) { return F.cumsum(this, dim); },
  cumprod(dim) { return F.cumprod(this, dim); },
  cummax(dim) { return F.cummax(this, dim); },
  cummin(dim) { return F.cummin(this, dim); },
  sort(dim, descending) { return F.sort(this, dim, descending); },
  argsort(dim, descending) { return F.argsort(this, dim, descending); },
  topk(k, dim, largest) { return F.topk(this, k, dim, largest); },
  softmax(dim) { return F.softmax(this, dim); },
  logSoftmax(dim) { return F.logSoftmax(this, dim); },
  gather(dim, index) { return F.gather(this, dim, index); },
  indexSelect(dim, index) { return F.indexSelect(this, dim, index); },
  index(indices) { return F.index(this, indices); },
  indexPut(indices, values, accumulate = false) { return F.indexPut(this, indices, values, accumulate); },
  indexAdd(dim, index, source, options) { return F.indexAdd(this, dim, index, source, options); },
  scatter(dim, index, src) { return F.scatter(this, dim, index, src); },
  scatterAdd(dim, index, src) { return F.scatterAdd(this, dim, index, src); },
  scatterReduce(dim, index, src, reduce, options) { return F.scatterReduce(this, dim, index, src, reduce, options); },
  take(index) { return F.take(this, index); },
  takeAlongDim(indices, dim) { return F.takeAlongDim(this, indices, dim); },
  maskedFill(mask, value) { return F.maskedFill(this, mask, value); },
  maskedSelect(mask) { return F.maskedSelect(this, mask); },
  nonzero: function (this: Tensor, options?: { asTuple?: boolean }) { return F.nonzero(this, options); } as TensorMethods["nonzero"],
  cast(dtype) { return F.cast(this, dtype); },
  detach() { return F.detach(this); },
};

for (const [name, method] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true });
}
Object.defineProperty(Tensor.prototype, "T", {
  get(this: Tensor) { return F.transpose(this, 0, 1); },
  configurable: true,
});

