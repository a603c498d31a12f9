import { sizeOf } from "../basics/shape";
import { OpError } from "../basics/errors";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { maxPoolIndices as maxPoolIndicesKernel } from "../kernels/pool";
import { spatialListAttr } from "./convolution";
import { batchedOnnx, batchIntoN, checkPoolInput, kernelAxes, type MaxPoolAttrs, maxPoolAxis, planesOf, pooledSizes, windowAttrs } from "./pooling";

/** Each window's taps inside the input, per pooled dim; a window with none has no maximum. */
function axesOf(input: readonly number[], output: readonly number[], { kernelSize, stride, padding, dilation }: MaxPoolAttrs) {
  return input.map((size, d) => maxPoolAxis(size, output[d], kernelSize[d], stride[d], padding[d], dilation[d]));
}

/**
 * Where max pooling (max_pool1d/2d) finds each window's maximum: its position within the plane
 * (row · width + column), PyTorch's `return_indices`. The first maximum wins, a NaN wins over any
 * number. The pooled values are the input at these positions (maxPoolValues), so their gradient
 * goes to the maximum, as PyTorch's does.
 */
export const maxPoolIndicesOp = registerBuiltinOp<MaxPoolAttrs>({
  name: "maxPoolIndices",
  arity: 1,
  canonicalize(_inputs, attrs) {
    checkAttrNames("maxPoolIndices", attrs, ["kernelSize", "stride", "padding", "dilation", "ceilMode"]);
    const windows = windowAttrs("maxPoolIndices", attrs);
    const dilation = spatialListAttr("maxPoolIndices", attrs, "dilation", windows.kernelSize.length, 1, (d) => d > 0, (d) => `dilation should be greater than zero, but got ${d.join(", ")}`);
    return { ...windows, dilation };
  },
  infer([x], attrs) {
    const spatial = attrs.kernelSize.length;
    checkPoolInput("maxPoolIndices", x, spatial);
    const output = pooledSizes("maxPoolIndices", x, attrs, attrs.dilation);
    const empty = axesOf(x.shape.slice(-spatial), output, attrs).findIndex((axis) => axis.count.includes(0));
    if (empty >= 0) {
      throw new OpError("maxPoolIndices", `a window of pooled dim ${empty} has no tap inside the input ${x.shape.join("x")} (its dilated taps all fall in the padding)`);
    }
    return { shape: [...x.shape.slice(0, -spatial), ...output], dtype: "int32" };
  },
  kernel([x], attrs, out) {
    const spatial = attrs.kernelSize.length;
    return maxPoolIndicesKernel(x.data, planesOf(x.shape, spatial), kernelAxes(axesOf(x.shape.slice(-spatial), out.shape.slice(-spatial), attrs)));
  },
  vjp: "nondifferentiable",
  batch: (ctx) => batchIntoN(ctx, ctx.node.attrs.kernelSize.length),
  onnx: (b, [x], { kernelSize, stride, padding, dilation, ceilMode }) => {
    const spatial = kernelSize.length;
    // A NaN wins over any number, as +Infinity does in ONNX's MaxPool (of several NaNs in one
    // window, PyTorch's last wins and ONNX's first: only the indices tell).
    const nanWins = b.op("Where", [b.op("IsNaN", [x]), b.scalar(Infinity, x.dtype), x]);
    const positions = batchedOnnx(b, nanWins, x.shape.length, spatial, (batched) => {
      const attrs = { kernel_shape: kernelSize, strides: stride, pads: [...padding, ...padding], dilations: dilation, ceil_mode: ceilMode ? 1 : 0 };
      const [, indices] = b.opOutputs("MaxPool", [batched], attrs, 2);
      // ONNX counts positions over the whole tensor, PyTorch within each plane.
      return b.op("Mod", [indices, b.scalar(sizeOf(x.shape.slice(-spatial)), "int64")]);
    });
    return b.cast(positions, "int32");
  },
});

/** The maxPoolIndices node of `x` (attributes in any form `maxPoolIndicesOp` reads). */
export function maxPoolIndices(x: Tensor, attrs: Attrs): Tensor {
  return apply(maxPoolIndicesOp, [x], attrs);
}
