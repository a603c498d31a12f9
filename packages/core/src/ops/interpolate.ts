import { sizeOf } from "../basics/shape";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { resample } from "../kernels/resample";
import { interpolateBackward } from "./interpolateBackward";
import { checkInterpolated, type InterpolateAttrs, interpolateAttrNames, interpolateAttrs, resampleAxes } from "./interpolation";

/**
 * PyTorch 1.13's upsampling (F.interpolate, modes nearest, linear and bilinear) of the last 1 or
 * 2 dims to `outputSize`: each output a weighted sum of the input positions PyTorch reads for it
 * (one, weight 1, for nearest; two per dim for linear). Linear in x: its gradient sends each
 * output gradient back to those positions with the same weights (interpolateBackward).
 */
export const interpolateOp = registerOp<InterpolateAttrs>({
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
});

/** The interpolate node of `x` (attributes in any form `interpolateOp` reads). */
export function interpolateNode(x: Tensor, attrs: Attrs): Tensor {
  return apply(interpolateOp, [x], attrs);
}
