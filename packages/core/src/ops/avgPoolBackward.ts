import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { windowAverageBackward } from "../kernels/pool";
import { avgPool, avgPoolAttrNames, readAvgPoolAttrs } from "./avgPool";
import { sizeAttr } from "./convolution";
import { averageWindows, type AvgPoolAttrs, planesOf, pooledLength } from "./pooling";

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
 * avgPool's gradient: each element of `g` divided by its window's divisor and added to every input
 * position of that window, in an input of the pooled dims `inputSize`.
 */
export const avgPoolBackwardOp = registerOp<AvgPoolBackwardAttrs>({
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
});

/** The avgPoolBackward node of `g` (attributes in any form `avgPoolBackwardOp` reads). */
export function avgPoolBackward(g: Tensor, attrs: Attrs): Tensor {
  return apply(avgPoolBackwardOp, [g], attrs);
}
