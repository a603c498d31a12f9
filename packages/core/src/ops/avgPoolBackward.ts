import { OpError } from "../basics/errors";
import { formatShape, sizeOf } from "../basics/shape";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import type { OnnxBuilder, OnnxTensor, OnnxValue } from "../ir/onnx";
import { type TensorMeta } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { windowAverageBackward } from "../kernels/pool";
import { avgPool, avgPoolAttrNames, divisorsOnnx, readAvgPoolAttrs } from "./avgPool";
import { sizeAttr } from "./convolution";
import { averageWindows, type AvgPoolAttrs, batchAsPlanes, planesOf, pooledLength } from "./pooling";
import { onnxReshape } from "./reshape";

type AvgPoolBackwardAttrs = AvgPoolAttrs & { readonly inputSize: readonly number[] };

/** The pooling attributes alone: what the gradient's gradient, an avgPool again, takes. */
const poolingOf = ({ kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride }: AvgPoolBackwardAttrs): AvgPoolAttrs => ({
  kernelSize,
  stride,
  padding,
  ceilMode,
  countIncludePad,
  divisorOverride,
});

/**
 * In ONNX, the transposed avgPool: g divided by the divisors, each window's share spread over the
 * window by a ConvTranspose of ones on the planes (any dims in front, folded as its N); its pads
 * crop the padding, and where the windows end before the input does, zeros are padded after.
 */
function avgPoolBackwardOnnx(b: OnnxBuilder, [g]: readonly OnnxTensor[], attrs: AvgPoolBackwardAttrs, out: TensorMeta): OnnxValue {
  const { kernelSize, stride, padding, inputSize } = attrs;
  const spatial = kernelSize.length;
  const pooled = g.shape.slice(-spatial);
  const planes = sizeOf(g.shape.slice(0, -spatial));
  const shares = b.op("Div", [g, divisorsOnnx(b, inputSize, pooled, attrs, g.dtype)]);
  const ones = b.constant(new Array<number>(sizeOf(kernelSize)).fill(1), [1, 1, ...kernelSize], g.dtype);
  const overhang = pooled.map((size, d) => (size - 1) * stride[d] + kernelSize[d] - padding[d] - inputSize[d]);
  const crop = overhang.map((o) => Math.max(o, 0));
  const spread = b.op("ConvTranspose", [onnxReshape(b, shares, g.shape, [planes, 1, ...pooled]), ones], { kernel_shape: kernelSize, strides: stride, pads: [...padding, ...crop] });
  const short = overhang.map((o) => Math.max(-o, 0));
  const filled = short.every((s) => s === 0) ? spread : b.op("Pad", [spread, b.int64s([0, 0, ...short.map(() => 0), 0, 0, ...short])]);
  return onnxReshape(b, filled, [planes, 1, ...inputSize], out.shape);
}

/**
 * avgPool's gradient: each element of `g` divided by its window's divisor and added to every input
 * position of that window, in an input of the pooled dims `inputSize`.
 */
export const avgPoolBackwardOp = registerBuiltinOp<AvgPoolBackwardAttrs>({
  name: "avgPoolBackward",
  arity: 1,
  canonicalize([g], attrs) {
    checkAttrNames("avgPoolBackward", attrs, [...avgPoolAttrNames, "inputSize"]);
    const pooling = readAvgPoolAttrs("avgPoolBackward", attrs);
    const spatial = pooling.kernelSize.length;
    const inputSize = sizeAttr("avgPoolBackward", attrs, "inputSize", spatial);
    const pooled = inputSize.map((size, d) => pooledLength(size, pooling.kernelSize[d], pooling.stride[d], pooling.padding[d], 1, pooling.ceilMode));
    if (g.shape.length <= spatial || pooled.some((size, d) => size !== g.shape[g.shape.length - spatial + d])) {
      throw new OpError("avgPoolBackward", `gradient ${formatShape(g.shape)} does not end in the pooled size ${formatShape(pooled)} of an input of size ${formatShape(inputSize)}`);
    }
    return { ...pooling, inputSize };
  },
  infer: ([g], { kernelSize, inputSize }) => ({ shape: [...g.shape.slice(0, -kernelSize.length), ...inputSize], dtype: g.dtype }),
  kernel([g], attrs, out) {
    const spatial = attrs.kernelSize.length;
    const { axes, divisors } = averageWindows(attrs.inputSize, attrs, g.shape.slice(-spatial));
    return windowAverageBackward(g.data, planesOf(g.shape, spatial), axes, divisors, out.dtype);
  },
  vjp: (gg, { attrs }) => [avgPool(gg, poolingOf(attrs))],
  jvp: "linear",
  batch: batchAsPlanes,
  onnx: avgPoolBackwardOnnx,
});

/** The avgPoolBackward node of `g` (attributes in any form `avgPoolBackwardOp` reads). */
export function avgPoolBackward(g: Tensor, attrs: Attrs): Tensor {
  return apply(avgPoolBackwardOp, [g], attrs);
}
