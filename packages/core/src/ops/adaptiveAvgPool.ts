import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { type TensorMeta } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { windowAverage } from "../kernels/pool";
import { adaptiveAvgPoolBackward } from "./adaptiveAvgPoolBackward";
import { adaptiveDimMap, adaptiveWindows, batchIntoN, dimMapsOnnx, planesOf, pooledSizeList } from "./pooling";

/** PyTorch's adaptive pooling input: one or two dims before the pooled ones, none empty but a batch. */
export function checkAdaptiveInput(op: string, x: TensorMeta, spatial: number): void {
  const rank = x.shape.length;
  const name = `adaptive_avg_pool${spatial}d()`;
  if (rank !== spatial + 1 && rank !== spatial + 2) throw new OpError(op, `${name}: Expected ${spatial + 1}D or ${spatial + 2}D tensor, but got ${formatShape(x.shape)}`);
  for (let d = rank - spatial - 1; d < rank; d++) {
    if (x.shape[d] === 0) {
      throw new OpError(op, `${name}: Expected input to have non-zero size for non-batch dimensions, but input has sizes ${formatShape(x.shape)} with dimension ${d} being empty`);
    }
  }
}

/**
 * Adaptive average pooling (adaptive_avg_pool1d/2d) to `outputSize`: output o of each pooled dim
 * averages the input positions floor(o·in/out) to ceil((o + 1)·in/out), exclusive. Linear: its
 * gradient spreads each output gradient over its window (adaptiveAvgPoolBackward).
 */
export const adaptiveAvgPoolOp = registerBuiltinOp<{ readonly outputSize: readonly number[] }>({
  name: "adaptiveAvgPool",
  arity: 1,
  canonicalize(_inputs, attrs) {
    checkAttrNames("adaptiveAvgPool", attrs, ["outputSize"]);
    return { outputSize: pooledSizeList("adaptiveAvgPool", attrs, "outputSize", 0) };
  },
  infer([x], { outputSize }) {
    checkAdaptiveInput("adaptiveAvgPool", x, outputSize.length);
    return { shape: [...x.shape.slice(0, -outputSize.length), ...outputSize], dtype: x.dtype };
  },
  kernel([x], { outputSize }, out) {
    const spatial = outputSize.length;
    const { axes, divisors } = adaptiveWindows(x.shape.slice(-spatial), outputSize);
    return windowAverage(x.data, planesOf(x.shape, spatial), axes, divisors, out.dtype);
  },
  vjp: (g, { inputs: [x], attrs: { outputSize } }) => [adaptiveAvgPoolBackward(g, { inputSize: x.shape.slice(-outputSize.length) })],
  jvp: "linear",
  batch: (ctx) => batchIntoN(ctx, ctx.node.attrs.outputSize.length),
  // Separable and linear: x times a matrix per pooled dim, whose column o averages window o.
  onnx: (b, [x], { outputSize }) =>
    dimMapsOnnx(b, x, x.shape.length, x.dtype, outputSize.map((count, d) => adaptiveDimMap(x.shape[x.shape.length - outputSize.length + d], count))),
});

/** The adaptiveAvgPool node of `x` pooled to `outputSize`. */
export function adaptiveAvgPool(x: Tensor, outputSize: readonly number[]): Tensor {
  return apply(adaptiveAvgPoolOp, [x], { outputSize });
}
