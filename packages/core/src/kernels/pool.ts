/**
 * Pooling loops over the planes of dense arrays (no graph code): every leading dim is a plane,
 * the last two are pooled. A 1-D pooling is the 2-D one with a unit height (`unitAxis`).
 */
import { allocate, type DType, type TypedArray } from "../basics/dtype";

/**
 * One pooled dim: output position o reads `count[o]` input positions from `first[o]` on, `step`
 * apart (max pooling's dilation; the averages read consecutive positions), all inside the input
 * (the windows are already clipped to it).
 */
export interface PoolAxis {
  readonly inSize: number;
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly step: number;
}

/** The axis of a dim of size 1 that is not pooled. */
export const unitAxis: PoolAxis = { inSize: 1, first: Int32Array.of(0), count: Int32Array.of(1), step: 1 };

type Axes = readonly [rows: PoolAxis, columns: PoolAxis];

/**
 * The position of each window's maximum within its plane (row · width + column), as PyTorch's
 * max pooling indices: the first maximum in row-major order wins, and a NaN wins over any number
 * (a later NaN over an earlier one).
 */
export function maxPoolIndices(x: TypedArray, planes: number, [rows, columns]: Axes): Int32Array {
  const width = columns.inSize;
  const planeSize = rows.inSize * width;
  const [outHeight, outWidth] = [rows.first.length, columns.first.length];
  const out = allocate("int32", planes * outHeight * outWidth) as Int32Array;
  let at = 0;
  for (let base = 0; base < planes * planeSize; base += planeSize) {
    for (let oh = 0; oh < outHeight; oh++) {
      const rowEnd = (rows.first[oh] + rows.count[oh] * rows.step) * width;
      const rowStep = rows.step * width;
      for (let ow = 0; ow < outWidth; ow++, at++) {
        const columnEnd = columns.first[ow] + columns.count[ow] * columns.step;
        let best = -Infinity;
        let index = rows.first[oh] * width + columns.first[ow];
        for (let row = rows.first[oh] * width; row < rowEnd; row += rowStep) {
          for (let column = columns.first[ow]; column < columnEnd; column += columns.step) {
            const value = x[base + row + column];
            if (value > best || value !== value) {
              best = value;
              index = row + column;
            }
          }
        }
        out[at] = index;
      }
    }
  }
  return out;
}

/** Each window's sum (row-major order, consecutive positions) divided by the divisor of its output position (`divisors` covers one plane). */
export function windowAverage(x: TypedArray, planes: number, [rows, columns]: Axes, divisors: Float64Array, dtype: DType): TypedArray {
  const width = columns.inSize;
  const planeSize = rows.inSize * width;
  const [outHeight, outWidth] = [rows.first.length, columns.first.length];
  const out = allocate(dtype, planes * divisors.length);
  let at = 0;
  for (let base = 0; base < planes * planeSize; base += planeSize) {
    for (let oh = 0, position = 0; oh < outHeight; oh++) {
      const rowStart = base + rows.first[oh] * width;
      const rowEnd = rowStart + rows.count[oh] * width;
      for (let ow = 0; ow < outWidth; ow++, at++, position++) {
        const first = columns.first[ow];
        const last = first + columns.count[ow];
        let sum = 0;
        for (let row = rowStart; row < rowEnd; row += width) for (let column = first; column < last; column++) sum += x[row + column];
        out[at] = sum / divisors[position];
      }
    }
  }
  return out;
}

/** The adjoint of `windowAverage`: each output gradient divided by its divisor and added to every input position of its window. */
export function windowAverageBackward(g: TypedArray, planes: number, [rows, columns]: Axes, divisors: Float64Array, dtype: DType): TypedArray {
  const width = columns.inSize;
  const planeSize = rows.inSize * width;
  const [outHeight, outWidth] = [rows.first.length, columns.first.length];
  const out = allocate(dtype, planes * planeSize);
  let at = 0;
  for (let base = 0; base < planes * planeSize; base += planeSize) {
    for (let oh = 0, position = 0; oh < outHeight; oh++) {
      const rowStart = base + rows.first[oh] * width;
      const rowEnd = rowStart + rows.count[oh] * width;
      for (let ow = 0; ow < outWidth; ow++, at++, position++) {
        const first = columns.first[ow];
        const last = first + columns.count[ow];
        const share = g[at] / divisors[position];
        for (let row = rowStart; row < rowEnd; row += width) for (let column = first; column < last; column++) out[row + column] += share;
      }
    }
  }
  return out;
}

/** out[plane, o] = x[plane, positions[plane, o]]: the values at positions within each plane of `planeSize` (max pooling's maxima). */
export function gatherInPlanes(x: TypedArray, positions: Int32Array, planes: number, planeSize: number, dtype: DType): TypedArray {
  const perPlane = planes === 0 ? 0 : positions.length / planes;
  const out = allocate(dtype, positions.length);
  for (let plane = 0, at = 0; plane < planes; plane++) {
    const base = plane * planeSize;
    for (let o = 0; o < perPlane; o++, at++) out[at] = x[base + positions[at]];
  }
  return out;
}

/** The adjoint of `gatherInPlanes`: each g[plane, o] added to position positions[plane, o] of a zero plane of `planeSize`, in order. */
export function scatterAddInPlanes(g: TypedArray, positions: Int32Array, planes: number, planeSize: number, dtype: DType): TypedArray {
  const perPlane = planes === 0 ? 0 : positions.length / planes;
  const out = allocate(dtype, planes * planeSize);
  for (let plane = 0, at = 0; plane < planes; plane++) {
    const base = plane * planeSize;
    for (let o = 0; o < perPlane; o++, at++) out[base + positions[at]] += g[at];
  }
  return out;
}
