import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { windowAverage } from "../kernels/pool";
import { avgPoolBackward } from "./avgPoolBackward";
import { averageAttrs, averageWindows, type AvgPoolAttrs, checkPoolInput, planesOf, pooledSizes, windowAttrs } from "./pooling";

export const avgPoolAttrNames = ["kernelSize", "stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"];

/** kernelSize, stride, padding, ceilMode, countIncludePad and divisorOverride as PyTorch checks them. */
export const readAvgPoolAttrs = (op: string, attrs: Parameters<typeof windowAttrs>[1]): AvgPoolAttrs => ({ ...windowAttrs(op, attrs), ...averageAttrs(op, attrs) });

/**
 * Average pooling (avg_pool1d/2d): each window's sum over the input positions it covers, divided
 * by divisorOverride, or by the window's size including the padding it covers (countIncludePad)
 * or not. Linear: its gradient spreads each output gradient over its window (avgPoolBackward).
 */
export const avgPoolOp = registerOp<AvgPoolAttrs>({
  name: "avgPool",
  arity: 1,
  canonicalize(_inputs, attrs) {
    checkAttrNames("avgPool", attrs, avgPoolAttrNames);
    return readAvgPoolAttrs("avgPool", attrs);
  },
  infer([x], attrs) {
    const spatial = attrs.kernelSize.length;
    checkPoolInput("avgPool", x, spatial);
    return { shape: [...x.shape.slice(0, -spatial), ...pooledSizes("avgPool", x, attrs, attrs.kernelSize.map(() => 1))], dtype: x.dtype };
  },
  kernel([x], attrs, out) {
    const spatial = attrs.kernelSize.length;
    const { axes, divisors } = averageWindows(x.shape.slice(-spatial), attrs, out.shape.slice(-spatial));
    return windowAverage(x.data, planesOf(x.shape, spatial), axes, divisors, out.dtype);
  },
  vjp: (g, { inputs: [x], attrs }) => [avgPoolBackward(g, { ...attrs, inputSize: x.shape.slice(-attrs.kernelSize.length) })],
});

/** The avgPool node of `x` (attributes in any form `avgPoolOp` reads). */
export function avgPool(x: Tensor, attrs: Attrs): Tensor {
  return apply(avgPoolOp, [x], attrs);
}
