import { sizeOf } from "../basics/shape";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import type { OnnxBuilder, OnnxTensor, OnnxValue } from "../ir/onnx";
import { type TensorMeta } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { resample } from "../kernels/resample";
import { interpolateBackward } from "./interpolateBackward";
import { batchAsPlanes } from "./pooling";
import { onnxReshape } from "./reshape";
import { checkInterpolated, type InterpolateAttrs, interpolateAttrNames, interpolateAttrs, resampleAxes } from "./interpolation";

/**
 * Resize's scales where every resampled dim has one that ONNX places and sizes as PyTorch does: 1
 * where the size stays (PyTorch copies), the scale factor where one gave the size (ONNX Runtime
 * sizes by floor(in · scale) in float). Otherwise undefined: Resize is given the sizes, and its
 * scale is out / in as PyTorch's is without a scale factor.
 */
function resizeScales(input: readonly number[], { outputSize, scales }: InterpolateAttrs): number[] | undefined {
  const perDim = input.map((size, d) => (outputSize[d] === size ? 1 : scales[d]));
  const placed = perDim.every((scale, d) => scale > 0 && Math.floor(Math.fround(input[d] * Math.fround(scale))) === outputSize[d]);
  return placed ? perDim : undefined;
}

/**
 * In ONNX, a Resize of the planes as (planes, 1, H, W) images (a 1-D interpolation with H = 1):
 * any dims in front, either rank, one layout, the bilinear one. PyTorch's source positions are ONNX's coordinate
 * modes: nearest's floor(o · in / out) is asymmetric with floor, linear's is half_pixel (clamped
 * at 0 in both), or align_corners.
 */
function interpolateOnnx(b: OnnxBuilder, [x]: readonly OnnxTensor[], attrs: InterpolateAttrs, out: TensorMeta): OnnxValue {
  const spatial = attrs.outputSize.length;
  const input = x.shape.slice(-spatial);
  const asImage = (size: readonly number[]) => [sizeOf(x.shape.slice(0, -spatial)), 1, ...(spatial === 1 ? [1] : []), ...size];
  const scales = resizeScales(input, attrs);
  const fixed = spatial === 1 ? [1, 1, 1] : [1, 1];
  const coordinates = attrs.mode === "nearest" ? "asymmetric" : attrs.alignCorners ? "align_corners" : "half_pixel";
  const resized = b.op(
    "Resize",
    [
      onnxReshape(b, x, x.shape, asImage(input)),
      null,
      scales === undefined ? null : b.constant([...fixed, ...scales], [4], "float32"),
      scales === undefined ? b.int64s(asImage(attrs.outputSize)) : null,
    ],
    { mode: attrs.mode, coordinate_transformation_mode: coordinates, ...(attrs.mode === "nearest" ? { nearest_mode: "floor" } : {}) },
  );
  return onnxReshape(b, resized, asImage(attrs.outputSize), out.shape);
}

/**
 * PyTorch 1.13's upsampling (F.interpolate, modes nearest, linear and bilinear) of the last 1 or
 * 2 dims to `outputSize`: each output a weighted sum of the input positions PyTorch reads for it
 * (one, weight 1, for nearest; two per dim for linear). Linear in x: its gradient sends each
 * output gradient back to those positions with the same weights (interpolateBackward).
 */
export const interpolateOp = registerBuiltinOp<InterpolateAttrs>({
  name: "interpolate",
  arity: 1,
  canonicalize(_inputs, attrs) {
    checkAttrNames("interpolate", attrs, interpolateAttrNames);
    return interpolateAttrs("interpolate", attrs);
  },
  infer([x], attrs) {
    checkInterpolated("interpolate", x, attrs);
    return { shape: [...x.shape.slice(0, -attrs.outputSize.length), ...attrs.outputSize], dtype: x.dtype };
  },
  kernel([x], attrs, out) {
    const spatial = attrs.outputSize.length;
    return resample(x.data, sizeOf(x.shape.slice(0, -spatial)), resampleAxes(x.dtype, x.shape.slice(-spatial), attrs), out.dtype);
  },
  vjp: (g, { inputs: [x], attrs }) => [interpolateBackward(g, { ...attrs, inputSize: x.shape.slice(-attrs.outputSize.length) })],
  jvp: "linear",
  batch: batchAsPlanes,
  onnx: interpolateOnnx,
});

/** The interpolate node of `x` (attributes in any form `interpolateOp` reads). */
export function interpolateNode(x: Tensor, attrs: Attrs): Tensor {
  return apply(interpolateOp, [x], attrs);
}
