import { OpError } from "../basics/errors";
import { formatShape, sizeOf } from "../basics/shape";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { resampleBackward } from "../kernels/resample";
import { interpolateNode } from "./interpolate";
import { checkInterpolated, type InterpolateAttrs, interpolateAttrNames, interpolateAttrs, resampleAxes, resampleDimMaps } from "./interpolation";
import { batchAsPlanes, dimMapsOnnx, pooledSizeList, transposedDimMap } from "./pooling";

type InterpolateBackwardAttrs = InterpolateAttrs & { readonly inputSize: readonly number[] };

/**
 * interpolate's gradient: each element of `g` times the weights of the input positions its
 * output read, added to them, in an input whose resampled dims are `inputSize`.
 */
export const interpolateBackwardOp = registerBuiltinOp<InterpolateBackwardAttrs>({
  name: "interpolateBackward",
  arity: 1,
  canonicalize([g], attrs) {
    checkAttrNames("interpolateBackward", attrs, [...interpolateAttrNames, "inputSize"]);
    const interpolation = interpolateAttrs("interpolateBackward", attrs);
    const inputSize = pooledSizeList("interpolateBackward", attrs, "inputSize", 1);
    const spatial = interpolation.outputSize.length;
    if (inputSize.length !== spatial || g.shape.length <= spatial || g.shape.slice(-spatial).some((d, i) => d !== interpolation.outputSize[i])) {
      throw new OpError("interpolateBackward", `gradient ${formatShape(g.shape)} does not end in the output size ${formatShape(interpolation.outputSize)} of an input of size ${formatShape(inputSize)}`);
    }
    return { ...interpolation, inputSize };
  },
  infer([g], attrs) {
    checkInterpolated("interpolateBackward", g, attrs);
    return { shape: [...g.shape.slice(0, -attrs.inputSize.length), ...attrs.inputSize], dtype: g.dtype };
  },
  kernel([g], attrs, out) {
    const spatial = attrs.inputSize.length;
    return resampleBackward(g.data, sizeOf(g.shape.slice(0, -spatial)), resampleAxes(g.dtype, attrs.inputSize, attrs), out.dtype);
  },
  vjp: (gg, { attrs: { mode, alignCorners, outputSize, scales } }) => [interpolateNode(gg, { mode, alignCorners, outputSize, scales })],
  jvp: "linear",
  batch: batchAsPlanes,
  // No ONNX operator transposes Resize: the resampling's matrix per dim, transposed, at PyTorch's sample positions.
  onnx: (b, [g], attrs) =>
    dimMapsOnnx(b, g, g.shape.length, g.dtype, resampleDimMaps(g.dtype, attrs.inputSize, attrs).map(transposedDimMap)),
});

/** The interpolateBackward node of `g` (attributes in any form `interpolateBackwardOp` reads). */
export function interpolateBackward(g: Tensor, attrs: Attrs): Tensor {
  return apply(interpolateBackwardOp, [g], attrs);
}
