/**
 * Convolution loops on dense NCHW arrays (no graph code): im2col copies each window of the input
 * into a column, so that a convolution is a few large matrix products on the matmul kernels
 * (WebAssembly SIMD for float32, both threads). A 1-D convolution is the 2-D one with a unit
 * height: the same loops, and the same sums in the same order.
 *
 * The three kernels are the three partial derivatives of one bilinear form: `convolve` (x, w → y),
 * `convolveTransposed` (y, w → x-shaped, conv's input gradient and conv_transpose) and
 * `convolveWeightGrad` (x, y → w-shaped). Each works on chunks of samples side by side (the
 * columns of a chunk are one K × samples·P matrix), so that a chunk is one product per group:
 * the weight gradient then sums over a whole chunk in one call instead of adding sample by sample.
 */
import { allocate, type DType, type TypedArray } from "../basics/dtype";
import { type FloatArray, gemm } from "./matmul";

type Pair = readonly [number, number];

/**
 * A convolution's sizes, as (height, width) pairs: y[n, o, i, j] sums
 * w[o, c, p, q] · x[n, group·C/groups + c, i·stride − padding + p·dilation, ...] over the window
 * positions inside x (the padding reads zeros). `outSize` need not be the size the padding
 * implies: the gradients of a strided convolution read fewer rows of x than it has.
 */
export interface ConvGeometry {
  readonly batch: number;
  readonly groups: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly inSize: Pair;
  readonly outSize: Pair;
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
}

/**
 * The largest matrix (in elements) a chunk's columns or gradients may take: 2²¹ floats, 8 MB in
 * float32. Larger chunks gain nothing once a product is a few million multiply-adds.
 */
const CHUNK_ELEMENTS = 1 << 21;

/** The sizes the loops use: per group channel counts, the column height K, the window count P and the samples per chunk. */
function layout(geometry: ConvGeometry) {
  const { batch, groups, inChannels, outChannels, inSize, outSize, kernelSize } = geometry;
  const groupIn = inChannels / groups;
  const groupOut = outChannels / groups;
  const windows = outSize[0] * outSize[1];
  const columnHeight = groupIn * kernelSize[0] * kernelSize[1];
  const chunk = Math.max(1, Math.min(batch, Math.floor(CHUNK_ELEMENTS / Math.max(1, Math.max(columnHeight, groupOut) * windows))));
  return { batch, groups, groupIn, groupOut, planeIn: inSize[0] * inSize[1], windows, columnHeight, chunk };
}

/** The window indices j (of `count`) whose input position j·step + offset falls inside [0, size). */
function insideRange(count: number, step: number, offset: number, size: number): Pair {
  const first = Math.min(count, Math.max(0, Math.ceil(-offset / step)));
  const end = Math.min(count, Math.max(first, Math.ceil((size - offset) / step)));
  return [first, end];
}

/** The pieces of one column row, kernel position (c, p, q) of a sample: which windows read inside the input, and where. */
interface ColumnRow {
  /** Window rows [rowFirst, rowEnd) and columns [first, end) read inside the input. */
  readonly rowFirst: number;
  readonly rowEnd: number;
  readonly first: number;
  readonly end: number;
  /** The input offset window (rowFirst, first) reads. */
  readonly source: number;
}

/** Calls `visit(column row offset, pieces)` for each kernel position (c, p, q) of `channels` channels from input offset `base`, rows `stride` apart from `at`. */
function forEachColumnRow(geometry: ConvGeometry, channels: number, base: number, at: number, stride: number, visit: (row: number, pieces: ColumnRow) => void): void {
  const [height, width] = geometry.inSize;
  const [outHeight, outWidth] = geometry.outSize;
  const [kernelHeight, kernelWidth] = geometry.kernelSize;
  const [strideH, strideW] = geometry.stride;
  const [padH, padW] = geometry.padding;
  const [dilationH, dilationW] = geometry.dilation;
  let row = at;
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < kernelHeight; p++) {
      const [rowFirst, rowEnd] = insideRange(outHeight, strideH, p * dilationH - padH, height);
      for (let q = 0; q < kernelWidth; q++, row += stride) {
        const shift = q * dilationW - padW;
        const [first, end] = insideRange(outWidth, strideW, shift, width);
        const source = base + c * height * width + (rowFirst * strideH - padH + p * dilationH) * width + first * strideW + shift;
        visit(row, { rowFirst, rowEnd, first, end, source });
      }
    }
  }
}

/**
 * A window row steps through the input as far as a column row steps through its row (stride 1
 * along the width, stride × input width = output width, as for a "same" convolution): then the
 * whole inside block of a column row is one contiguous copy of the input, and only the few
 * entries that wrap around into a neighbouring input row are padding to clear.
 */
const readsInBlocks = ({ stride, inSize, outSize }: ConvGeometry) => stride[1] === 1 && stride[0] * inSize[1] === outSize[1];

function zeroRange(columns: FloatArray, from: number, to: number): void {
  for (let k = from; k < to; k++) columns[k] = 0;
}

/** Zeros of a column row: the window rows outside the input, and the columns outside it in the other rows. */
function zeroPadding(columns: FloatArray, row: number, { rowFirst, rowEnd, first, end }: ColumnRow, outHeight: number, outWidth: number): void {
  zeroRange(columns, row, row + rowFirst * outWidth);
  zeroRange(columns, row + rowEnd * outWidth, row + outHeight * outWidth);
  for (let i = rowFirst; i < rowEnd; i++) {
    zeroRange(columns, row + i * outWidth, row + i * outWidth + first);
    zeroRange(columns, row + i * outWidth + end, row + (i + 1) * outWidth);
  }
}

/**
 * Writes the columns of one sample's group of channels (from `base` in x) into `columns` from
 * column `at`, rows `stride` apart: row (c·KH + p)·KW + q, column i·OW + j holds the input value
 * window (i, j) reads at kernel position (c, p, q), or 0 in the padding.
 */
function im2col(x: TypedArray, base: number, channels: number, geometry: ConvGeometry, columns: FloatArray, at: number, stride: number): void {
  const [outHeight, outWidth] = geometry.outSize;
  const [strideH, strideW] = geometry.stride;
  const blocks = readsInBlocks(geometry);
  const rowStep = strideH * geometry.inSize[1];
  forEachColumnRow(geometry, channels, base, at, stride, (row, pieces) => {
    const { rowFirst, rowEnd, first, end, source } = pieces;
    if (blocks && rowEnd > rowFirst && end > first) {
      const start = row + rowFirst * outWidth + first;
      const length = (rowEnd - 1 - rowFirst) * outWidth + end - first;
      columns.set(x.subarray(source, source + length), start);
    } else {
      for (let i = rowFirst; i < rowEnd; i++) {
        let src = source + (i - rowFirst) * rowStep;
        for (let k = row + i * outWidth + first, stop = row + i * outWidth + end; k < stop; k++, src += strideW) columns[k] = x[src];
      }
    }
    zeroPadding(columns, row, pieces, outHeight, outWidth);
  });
}

/** The transpose of im2col: each column entry of one sample added to the input position it was read from (`columns` may be overwritten). */
function col2im(columns: FloatArray, at: number, stride: number, out: TypedArray, base: number, channels: number, geometry: ConvGeometry): void {
  const [outHeight, outWidth] = geometry.outSize;
  const [strideH, strideW] = geometry.stride;
  const blocks = readsInBlocks(geometry);
  const rowStep = strideH * geometry.inSize[1];
  forEachColumnRow(geometry, channels, base, at, stride, (row, pieces) => {
    const { rowFirst, rowEnd, first, end, source } = pieces;
    if (rowEnd <= rowFirst || end <= first) return;
    if (blocks) {
      // The entries that wrap into a neighbouring input row are padding: cleared, they add nothing.
      zeroPadding(columns, row, pieces, outHeight, outWidth);
      const start = row + rowFirst * outWidth + first;
      const stop = row + (rowEnd - 1) * outWidth + end;
      for (let k = start, dst = source; k < stop; k++, dst++) out[dst] += columns[k];
      return;
    }
    for (let i = rowFirst; i < rowEnd; i++) {
      let dst = source + (i - rowFirst) * rowStep;
      for (let k = row + i * outWidth + first, stop = row + i * outWidth + end; k < stop; k++, dst += strideW) out[dst] += columns[k];
    }
  });
}

/**
 * Scratch matrices kept between calls (a training step convolves batch after batch of one
 * shape): the columns and the channel rows of a chunk, grown, never shrunk, one pair per dtype.
 * The matmul kernels read them from offset 0.
 */
const float32Scratch: Float32Array[] = [];
const float64Scratch: Float64Array[] = [];
const COLUMNS = 0;
const CHANNELS = 1;

function scratchMatrix(dtype: DType, slot: number, size: number): FloatArray {
  if (dtype === "float32") {
    if (!(float32Scratch[slot]?.length >= size)) float32Scratch[slot] = new Float32Array(size);
    return float32Scratch[slot];
  }
  if (!(float64Scratch[slot]?.length >= size)) float64Scratch[slot] = new Float64Array(size);
  return float64Scratch[slot];
}

type Layout = ReturnType<typeof layout>;

/**
 * Copies group `g`'s channels of samples [first, first + count) of a y-shaped array (N, O, P)
 * into the rows of an (O/groups × count·P) matrix, or back (`toMatrix` false), sample after sample.
 */
function moveChannels(y: TypedArray, matrix: FloatArray, g: number, first: number, count: number, outChannels: number, { groupOut, windows }: Layout, toMatrix: boolean): void {
  const width = count * windows;
  for (let s = 0; s < count; s++) {
    for (let o = 0; o < groupOut; o++) {
      const at = ((first + s) * outChannels + g * groupOut + o) * windows;
      const row = o * width + s * windows;
      if (toMatrix) matrix.set(y.subarray(at, at + windows), row);
      else y.set(matrix.subarray(row, row + windows), at);
    }
  }
}

/** The columns of group `g` of samples [first, first + count), side by side. */
function chunkColumns(x: TypedArray, g: number, first: number, count: number, geometry: ConvGeometry, { groupIn, planeIn, windows, columnHeight }: Layout, dtype: DType): FloatArray {
  const columns = scratchMatrix(dtype, COLUMNS, columnHeight * count * windows);
  for (let s = 0; s < count; s++) {
    im2col(x, ((first + s) * geometry.inChannels + g * groupIn) * planeIn, groupIn, geometry, columns, s * windows, count * windows);
  }
  return columns;
}

/**
 * y = conv(x, w) + bias (one value per output channel, when given): per chunk and group, the
 * bias rows plus W_g (O/g × K) times the columns (K × chunk·P), in gemm's accumulate mode (the
 * bits of the product, then the add).
 */
export function convolve(x: TypedArray, w: TypedArray, bias: TypedArray | undefined, geometry: ConvGeometry, dtype: DType): TypedArray {
  const sizes = layout(geometry);
  const { batch, groups, groupOut, windows, columnHeight, chunk } = sizes;
  const out = allocate(dtype, batch * geometry.outChannels * windows) as FloatArray;
  for (let first = 0; first < batch; first += chunk) {
    const count = Math.min(chunk, batch - first);
    for (let g = 0; g < groups; g++) {
      const columns = chunkColumns(x, g, first, count, geometry, sizes, dtype);
      const product = scratchMatrix(dtype, CHANNELS, groupOut * count * windows);
      if (bias !== undefined) for (let o = 0; o < groupOut; o++) product.fill(bias[g * groupOut + o], o * count * windows, (o + 1) * count * windows);
      gemm(groupOut, count * windows, columnHeight, w as FloatArray, g * groupOut * columnHeight, false, columns, 0, false, product, 0, bias !== undefined);
      moveChannels(out, product, g, first, count, geometry.outChannels, sizes, false);
    }
  }
  return out;
}

/**
 * At stride 1 the adjoint is itself a convolution, of y with the weight flipped along the kernel
 * dims and its channel dims swapped per group, padded by dilation·(kernel − 1) − padding (which
 * may crop): the same sums, with im2col's copies in place of col2im's scattered adds.
 */
function adjointAsConvolution(w: TypedArray, geometry: ConvGeometry, dtype: DType): { weight: TypedArray; geometry: ConvGeometry } {
  const { groups, inChannels, outChannels, kernelSize, dilation, padding } = geometry;
  const [groupIn, groupOut] = [inChannels / groups, outChannels / groups];
  const [kernelHeight, kernelWidth] = kernelSize;
  const taps = kernelHeight * kernelWidth;
  const weight = allocate(dtype, w.length);
  for (let g = 0; g < groups; g++) {
    for (let o = 0; o < groupOut; o++) {
      for (let c = 0; c < groupIn; c++) {
        const from = ((g * groupOut + o) * groupIn + c) * taps;
        const to = ((g * groupIn + c) * groupOut + o) * taps;
        for (let t = 0; t < taps; t++) weight[to + taps - 1 - t] = w[from + t];
      }
    }
  }
  const reversed = (pair: Pair, index: 0 | 1) => dilation[index] * (kernelSize[index] - 1) - pair[index];
  return {
    weight,
    geometry: {
      ...geometry,
      inChannels: outChannels,
      outChannels: inChannels,
      inSize: geometry.outSize,
      outSize: geometry.inSize,
      padding: [reversed(padding, 0), reversed(padding, 1)],
    },
  };
}

/**
 * At stride 1, whether the adjoint runs faster as a convolution: its im2col copies O/groups rows
 * per kernel tap where col2im adds C/groups, and a copy costs about a quarter of a scattered add
 * (measured: 16 → 16 channels twice as fast, 3 → 16 a quarter slower).
 */
const adjointAsConvolutionIsFaster = ({ stride, inChannels, outChannels }: ConvGeometry) =>
  stride[0] === 1 && stride[1] === 1 && outChannels <= 4 * inChannels;

/**
 * The x-shaped adjoint of `convolve` (its input gradient, and conv_transpose) plus a bias per
 * x channel (when given): per chunk and group, W_gᵀ·y scattered back by col2im onto the bias, or
 * a convolution (adjointAsConvolution) where that is faster.
 */
export function convolveTransposed(y: TypedArray, w: TypedArray, bias: TypedArray | undefined, geometry: ConvGeometry, dtype: DType): TypedArray {
  if (adjointAsConvolutionIsFaster(geometry)) {
    const adjoint = adjointAsConvolution(w, geometry, dtype);
    return convolve(y, adjoint.weight, bias, adjoint.geometry, dtype);
  }
  const sizes = layout(geometry);
  const { batch, groups, groupIn, groupOut, planeIn, windows, columnHeight, chunk } = sizes;
  const out = allocate(dtype, batch * geometry.inChannels * planeIn) as FloatArray;
  if (bias !== undefined) for (let plane = 0; plane < batch * geometry.inChannels; plane++) out.fill(bias[plane % geometry.inChannels], plane * planeIn, (plane + 1) * planeIn);
  for (let first = 0; first < batch; first += chunk) {
    const count = Math.min(chunk, batch - first);
    for (let g = 0; g < groups; g++) {
      const gradient = scratchMatrix(dtype, CHANNELS, groupOut * count * windows);
      moveChannels(y, gradient, g, first, count, geometry.outChannels, sizes, true);
      const columns = scratchMatrix(dtype, COLUMNS, columnHeight * count * windows);
      gemm(columnHeight, count * windows, groupOut, w as FloatArray, g * groupOut * columnHeight, true, gradient, 0, false, columns, 0);
      for (let s = 0; s < count; s++) {
        col2im(columns, s * windows, count * windows, out, ((first + s) * geometry.inChannels + g * groupIn) * planeIn, groupIn, geometry);
      }
    }
  }
  return out;
}

/** The w-shaped adjoint (conv's weight gradient): per group, y_g (O/g × chunk·P) times the columnsᵀ, chunks added in sample order. */
export function convolveWeightGrad(x: TypedArray, y: TypedArray, geometry: ConvGeometry, dtype: DType): TypedArray {
  const sizes = layout(geometry);
  const { batch, groups, groupOut, windows, columnHeight, chunk } = sizes;
  const out = allocate(dtype, geometry.outChannels * columnHeight) as FloatArray;
  for (let first = 0; first < batch; first += chunk) {
    const count = Math.min(chunk, batch - first);
    for (let g = 0; g < groups; g++) {
      const columns = chunkColumns(x, g, first, count, geometry, sizes, dtype);
      const gradient = scratchMatrix(dtype, CHANNELS, groupOut * count * windows);
      moveChannels(y, gradient, g, first, count, geometry.outChannels, sizes, true);
      gemm(groupOut, columnHeight, count * windows, gradient, 0, false, columns, 0, true, out, g * groupOut * columnHeight, first > 0);
    }
  }
  return out;
}
