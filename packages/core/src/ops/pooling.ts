/**
 * What the pooling ops share: their attributes as PyTorch checks them, its output-size rule and
 * the windows each output position reads, clipped to the input, for the kernels in
 * kernels/pool.ts. The pooled dims are the last 1 or 2 (kernelSize's length); the dims before
 * them (channels, and a batch when there is one) are planes pooled alike.
 */
import { isFloat } from "../basics/dtype";
import { describeValue, OpError } from "../basics/errors";
import { own } from "../basics/plainData";
import { formatShape, type Shape, sizeOf } from "../basics/shape";
import { type Attrs, booleanAttr } from "../ir/attrs";
import type { OnnxBuilder, OnnxDType, OnnxValue } from "../ir/onnx";
import type { BatchContext, TensorMeta } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { type PoolAxis, unitAxis } from "../kernels/pool";
import { foldBatch, withBatch } from "./batching";
import { spatialListAttr } from "./convolution";
import { reshape } from "./reshape";

/** Windows of `kernelSize` positions `stride` apart over the input padded by `padding` on both sides. */
type WindowAttrs = {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly ceilMode: boolean;
};

export type MaxPoolAttrs = WindowAttrs & { readonly dilation: readonly number[] };

/** `divisorOverride` null: the window's size (with or without the padding it covers). */
export type AvgPoolAttrs = WindowAttrs & { readonly countIncludePad: boolean; readonly divisorOverride: number | null };

/** A size per pooled dim (1 or 2 of them), each at least `min`: the list's length says how many dims are pooled. */
export function pooledSizeList(op: string, attrs: Attrs, key: string, min: number): number[] {
  const value = own(attrs, key);
  if (!Array.isArray(value) || (value.length !== 1 && value.length !== 2) || !value.every((v) => Number.isSafeInteger(v) && v >= min)) {
    throw new OpError(op, `attribute '${key}' must be a list of 1 or 2 integers of at least ${min} (one per pooled dim), got ${describeValue(value)}`);
  }
  return [...value];
}

/** The input has the pooled dims last and one or two dims in front, none of them empty but a batch. */
export function checkPoolInput(op: string, x: TensorMeta, spatial: number): void {
  const rank = x.shape.length;
  const emptyPlane = x.shape.slice(rank === spatial + 2 ? 1 : 0).some((d) => d === 0);
  if ((rank !== spatial + 1 && rank !== spatial + 2) || emptyPlane) {
    throw new OpError(op, `Expected ${spatial + 1}D or ${spatial + 2}D (batch mode) tensor with optional 0 dim batch size for input, but got:${formatShape(x.shape)}`);
  }
  if (!isFloat(x.dtype)) throw new OpError(op, `expected a float tensor, got ${x.dtype}`);
}

/**
 * vmap's batch for an op that pools every dim before the last `spatial` alike, as planes, and
 * takes any number of them: the batch is one more plane dim, unbatched inputs repeated for it (a view).
 */
export function batchAsPlanes<A extends Attrs>({ inputs, batched, size, node, rebuild }: BatchContext<A>): Tensor {
  return rebuild(inputs.map((x, i) => withBatch(x, batched[i], size)), node.attrs);
}

/**
 * vmap's batch for an op that takes PyTorch's (C, ...) or (N, C, ...) before the `spatial`
 * pooled dims: a sample without N takes the batch as its N; one with N has the batch folded into it.
 */
export function batchIntoN<A extends Attrs>({ inputs: [x], size, node, rebuild }: BatchContext<A>, spatial: number): Tensor {
  if (x.shape.length <= spatial + 2) return rebuild([x], node.attrs);
  return reshape(rebuild([foldBatch(x)], node.attrs), [size, ...node.shape]);
}

/** ONNX's pooling wants (N, C, spatial...): an unbatched input (of rank spatial + 1) is pooled as a batch of one. */
export function batchedOnnx(b: OnnxBuilder, x: OnnxValue, rank: number, spatial: number, pool: (batched: OnnxValue) => OnnxValue): OnnxValue {
  if (rank === spatial + 2) return pool(x);
  return b.op("Squeeze", [pool(b.op("Unsqueeze", [x, b.int64s([0])])), b.int64s([0])]);
}

/**
 * The padding after each pooled dim with which ONNX's window count (floor mode) is `output`:
 * PyTorch's ceil mode keeps a last window that runs past the padding.
 */
export function endPadsOnnx(input: readonly number[], output: readonly number[], extent: readonly number[], stride: readonly number[], padding: readonly number[]): number[] {
  return input.map((size, d) => Math.max(padding[d], (output[d] - 1) * stride[d] + extent[d] - size - padding[d]));
}

/** A linear map of one dim: `weight(i, o)` is what input position i adds, so weighted, to output position o. */
export interface DimMap {
  readonly inSize: number;
  readonly outSize: number;
  readonly weight: (i: number, o: number) => number;
}

/**
 * In ONNX, `x` (of rank `rank`) mapped along its last 1 or 2 dims by one DimMap each: a MatMul by
 * the map's [in, out] matrix, the first of two on transposed planes (ONNX Runtime broadcasts a
 * constant right operand over the leading dims, not a left one).
 */
export function dimMapsOnnx(b: OnnxBuilder, x: OnnxValue, rank: number, dtype: OnnxDType, maps: readonly DimMap[]): OnnxValue {
  const mapLast = (v: OnnxValue, { inSize, outSize, weight }: DimMap) => {
    const matrix = Array.from({ length: inSize * outSize }, (_, k) => weight(Math.floor(k / outSize), k % outSize));
    return b.op("MatMul", [v, b.constant(matrix, [inSize, outSize], dtype)]);
  };
  const columns = mapLast(x, maps[maps.length - 1]);
  if (maps.length === 1) return columns;
  const perm = Array.from({ length: rank }, (_, d) => (d < rank - 2 ? d : d === rank - 2 ? rank - 1 : rank - 2));
  return b.op("Transpose", [mapLast(b.op("Transpose", [columns], { perm }), maps[0])], { perm });
}

/** The planes pooled alike: every dim before the last `spatial`. */
export const planesOf = (shape: Shape, spatial: number) => sizeOf(shape.slice(0, shape.length - spatial));

/**
 * kernelSize (a list: its length, 1 or 2, is the number of pooled dims, which the input's rank
 * alone does not tell), stride (the kernel size when left out, as PyTorch's stride=None), padding
 * and ceilMode, as PyTorch checks them.
 */
export function windowAttrs(op: string, attrs: Attrs): WindowAttrs {
  const kernelSize = pooledSizeList(op, attrs, "kernelSize", 1);
  const spatial = kernelSize.length;
  const strideError = (s: readonly number[]) => (s.includes(0) ? "stride should not be zero" : `stride should be greater than zero, but got ${formatShape(s)}`);
  const stride = own(attrs, "stride") === undefined ? kernelSize : spatialListAttr(op, attrs, "stride", spatial, undefined, (s) => s > 0, strideError);
  const padding = spatialListAttr(op, attrs, "padding", spatial, 0, (p) => p >= 0, () => "pad should be non-negative");
  padding.forEach((p, d) => {
    if (p > kernelSize[d] / 2) throw new OpError(op, `pad should be at most half of kernel size, but got pad=${p} and kernel_size=${kernelSize[d]}`);
  });
  return { kernelSize, stride, padding, ceilMode: booleanAttr(op, attrs, "ceilMode", false) };
}

/**
 * PyTorch's pooling_output_shape: the windows that fit, one more in ceil mode when a partial
 * window is left, but never one that would start in the padding after the input.
 */
export function pooledLength(length: number, kernel: number, stride: number, padding: number, dilation: number, ceilMode: boolean): number {
  const span = length + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let count = Math.floor(span / stride) + 1;
  if (ceilMode && (count - 1) * stride >= length + padding) count--;
  return count;
}

/** The pooled sizes, refused (as PyTorch does) when a dim has no window. */
export function pooledSizes(op: string, x: TensorMeta, { kernelSize, stride, padding, ceilMode }: WindowAttrs, dilation: readonly number[]): number[] {
  const spatial = kernelSize.length;
  const input = x.shape.slice(-spatial);
  const output = input.map((size, d) => pooledLength(size, kernelSize[d], stride[d], padding[d], dilation[d], ceilMode));
  if (output.some((size) => size < 1)) {
    const planes = x.shape[x.shape.length - spatial - 1];
    const sizes = (s: readonly number[]) => [planes, ...(spatial === 1 ? [1] : []), ...s].join("x");
    throw new OpError(op, `Given input size: (${sizes(input)}). Calculated output size: (${sizes(output)}). Output size is too small`);
  }
  return output;
}

/** The two axes the kernels take: a 1-D pooling is a 2-D one with a unit height. */
export const kernelAxes = (axes: readonly PoolAxis[]): readonly [PoolAxis, PoolAxis] => (axes.length === 1 ? [unitAxis, axes[0]] : [axes[0], axes[1]]);

/**
 * Max pooling's taps along one dim: window o starts at o·stride − padding and has `kernel` taps
 * `dilation` apart; those inside the input are read.
 */
export function maxPoolAxis(length: number, outLength: number, kernel: number, stride: number, padding: number, dilation: number): PoolAxis {
  const first = new Int32Array(outLength);
  const count = new Int32Array(outLength);
  for (let o = 0; o < outLength; o++) {
    const start = o * stride - padding;
    const end = Math.min(start + dilation * (kernel - 1) + 1, length);
    let at = start;
    while (at < 0) at += dilation;
    first[o] = at;
    count[o] = at < end ? Math.ceil((end - at) / dilation) : 0;
  }
  return { inSize: length, first, count, step: dilation };
}

/**
 * Average pooling's windows along one dim, clipped to the input, and how many positions each
 * covers of the input with its padding (PyTorch's pool_size factor for countIncludePad).
 */
function averageAxis(length: number, outLength: number, kernel: number, stride: number, padding: number): { axis: PoolAxis; padded: Int32Array } {
  const first = new Int32Array(outLength);
  const count = new Int32Array(outLength);
  const padded = new Int32Array(outLength);
  for (let o = 0; o < outLength; o++) {
    const start = o * stride - padding;
    const paddedEnd = Math.min(start + kernel, length + padding);
    padded[o] = paddedEnd - start;
    first[o] = Math.max(start, 0);
    count[o] = Math.min(paddedEnd, length) - first[o];
  }
  return { axis: { inSize: length, first, count, step: 1 }, padded };
}

/** The product over dims of one factor per position, for every output position of a plane (row-major). */
function outerProduct(factors: readonly ArrayLike<number>[]): Float64Array {
  const rows = factors.length === 1 ? [1] : factors[0];
  const columns = factors[factors.length - 1];
  const out = new Float64Array(rows.length * columns.length);
  for (let i = 0; i < rows.length; i++) for (let j = 0; j < columns.length; j++) out[i * columns.length + j] = rows[i] * columns[j];
  return out;
}

/** avg_pool's windows over an input of `inputSize` and the divisor of each output position. */
export function averageWindows(inputSize: readonly number[], attrs: AvgPoolAttrs, outputSize: readonly number[]) {
  const { kernelSize, stride, padding, countIncludePad, divisorOverride } = attrs;
  const dims = inputSize.map((size, d) => averageAxis(size, outputSize[d], kernelSize[d], stride[d], padding[d]));
  const divisors =
    divisorOverride !== null
      ? new Float64Array(sizeOf(outputSize)).fill(divisorOverride)
      : outerProduct(dims.map(({ axis, padded }) => (countIncludePad ? padded : axis.count)));
  return { axes: kernelAxes(dims.map(({ axis }) => axis)), divisors };
}

/** countIncludePad (default true) and divisorOverride (null, or a nonzero integer), as PyTorch takes them. */
export function averageAttrs(op: string, attrs: Attrs): Pick<AvgPoolAttrs, "countIncludePad" | "divisorOverride"> {
  const override = own(attrs, "divisorOverride") ?? null;
  if (override !== null && !Number.isSafeInteger(override)) throw new OpError(op, `attribute 'divisorOverride' must be an integer or null, got ${describeValue(override)}`);
  if (override === 0) throw new OpError(op, "divisor must be not zero");
  return { countIncludePad: booleanAttr(op, attrs, "countIncludePad", true), divisorOverride: override as number | null };
}

/**
 * Adaptive pooling's windows along one dim: output o averages input positions
 * floor(o·in/out) to ceil((o + 1)·in/out), exclusive, as PyTorch's start_index and end_index.
 */
export function adaptiveWindows(inputSize: readonly number[], outputSize: readonly number[]) {
  const dims = inputSize.map((length, d): PoolAxis => {
    const outLength = outputSize[d];
    const first = Int32Array.from({ length: outLength }, (_, o) => Math.floor((o * length) / outLength));
    const count = Int32Array.from({ length: outLength }, (_, o) => Math.ceil(((o + 1) * length) / outLength) - first[o]);
    return { inSize: length, first, count, step: 1 };
  });
  return { axes: kernelAxes(dims), divisors: outerProduct(dims.map((axis) => axis.count)) };
}

/** Adaptive pooling's averages along one dim as a map from `length` positions to `outLength`. */
export function adaptiveDimMap(length: number, outLength: number): DimMap {
  return {
    inSize: length,
    outSize: outLength,
    weight: (i, o) => {
      const [start, end] = [Math.floor((o * length) / outLength), Math.ceil(((o + 1) * length) / outLength)];
      return i >= start && i < end ? 1 / (end - start) : 0;
    },
  };
}

/** The map that sends each output's value back to the inputs it was made of, with the same weights. */
export const transposedDimMap = ({ inSize, outSize, weight }: DimMap): DimMap => ({ inSize: outSize, outSize: inSize, weight: (i, o) => weight(o, i) });
