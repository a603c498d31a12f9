/**
 * Separable resampling over the planes of dense arrays (no graph code): every leading dim is a
 * plane, the last two are resampled, each output position a weighted sum of a few input positions
 * per dim (interpolate's nearest: one, weight 1; linear: two). A 1-D resampling is the 2-D one
 * with a unit height (`unitResampleAxis`).
 */
import { allocate, type DType, type TypedArray } from "../basics/dtype";

/** One resampled dim: output position o reads input positions index[o·taps + t] with weights weight[o·taps + t]. */
export interface ResampleAxis {
  readonly inSize: number;
  readonly taps: number;
  readonly index: Int32Array;
  readonly weight: Float64Array;
}

/** The axis of a dim of size 1 that is not resampled. */
export const unitResampleAxis: ResampleAxis = { inSize: 1, taps: 1, index: Int32Array.of(0), weight: Float64Array.of(1) };

type Axes = readonly [rows: ResampleAxis, columns: ResampleAxis];

const outLength = (axis: ResampleAxis) => axis.index.length / axis.taps;

/**
 * out[plane, i, j] = Σ_a wᵣ[i, a] · (Σ_b w꜀[j, b] · x[plane, rowᵢₐ, columnⱼᵦ]), each sum from its
 * first term on in tap order: PyTorch's upsampling, rows outside and columns inside. Every tap
 * counts, a weight of 0 too (0 · ∞ is NaN there as well). In two passes, the inner sums of every
 * input row first (in double), then the rows' weighted sums, which read those a row at a time.
 */
export function resample(x: TypedArray, planes: number, [rows, columns]: Axes, dtype: DType): TypedArray {
  const [outHeight, outWidth] = [outLength(rows), outLength(columns)];
  const { inSize: height, taps: rowTaps, index: rowIndex, weight: rowWeight } = rows;
  const { inSize: width, taps: columnTaps, index: columnIndex, weight: columnWeight } = columns;
  const inner = new Float64Array(planes * height * outWidth);
  for (let r = 0, at = 0; r < planes * height; r++) {
    const row = r * width;
    for (let j = 0, b = 0; j < outWidth; j++, at++, b += columnTaps) {
      let sum = columnWeight[b] * x[row + columnIndex[b]];
      for (let t = 1; t < columnTaps; t++) sum += columnWeight[b + t] * x[row + columnIndex[b + t]];
      inner[at] = sum;
    }
  }
  const out = allocate(dtype, planes * outHeight * outWidth);
  const total = new Float64Array(outWidth);
  for (let plane = 0, at = 0; plane < planes; plane++) {
    for (let i = 0, a = 0; i < outHeight; i++, a += rowTaps) {
      for (let t = 0; t < rowTaps; t++) {
        const weight = rowWeight[a + t];
        const source = (plane * height + rowIndex[a + t]) * outWidth;
        if (t === 0) for (let j = 0; j < outWidth; j++) total[j] = weight * inner[source + j];
        else for (let j = 0; j < outWidth; j++) total[j] += weight * inner[source + j];
      }
      for (let j = 0; j < outWidth; j++, at++) out[at] = total[j];
    }
  }
  return out;
}

/** The adjoint of `resample`, in the opposite order: each output row's gradient sent to the input rows it read, then to their columns. */
export function resampleBackward(g: TypedArray, planes: number, [rows, columns]: Axes, dtype: DType): TypedArray {
  const [outHeight, outWidth] = [outLength(rows), outLength(columns)];
  const { inSize: height, taps: rowTaps, index: rowIndex, weight: rowWeight } = rows;
  const { inSize: width, taps: columnTaps, index: columnIndex, weight: columnWeight } = columns;
  const inner = new Float64Array(planes * height * outWidth);
  for (let plane = 0, at = 0; plane < planes; plane++) {
    for (let i = 0, a = 0; i < outHeight; i++, a += rowTaps, at += outWidth) {
      for (let t = 0; t < rowTaps; t++) {
        const weight = rowWeight[a + t];
        const target = (plane * height + rowIndex[a + t]) * outWidth;
        for (let j = 0; j < outWidth; j++) inner[target + j] += weight * g[at + j];
      }
    }
  }
  const out = allocate(dtype, planes * height * width);
  for (let r = 0, at = 0; r < planes * height; r++) {
    const row = r * width;
    for (let j = 0, b = 0; j < outWidth; j++, at++, b += columnTaps) {
      for (let t = 0; t < columnTaps; t++) out[row + columnIndex[b + t]] += columnWeight[b + t] * inner[at];
    }
  }
  return out;
}
