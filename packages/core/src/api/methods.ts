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
import { asCalled, checkTensorArgument, checkTensorOrNumberArgument, sizesArgument } from "./arguments";
import * as F from "./functional";

/** What the methods that take sizes or dims receive: the numbers one by one, or one array of them. */
type SizesArguments = (number | readonly number[])[];
import { formatTensor } from "./print";

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
  /** The value as nested arrays of numbers (PyTorch's `x.tolist()`); bools as 1 and 0. */
  toArray(): NestedArray;
  /** The value of a one-element tensor as a number (PyTorch's `x.item()`); throws for any other size. */
  item(): number;
  /** Accumulates d(this)/d(leaf) into `.grad` of every leaf created with requiresGrad (PyTorch style). */
  backward(gradOutput?: Tensor): void;
  /** `this + other`, broadcast and promoted as PyTorch's `add`. */
  add(other: TensorLike): Tensor;
  /** `this - other`, broadcast and promoted as PyTorch's `sub`. */
  sub(other: TensorLike): Tensor;
  /** `this * other`, broadcast and promoted as PyTorch's `mul`. */
  mul(other: TensorLike): Tensor;
  /** True division: int32 operands are divided as float32 (PyTorch's `/`). */
  div(other: TensorLike): Tensor;
  /** Floor division, PyTorch's `//`; int32 stays int32. */
  floorDivide(other: TensorLike): Tensor;
  /** The remainder of floor division, with the divisor's sign (PyTorch's `%`). */
  remainder(other: TensorLike): Tensor;
  /** `this ** other` (PyTorch's `pow`), with PyTorch's gradient at base 0. */
  pow(other: TensorLike): Tensor;
  /** The elementwise larger of the two (NaN wins, as in PyTorch's `maximum`). */
  maximum(other: Tensor): Tensor;
  /** The elementwise smaller of the two (NaN wins, as in PyTorch's `minimum`). */
  minimum(other: Tensor): Tensor;
  /** `this == other`, as bool. */
  eq(other: TensorLike): Tensor;
  /** `this != other`, as bool. */
  ne(other: TensorLike): Tensor;
  /** `this < other`, as bool. */
  lt(other: TensorLike): Tensor;
  /** `this <= other`, as bool. */
  le(other: TensorLike): Tensor;
  /** `this > other`, as bool. */
  gt(other: TensorLike): Tensor;
  /** `this >= other`, as bool. */
  ge(other: TensorLike): Tensor;
  /** `-this`. */
  neg(): Tensor;
  /** e to the power of each element. */
  exp(): Tensor;
  /** The natural logarithm of each element. */
  log(): Tensor;
  /** The square root of each element. */
  sqrt(): Tensor;
  /** The absolute value of each element. */
  abs(): Tensor;
  /** -1, 0 or 1 by each element's sign. */
  sign(): Tensor;
  /** The hyperbolic tangent of each element. */
  tanh(): Tensor;
  /** `1 / (1 + exp(-x))` for each element. */
  sigmoid(): Tensor;
  /** `max(x, 0)` for each element. */
  relu(): Tensor;
  /** Both nonzero, as bool (PyTorch's `logical_and`). */
  logicalAnd(other: Tensor): Tensor;
  /** Either nonzero, as bool (PyTorch's `logical_or`). */
  logicalOr(other: Tensor): Tensor;
  /** Exactly one nonzero, as bool (PyTorch's `logical_xor`). */
  logicalXor(other: Tensor): Tensor;
  /** Zero, as bool (PyTorch's `logical_not`). */
  logicalNot(): Tensor;
  /** Whether some element (along dims) is nonzero, as bool. */
  any(dim?: number | number[], keepdim?: boolean): Tensor;
  /** Whether every element (along dims) is nonzero, as bool. */
  all(dim?: number | number[], keepdim?: boolean): Tensor;
  /** The sine of each element (radians). */
  sin(): Tensor;
  /** The cosine of each element (radians). */
  cos(): Tensor;
  /** The tangent of each element (radians). */
  tan(): Tensor;
  /** The arcsine of each element. */
  asin(): Tensor;
  /** The arccosine of each element. */
  acos(): Tensor;
  /** The arctangent of each element. */
  atan(): Tensor;
  /** The hyperbolic sine of each element. */
  sinh(): Tensor;
  /** The hyperbolic cosine of each element. */
  cosh(): Tensor;
  /** The inverse hyperbolic sine of each element. */
  asinh(): Tensor;
  /** The inverse hyperbolic cosine of each element. */
  acosh(): Tensor;
  /** The inverse hyperbolic tangent of each element. */
  atanh(): Tensor;
  /** 2 to the power of each element. */
  exp2(): Tensor;
  /** `exp(x) - 1`, accurate near 0. */
  expm1(): Tensor;
  /** The base-2 logarithm of each element. */
  log2(): Tensor;
  /** The base-10 logarithm of each element. */
  log10(): Tensor;
  /** `log(1 + x)`, accurate near 0. */
  log1p(): Tensor;
  /** `1 / sqrt(x)` for each element. */
  rsqrt(): Tensor;
  /** `1 / x` for each element. */
  reciprocal(): Tensor;
  /** `x * x` for each element. */
  square(): Tensor;
  /** The error function of each element. */
  erf(): Tensor;
  /** `1 - erf(x)`, accurate where erf is near 1. */
  erfc(): Tensor;
  /** Each element rounded down. */
  floor(): Tensor;
  /** Each element rounded up. */
  ceil(): Tensor;
  /** Each element rounded toward zero. */
  trunc(): Tensor;
  /** Each element rounded to the nearest integer, halves to even (as PyTorch). */
  round(): Tensor;
  /** `x - trunc(x)`: the fractional part, with x's sign. */
  frac(): Tensor;
  /** Whether each element is NaN, as bool. */
  isnan(): Tensor;
  /** Whether each element is ±Infinity, as bool. */
  isinf(): Tensor;
  /** Whether each element is neither NaN nor ±Infinity, as bool. */
  isfinite(): Tensor;
  /** Replaces NaN with `nan` and ±Infinity with `posinf` / `neginf` (the dtype's largest finite values by default). */
  nanToNum(nan?: number, posinf?: number, neginf?: number): Tensor;
  /** Clamps into [min, max]; either bound may be left out (undefined), not both. */
  clamp(min?: TensorLike, max?: TensorLike): Tensor;
  /** clamp's alias, as in PyTorch. */
  clip(min?: TensorLike, max?: TensorLike): Tensor;
  /** The angle of the point (other, this): PyTorch's `atan2(this, other)`. */
  atan2(other: Tensor): Tensor;
  /** `sqrt(this² + other²)` without overflow. */
  hypot(other: Tensor): Tensor;
  /** `|this|` with the sign of `other`. */
  copysign(other: TensorLike): Tensor;
  /** C's fmod: the remainder with the dividend's sign (`remainder` takes the divisor's). */
  fmod(other: TensorLike): Tensor;
  /** `log(exp(this) + exp(other))` without overflow (PyTorch's `logaddexp`). */
  logAddExp(other: Tensor): Tensor;
  /** `this + weight * (end - this)`: linear interpolation. */
  lerp(end: Tensor, weight: TensorLike): Tensor;
  /**
   * The matrix product, PyTorch's `this @ other`: 1-D operands and broadcast batch dims as `torch.matmul`.
   */
  matmul(other: Tensor): Tensor;
  /** The two dims swapped. */
  transpose(dim0: number, dim1: number): Tensor;
  /** The matrix transpose of a 2-D tensor (PyTorch's `.T` for 2-D). */
  readonly T: Tensor;
  /** The dims in the order given: dim i of the result is dim `dims[i]` of this. */
  permute(...dims: number[]): Tensor;
  /** `permute` with the dims as one array. */
  permute(dims: readonly number[]): Tensor;
  /** The same elements in row-major order with the sizes given; one size may be -1 (inferred). */
  reshape(...shape: number[]): Tensor;
  /** `reshape` with the sizes as one array. */
  reshape(shape: readonly number[]): Tensor;
  /** `reshape`: a lazy graph has no aliasing for a view to differ by. */
  view(...shape: number[]): Tensor;
  /** `view` with the sizes as one array. */
  view(shape: readonly number[]): Tensor;
  /** Dims `startDim` to `endDim` (all, by default) merged into one. */
  flatten(startDim?: number, endDim?: number): Tensor;
  /** Dim `dim` split into `sizes` (one may be -1). */
  unflatten(dim: number, sizes: readonly number[]): Tensor;
  /** The dims at `source` moved to `destination`, the others keeping their order. */
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor;
  /** `length` elements along `dim` from `start`. */
  narrow(dim: number, start: number, length: number): Tensor;
  /** The order of the elements reversed along each of `dims`. */
  flip(...dims: number[]): Tensor;
  /** `flip` with the dims as one array. */
  flip(dims: readonly number[]): Tensor;
  /** The elements shifted along `dims` by `shifts`, wrapping around (the flattened tensor without dims). */
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor;
  /** The whole tensor tiled `repeats[i]` times along dim i (PyTorch's `x.repeat`; see repeatInterleave for each element). */
  repeat(...repeats: number[]): Tensor;
  /** `repeat` with the repeats as one array. */
  repeat(repeats: readonly number[]): Tensor;
  /** PyTorch's `tile`: `repeat`, with missing leading repeats taken as 1. */
  tile(...dims: number[]): Tensor;
  /** `tile` with the repeats as one array. */
  tile(dims: readonly number[]): Tensor;
  /**
   * Each element repeated `repeats` times (or `repeats[i]` times) along `dim` (the flattened tensor without
   * one).
   */
  repeatInterleave(repeats: number | readonly number[] | Tensor, dim?: number): Tensor;
  /** The lower triangle of the last two dims (on and below the `diagonal`-th diagonal), zeros elsewhere. */
  tril(diagonal?: number): Tensor;
  /** The upper triangle of the last two dims (on and above the `diagonal`-th diagonal), zeros elsewhere. */
  triu(diagonal?: number): Tensor;
  /** A 1-D tensor as a diagonal matrix, or a matrix's diagonal as 1-D (PyTorch's `diag`). */
  diag(diagonal?: number): Tensor;
  /** The diagonal of dims `dim1` and `dim2` (shifted by `offset`) as the last dim. */
  diagonal(offset?: number, dim1?: number, dim2?: number): Tensor;
  /** Pieces of `size` along `dim` (the last may be smaller), or pieces of the sizes listed. */
  split(size: number | readonly number[], dim?: number): Tensor[];
  /** At most `chunks` pieces of equal size along `dim` (the last may be smaller). */
  chunk(chunks: number, dim?: number): Tensor[];
  /** Every index along `dim`, that dim removed. */
  unbind(dim?: number): Tensor[];
  /** Windows of `size` elements along `dim`, `step` apart, as a new last dim. */
  unfold(dim: number, size: number, step: number): Tensor;
  /** Size-1 dims broadcast to the sizes given (-1 keeps a size; new leading dims allowed). */
  expand(...shape: number[]): Tensor;
  /** `expand` with the sizes as one array. */
  expand(shape: readonly number[]): Tensor;
  /** Without the size-1 dims (or only `dim`, if it has size 1). */
  squeeze(dim?: number): Tensor;
  /** A size-1 dim inserted at `dim`. */
  unsqueeze(dim: number): Tensor;
  /** Python's `[start:end:step]` along `dim`: bounds negative from the end and clamped. */
  slice(dim: number, start: number, end?: number, step?: number): Tensor;
  /** `x.select(dim, i)`: index `i` along `dim`, dropping that dim (PyTorch's `x[..., i, ...]`). */
  select(dim: number, index: number): Tensor;
  /** The sum over `dim` (every dim if left out); `keepdim` keeps them with size 1. */
  sum(dim?: number | number[], keepdim?: boolean): Tensor;
  /** The mean over `dim` (every dim if left out), of a float tensor. */
  mean(dim?: number | number[], keepdim?: boolean): Tensor;
  /** The largest element (ties share the gradient), or along `dim` the values and indices of the first maximum. */
  max(): Tensor;
  /** Along `dim`: the largest values and the index of each (the first of ties). */
  max(dim: number, keepdim?: boolean): F.ValuesAndIndices;
  /** The smallest element (ties share the gradient). */
  min(): Tensor;
  /** Along `dim`: the smallest values and the index of each (the first of ties). */
  min(dim: number, keepdim?: boolean): F.ValuesAndIndices;
  /** The largest value over `dim` (every dim if left out); ties share the gradient. */
  amax(dim?: number | number[], keepdim?: boolean): Tensor;
  /** The smallest value over `dim` (every dim if left out); ties share the gradient. */
  amin(dim?: number | number[], keepdim?: boolean): Tensor;
  /** The index of the largest value along `dim` (of the flattened tensor if left out), int32. */
  argmax(dim?: number, keepdim?: boolean): Tensor;
  /** The index of the smallest value along `dim` (of the flattened tensor if left out), int32. */
  argmin(dim?: number, keepdim?: boolean): Tensor;
  /** The product over `dim` (every dim if left out), with PyTorch's gradient where elements are 0. */
  prod(dim?: number | number[], keepdim?: boolean): Tensor;
  /** Variance with Bessel's correction by default (PyTorch's `x.var()`). */
  var(dim?: number | number[], options?: F.VarianceOptions): Tensor;
  /** The standard deviation, with Bessel's correction by default (PyTorch's `x.std()`). */
  std(dim?: number | number[], options?: F.VarianceOptions): Tensor;
  /** The p-norm over `dim` (2 and every dim by default; p may be 0, ±Infinity or "fro"). */
  norm(p?: number | "fro", dim?: number | number[], keepdim?: boolean): Tensor;
  /** `log(sum(exp(x)))` along `dim`, without overflow. */
  logSumExp(dim: number, keepdim?: boolean): Tensor;
  /** Running sums along `dim`. */
  cumsum(dim: number): Tensor;
  /** Running products along `dim`. */
  cumprod(dim: number): Tensor;
  /** Running maxima along `dim` and where each was found. */
  cummax(dim: number): F.ValuesAndIndices;
  /** Running minima along `dim` and where each was found. */
  cummin(dim: number): F.ValuesAndIndices;
  /** Sorted along `dim` (the last by default), stably, with the indices the values came from. */
  sort(dim?: number, descending?: boolean): F.ValuesAndIndices;
  /** The indices that sort along `dim` (the last by default), stably. */
  argsort(dim?: number, descending?: boolean): Tensor;
  /** The `k` largest (or smallest) along `dim` (the last by default), in order, with their indices. */
  topk(k: number, dim?: number, largest?: boolean): F.ValuesAndIndices;
  /** `exp(x) / sum(exp(x))` along `dim`. */
  softmax(dim: number): Tensor;
  /** `log(softmax(x))` along `dim`, computed without overflow. */
  logSoftmax(dim: number): Tensor;
  /** `out[i][j] = this[index[i][j]][j]` for dim 0, and so on (PyTorch's `gather`). */
  gather(dim: number, index: Tensor): Tensor;
  /** The entries along `dim` at the int32 indices in the 1-D `index`. */
  indexSelect(dim: number, index: Tensor): Tensor;
  /** PyTorch's `x[...]`: `x[0, :, i]` is `x.index([0, null, i])` (the table is at `index` in api/indexing.ts). */
  index(indices: readonly F.IndexEntry[]): Tensor;
  /** `x[indices] = values` (or `+=` with accumulate) out of place: an int32 tensor or null per leading dim. */
  indexPut(indices: readonly (Tensor | null)[], values: Tensor, accumulate?: boolean): Tensor;
  /** `source` (times `alpha`) added into the entries along `dim` at `index`, out of place. */
  indexAdd(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor;
  /** `src` written at `index` along `dim`, out of place (PyTorch's `scatter`). */
  scatter(dim: number, index: Tensor, src: TensorLike): Tensor;
  /** `src` added at `index` along `dim`, out of place (PyTorch's `scatter_add`). */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
  /** `src` combined at `index` along `dim` by `reduce`, out of place (PyTorch's `scatter_reduce`). */
  scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: F.ScatterReduction, options?: { includeSelf?: boolean }): Tensor;
  /** The flattened tensor read at `index`; the result has index's shape. */
  take(index: Tensor): Tensor;
  /** `gather` after broadcasting this and `indices` (PyTorch's `take_along_dim`). */
  takeAlongDim(indices: Tensor, dim?: number): Tensor;
  /** `value` where the mask is nonzero (a bool mask, as comparisons give, or a tensor of any dtype). */
  maskedFill(mask: Tensor, value: TensorLike): Tensor;
  /** The elements where the mask is nonzero, 1-D; the mask is evaluated now (its values decide the length). */
  maskedSelect(mask: Tensor): Tensor;
  /** Coordinates of the nonzero elements, int32 [count, rank] (or one 1-D tensor per dim with asTuple); evaluated now. */
  nonzero(options?: { asTuple?: false }): Tensor;
  /** One int32 tensor of coordinates per dim (PyTorch's `nonzero(as_tuple=True)`); evaluated now. */
  nonzero(options: { asTuple: true }): Tensor[];
  /** The coordinates of the nonzero elements, in either form; evaluated now. */
  nonzero(options?: { asTuple?: boolean }): Tensor | Tensor[];
  /** The values converted to `dtype` (float to int truncates toward zero, as PyTorch). */
  cast(dtype: DType): Tensor;
  /** The same values, cut off from the graph: no gradient flows through. */
  detach(): Tensor;
  /**
   * The tensor as PyTorch prints it, `tensor([[0.7465, 0.6976]], grad_fn=<tanh>)`, under the options of
   * `setPrintOptions`; console.log shows the same. Evaluates the tensor (see api/print.ts); `describe()`
   * is the short label that does not.
   */
  toString(): string;
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

/** `x.clamp(min, max)` and its alias `x.clip`, each named in its errors, with the bounds numbered as the method's arguments. */
function clampMethod(name: string, x: Tensor, min: unknown, max: unknown): Tensor {
  if (min !== undefined) checkTensorOrNumberArgument(name, "min", 1, min);
  if (max !== undefined) checkTensorOrNumberArgument(name, "max", 2, max);
  return asCalled(name, () => F.clamp(x, min, max));
}

const methods: Omit<TensorMethods, "T"> & ThisType<Tensor> = {
  assign,
  data() { return copyOf(evaluate([this])[0]); },
  unsafeData() { return evaluate([this])[0]; },
  toArray() { return nest(evaluate([this])[0], this.shape); },
  item,
  backward(gradOutput) {
    if (gradOutput !== undefined) checkTensorArgument("backward", "gradient", 1, gradOutput);
    backward(this, gradOutput);
  },
  add(other) {
    checkTensorOrNumberArgument("add", "other", 1, other);
    return F.add(this, other);
  },
  sub(other) {
    checkTensorOrNumberArgument("sub", "other", 1, other);
    return F.sub(this, other);
  },
  mul(other) {
    checkTensorOrNumberArgument("mul", "other", 1, other);
    return F.mul(this, other);
  },
  div(other) {
    checkTensorOrNumberArgument("div", "other", 1, other);
    return F.div(this, other);
  },
  floorDivide(other) {
    checkTensorOrNumberArgument("floorDivide", "other", 1, other);
    return F.floorDivide(this, other);
  },
  remainder(other) {
    checkTensorOrNumberArgument("remainder", "other", 1, other);
    return F.remainder(this, other);
  },
  pow(other) {
    checkTensorOrNumberArgument("pow", "other", 1, other);
    return F.pow(this, other);
  },
  maximum(other) {
    checkTensorArgument("maximum", "other", 1, other);
    return F.maximum(this, other);
  },
  minimum(other) {
    checkTensorArgument("minimum", "other", 1, other);
    return F.minimum(this, other);
  },
  eq(other) {
    checkTensorOrNumberArgument("eq", "other", 1, other);
    return F.eq(this, other);
  },
  ne(other) {
    checkTensorOrNumberArgument("ne", "other", 1, other);
    return F.ne(this, other);
  },
  lt(other) {
    checkTensorOrNumberArgument("lt", "other", 1, other);
    return F.lt(this, other);
  },
  le(other) {
    checkTensorOrNumberArgument("le", "other", 1, other);
    return F.le(this, other);
  },
  gt(other) {
    checkTensorOrNumberArgument("gt", "other", 1, other);
    return F.gt(this, other);
  },
  ge(other) {
    checkTensorOrNumberArgument("ge", "other", 1, other);
    return F.ge(this, other);
  },
  neg() { return F.neg(this); },
  exp() { return F.exp(this); },
  log() { return F.log(this); },
  sqrt() { return F.sqrt(this); },
  abs() { return F.abs(this); },
  sign() { return F.sign(this); },
  tanh() { return F.tanh(this); },
  sigmoid() { return F.sigmoid(this); },
  relu() { return F.relu(this); },
  logicalAnd(other) {
    checkTensorArgument("logicalAnd", "other", 1, other);
    return F.logicalAnd(this, other);
  },
  logicalOr(other) {
    checkTensorArgument("logicalOr", "other", 1, other);
    return F.logicalOr(this, other);
  },
  logicalXor(other) {
    checkTensorArgument("logicalXor", "other", 1, other);
    return F.logicalXor(this, other);
  },
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
  clamp(min, max) { return clampMethod("clamp", this, min, max); },
  clip(min, max) { return clampMethod("clip", this, min, max); },
  atan2(other) {
    checkTensorArgument("atan2", "other", 1, other);
    return F.atan2(this, other);
  },
  hypot(other) {
    checkTensorArgument("hypot", "other", 1, other);
    return F.hypot(this, other);
  },
  copysign(other) {
    checkTensorOrNumberArgument("copysign", "other", 1, other);
    return F.copysign(this, other);
  },
  fmod(other) {
    checkTensorOrNumberArgument("fmod", "other", 1, other);
    return F.fmod(this, other);
  },
  logAddExp(other) {
    checkTensorArgument("logAddExp", "other", 1, other);
    return F.logAddExp(this, other);
  },
  lerp(end, weight) {
    checkTensorArgument("lerp", "end", 1, end);
    checkTensorOrNumberArgument("lerp", "weight", 2, weight);
    return F.lerp(this, end, weight);
  },
  matmul(other) {
    checkTensorArgument("matmul", "other", 1, other);
    return F.matmul(this, other);
  },
  transpose(dim0, dim1) { return F.transpose(this, dim0, dim1); },
  permute(...dims: SizesArguments) { return F.permute(this, sizesArgument("permute", "dims", dims)); },
  reshape(...shape: SizesArguments) { return F.reshape(this, sizesArgument("reshape", "shape", shape)); },
  view(...shape: SizesArguments) { return asCalled("view", () => F.reshape(this, sizesArgument("view", "shape", shape))); },
  flatten(startDim, endDim) { return F.flatten(this, startDim, endDim); },
  unflatten(dim, sizes) { return F.unflatten(this, dim, sizes); },
  movedim(source, destination) { return F.movedim(this, source, destination); },
  narrow(dim, start, length) { return F.narrow(this, dim, start, length); },
  flip(...dims: SizesArguments) { return F.flip(this, sizesArgument("flip", "dims", dims)); },
  roll(shifts, dims) { return F.roll(this, shifts, dims); },
  repeat(...repeats: SizesArguments) { return F.repeat(this, sizesArgument("repeat", "repeats", repeats)); },
  tile(...dims: SizesArguments) { return F.tile(this, sizesArgument("tile", "dims", dims)); },
  repeatInterleave(repeats, dim) { return F.repeatInterleave(this, repeats, dim); },
  tril(diagonal) { return F.tril(this, diagonal); },
  triu(diagonal) { return F.triu(this, diagonal); },
  diag(diagonal) { return F.diag(this, diagonal); },
  diagonal(offset, dim1, dim2) { return F.diagonal(this, offset, dim1, dim2); },
  split(size, dim) { return F.split(this, size, dim); },
  chunk(chunks, dim) { return F.chunk(this, chunks, dim); },
  unbind(dim) { return F.unbind(this, dim); },
  unfold(dim, size, step) { return F.unfold(this, dim, size, step); },
  expand(...shape: SizesArguments) { return F.expand(this, sizesArgument("expand", "shape", shape)); },
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
  gather(dim, index) {
    checkTensorArgument("gather", "index", 2, index);
    return F.gather(this, dim, index);
  },
  indexSelect(dim, index) {
    checkTensorArgument("indexSelect", "index", 2, index);
    return F.indexSelect(this, dim, index);
  },
  index(indices) { return F.index(this, indices); },
  indexPut(indices, values, accumulate = false) { return F.indexPut(this, indices, values, accumulate); },
  indexAdd(dim, index, source, options) {
    checkTensorArgument("indexAdd", "index", 2, index);
    checkTensorArgument("indexAdd", "source", 3, source);
    return F.indexAdd(this, dim, index, source, options);
  },
  scatter(dim, index, src) {
    checkTensorArgument("scatter", "index", 2, index);
    checkTensorOrNumberArgument("scatter", "src", 3, src);
    return F.scatter(this, dim, index, src);
  },
  scatterAdd(dim, index, src) {
    checkTensorArgument("scatterAdd", "index", 2, index);
    checkTensorArgument("scatterAdd", "src", 3, src);
    return F.scatterAdd(this, dim, index, src);
  },
  scatterReduce(dim, index, src, reduce, options) {
    checkTensorArgument("scatterReduce", "index", 2, index);
    checkTensorArgument("scatterReduce", "src", 3, src);
    return F.scatterReduce(this, dim, index, src, reduce, options);
  },
  take(index) {
    checkTensorArgument("take", "index", 1, index);
    return F.take(this, index);
  },
  takeAlongDim(indices, dim) {
    checkTensorArgument("takeAlongDim", "indices", 1, indices);
    return F.takeAlongDim(this, indices, dim);
  },
  maskedFill(mask, value) {
    checkTensorArgument("maskedFill", "mask", 1, mask);
    checkTensorOrNumberArgument("maskedFill", "value", 2, value);
    return F.maskedFill(this, mask, value);
  },
  maskedSelect(mask) {
    checkTensorArgument("maskedSelect", "mask", 1, mask);
    return F.maskedSelect(this, mask);
  },
  nonzero: function (this: Tensor, options?: { asTuple?: boolean }) { return F.nonzero(this, options); } as TensorMethods["nonzero"],
  cast(dtype) { return F.cast(this, dtype); },
  detach() { return F.detach(this); },
  toString() { return formatTensor(this); },
};

for (const [name, method] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true });
}
// Node's console.log and util.inspect print what toString gives, not the node's fields (found by this
// registered symbol, so the core imports nothing of Node's).
Object.defineProperty(Tensor.prototype, Symbol.for("nodejs.util.inspect.custom"), {
  value(this: Tensor) { return formatTensor(this); },
  writable: true,
  configurable: true,
});
Object.defineProperty(Tensor.prototype, "T", {
  get(this: Tensor) { return F.transpose(this, 0, 1); },
  configurable: true,
});

