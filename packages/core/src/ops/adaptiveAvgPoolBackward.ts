import { checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { windowAverageBackward } from "../kernels/pool";
import { adaptiveAvgPool, checkAdaptiveInput } from "./adaptiveAvgPool";
import { adaptiveDimMap, adaptiveWindows, batchIntoN, dimMapsOnnx, planesOf, pooledSizeList, transposedDimMap } from "./pooling";

/**
 * adaptiveAvgPool's gradient: each element of `g` divided by its window's size and added to every
 * position of that window, in an input of the pooled dims `inputSize`.
 */
export const adaptiveAvgPoolBackwardOp = registerBuiltinOp<{ readonly inputSize: readonly number[] }>({
  name: "adaptiveAvgPoolBackward",
  arity: 1,
  canonicalize(_inputs, attrs) {
    checkAttrNames("adaptiveAvgPoolBackward", attrs, ["inputSize"]);
    return { inputSize: pooledSizeList("adaptiveAvgPoolBackward", attrs, "inputSize", 1) };
  },
  infer([g], { inputSize }) {
    const shape = [...g.shape.slice(0, -inputSize.length), ...inputSize];
    checkAdaptiveInput("adaptiveAvgPoolBackward", { shape, dtype: g.dtype }, inputSize.length);
    return { shape, dtype: g.dtype };
  },
  kernel([g], { inputSize }, out) {
    const spatial = inputSize.length;
    const { axes, divisors } = adaptiveWindows(inputSize, g.shape.slice(-spatial));
    return windowAverageBackward(g.data, planesOf(g.shape, spatial), axes, divisors, out.dtype);
  },
  vjp: (gg, { inputs: [g], attrs: { inputSize } }) => [adaptiveAvgPool(gg, g.shape.slice(-inputSize.length))],
  jvp: "linear",
  batch: (ctx) => batchIntoN(ctx, ctx.node.attrs.inputSize.length),
  // adaptiveAvgPool's matrices transposed.
  onnx: (b, [g], { inputSize }) => {
    const spatial = inputSize.length;
    const pooled = g.shape.slice(-spatial);
    return dimMapsOnnx(b, g, g.shape.length, g.dtype, inputSize.map((size, d) => transposedDimMap(adaptiveDimMap(size, pooled[d]))));
  },
});

/** The adaptiveAvgPoolBackward node of `g` for an input of the pooled dims `inputSize`. */
export function adaptiveAvgPoolBackward(g: Tensor, attrs: { readonly inputSize: readonly number[] }): Tensor {
  return apply(adaptiveAvgPoolBackwardOp, [g], attrs);
}
