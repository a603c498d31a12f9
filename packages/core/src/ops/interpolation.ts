/**
 * What interpolate and its gradient share: their attributes, and where PyTorch 1.13 places each
 * output sample (which input positions it reads, with which weights), to the bit: the scale in
 * the tensor's scalar type or in float, the source index as its kernels compute it.
 */
import { type DType, isFloat } from "../basics/dtype";
import { describeValue, OpError } from "../basics/errors";
import { fmaDouble } from "../basics/fma";
import { own } from "../basics/plainData";
import { formatShape } from "../basics/shape";
import { type Attrs, booleanAttr } from "../ir/attrs";
import type { TensorMeta } from "../ir/registry";
import { type ResampleAxis, unitResampleAxis } from "../kernels/resample";
import { type DimMap, pooledSizeList } from "./pooling";

/** "linear" over one dim is PyTorch's linear, over two its bilinear. */
type InterpolationMode = "nearest" | "linear";

export type InterpolateAttrs = {
  readonly mode: InterpolationMode;
  readonly alignCorners: boolean;
  /** The sizes of the last 1 or 2 dims after interpolation. */
  readonly outputSize: readonly number[];
  /** The scale factor of each dim that places its samples, or 0 where the sizes do (PyTorch's scales: none, or not positive). */
  readonly scales: readonly number[];
};

export const interpolateAttrNames = ["mode", "alignCorners", "outputSize", "scales"];

export function interpolateAttrs(op: string, attrs: Attrs): InterpolateAttrs {
  const mode = own(attrs, "mode") ?? "nearest";
  if (mode !== "nearest" && mode !== "linear") throw new OpError(op, `mode must be "nearest" or "linear", got ${describeValue(mode)}`);
  const alignCorners = booleanAttr(op, attrs, "alignCorners", false);
  if (mode === "nearest" && alignCorners) throw new OpError(op, "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear");
  const outputSize = pooledSizeList(op, attrs, "outputSize", 1);
  const scales = own(attrs, "scales") ?? outputSize.map(() => 0);
  if (!Array.isArray(scales) || scales.length !== outputSize.length || !scales.every((s) => typeof s === "number" && Number.isFinite(s))) {
    throw new OpError(op, `attribute 'scales' must be a list of ${outputSize.length} finite numbers, got ${describeValue(scales)}`);
  }
  return { mode, alignCorners, outputSize, scales: scales.map((s: number) => (s > 0 ? s : 0)) };
}

/** The interpolated tensor has the resampled dims last, with at least one dim (channels) in front. */
export function checkInterpolated(op: string, x: TensorMeta, { mode, outputSize }: InterpolateAttrs): void {
  if (x.shape.length <= outputSize.length) throw new OpError(op, `expected a tensor with dims in front of the ${outputSize.length} resampled ones, got ${formatShape(x.shape)}`);
  if (mode === "linear" && !isFloat(x.dtype)) throw new OpError(op, `linear interpolation needs a float tensor, got ${x.dtype}`);
}

/** Rounds to the dtype's precision: PyTorch computes sample positions in the tensor's scalar type. */
const rounderOf = (dtype: DType) => (dtype === "float32" ? Math.fround : (v: number) => v);

/**
 * PyTorch 1.13's nearest source index along one of `spatial` dims: floor(o · scale), clipped to
 * the last input position, with scale = 1 / scaleFactor, or in / out. Its 1-D kernel computes the
 * scale and the product in the tensor's scalar type (the product then rounded to float, its
 * floorf); its 2-D kernel in float, copying a dim whose size stays and halving the index of one
 * whose size doubles. (Its 1-D backward uses the second rule too; the gradient here is that of
 * the forward.)
 */
function nearestAxis(spatial: number, dtype: DType, length: number, outLength: number, scaleFactor: number): ResampleAxis {
  const round = spatial === 1 ? rounderOf(dtype) : Math.fround;
  const scale = scaleFactor > 0 ? round(1 / scaleFactor) : round(round(length) / outLength);
  const clipped = (position: number) => Math.min(Math.floor(Math.fround(position)), length - 1);
  const index = Int32Array.from({ length: outLength }, (_, o) => {
    if (spatial > 1 && outLength === length) return o;
    if (spatial > 1 && outLength === 2 * length) return o >> 1;
    return clipped(round(o * scale));
  });
  return { inSize: length, taps: 1, index, weight: new Float64Array(outLength).fill(1) };
}

/**
 * PyTorch 1.13's linear sample positions along one dim: the scale in the tensor's scalar type,
 * the source index in double (an fma, as its kernels are compiled), the weights in the scalar
 * type. A dim whose size stays reads each position with weights 1 and 0.
 */
function linearAxis(dtype: DType, length: number, outLength: number, alignCorners: boolean, scaleFactor: number): ResampleAxis {
  const round = rounderOf(dtype);
  let scale: number;
  if (alignCorners) scale = outLength > 1 ? round(round(length - 1) / (outLength - 1)) : 0;
  else scale = scaleFactor > 0 ? round(1 / scaleFactor) : round(round(length) / outLength);
  const index = new Int32Array(2 * outLength);
  const weight = new Float64Array(2 * outLength);
  for (let o = 0; o < outLength; o++) {
    if (outLength === length) {
      index[2 * o] = index[2 * o + 1] = o;
      weight[2 * o] = 1;
      continue;
    }
    const source = alignCorners ? scale * o : Math.max(fmaDouble(scale, o + 0.5, -0.5), 0);
    const low = Math.trunc(source);
    index[2 * o] = low;
    index[2 * o + 1] = low + (low < length - 1 ? 1 : 0);
    weight[2 * o + 1] = round(source - low);
    weight[2 * o] = round(1 - weight[2 * o + 1]);
  }
  return { inSize: length, taps: 2, index, weight };
}

/** The two axes the kernels take, for an input whose resampled dims are `inputSize`: a 1-D interpolation has a unit height. */
export function resampleAxes(dtype: DType, inputSize: readonly number[], { mode, alignCorners, outputSize, scales }: InterpolateAttrs): readonly [ResampleAxis, ResampleAxis] {
  const axes = inputSize.map((length, d) =>
    mode === "nearest" ? nearestAxis(inputSize.length, dtype, length, outputSize[d], scales[d]) : linearAxis(dtype, length, outputSize[d], alignCorners, scales[d]),
  );
  return axes.length === 1 ? [unitResampleAxis, axes[0]] : [axes[0], axes[1]];
}

/** The resampling of each of the last 1 or 2 dims as a linear map: an input position's weight is the sum of its taps'. */
export function resampleDimMaps(dtype: DType, inputSize: readonly number[], attrs: InterpolateAttrs): DimMap[] {
  return resampleAxes(dtype, inputSize, attrs)
    .slice(2 - inputSize.length)
    .map(({ inSize, taps, index, weight }) => ({
      inSize,
      outSize: index.length / taps,
      weight: (i, o) => {
        let total = 0;
        for (let t = o * taps; t < (o + 1) * taps; t++) if (index[t] === i) total += weight[t];
        return total;
      },
    }));
}
