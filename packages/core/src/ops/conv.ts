import { OpError } from "../basics/errors";
import { own } from "../basics/plainData";
import { formatShape } from "../basics/shape";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { convolve } from "../kernels/conv";
import { convTranspose } from "./convTranspose";
import { convWeightBackward } from "./convWeightBackward";
import {
  batchIntoChannels,
  biasGradient,
  bilinearPlusBiasJvp,
  checkBias,
  checkConvOperands,
  checkGroupedWeight,
  checkOperandCount,
  convAttrs,
  convBatch,
  convGeometry,
  dilatedExtent,
  formatSizes,
  paddingAttr,
  sharedAttrs,
  type SizedConvAttrs,
  sizeAttr,
  spatialRankOf,
  windowCount,
} from "./convolution";

/**
 * The padding as PyTorch takes it, as zeros before and after each spatial dim: an integer or a
 * list (the same before and after), "valid" (none) or "same" (the output keeps the input's size:
 * dilation·(kernel − 1) zeros per dim, the odd one after, which PyTorch allows at stride 1 only).
 */
function paddingAround(attrs: Attrs, spatial: number, kernel: readonly number[], { stride, dilation }: { stride: readonly number[]; dilation: readonly number[] }) {
  const written = own(attrs, "padding");
  if (written === "same") {
    if (stride.some((s) => s !== 1)) throw new OpError("conv", "padding='same' is not supported for strided convolutions");
    const total = kernel.map((k, d) => dilation[d] * (k - 1));
    const before = total.map((t) => Math.floor(t / 2));
    return { before, after: total.map((t, d) => t - before[d]) };
  }
  if (written === "valid") return { before: new Array<number>(spatial).fill(0), after: new Array<number>(spatial).fill(0) };
  if (typeof written === "string") throw new OpError("conv", `Invalid padding string: '${written}'`);
  const padding = paddingAttr("conv", attrs, spatial);
  return { before: padding, after: padding };
}

/**
 * PyTorch's convolution (conv1d on NCL, conv2d on NCHW) of x and a weight, plus a bias when a
 * third input is given: y[n, o] = Σ_c w[o, c] ⋆ x[n, group(o)·C/groups + c] + bias[o], windows
 * `stride` apart over x padded with zeros, kernel taps `dilation` apart. Canonically `padding`
 * is the zeros before each dim and `outputSize` the number of windows, which the padding after
 * the input implies when left out.
 */
export const convOp = registerBuiltinOp<SizedConvAttrs>({
  name: "conv",
  arity: "variadic",
  canonicalize(inputs, attrs) {
    checkOperandCount("conv", inputs);
    const [x, w] = inputs;
    checkAttrNames("conv", attrs, ["stride", "padding", "dilation", "groups", "outputSize"]);
    const spatial = spatialRankOf("conv", x);
    checkConvOperands("conv", x, w);
    const kernel = w.shape.slice(2);
    const shared = convAttrs("conv", attrs, spatial);
    const { before, after } = paddingAround(attrs, spatial, kernel, shared);
    if (own(attrs, "outputSize") !== undefined) return { ...shared, padding: before, outputSize: sizeAttr("conv", attrs, "outputSize", spatial) };
    const input = x.shape.slice(2);
    const outputSize = input.map((size, d) => windowCount(size, kernel[d], shared.stride[d], shared.dilation[d], before[d], after[d]));
    if (outputSize.some((size) => size < 1)) {
      throw new OpError(
        "conv",
        `Calculated padded input size per channel: ${formatSizes(input.map((size, d) => size + before[d] + after[d]))}. Kernel size: ${formatSizes(kernel.map((k, d) => dilatedExtent(k, shared.dilation[d])))}. Kernel size can't be greater than actual input size`,
      );
    }
    return { ...shared, padding: before, outputSize };
  },
  infer(inputs, { groups, outputSize }) {
    const [x, w] = inputs;
    const spatial = spatialRankOf("conv", x);
    checkConvOperands("conv", x, w);
    checkBias("conv", inputs, w.shape[0]);
    checkGroupedWeight("conv", w.shape, groups);
    if (x.shape[1] !== w.shape[1] * groups) {
      throw new OpError(
        "conv",
        `Given groups=${groups}, weight of size ${formatShape(w.shape)}, expected input${formatShape(x.shape)} to have ${w.shape[1] * groups} channels, but got ${x.shape[1]} channels instead`,
      );
    }
    if (outputSize.length !== spatial) throw new OpError("conv", `outputSize ${formatShape(outputSize)} does not have the input's ${spatial} spatial dims`);
    return { shape: [x.shape[0], w.shape[0], ...outputSize], dtype: x.dtype };
  },
  kernel: ([x, w, bias], attrs, out) => convolve(x.data, w.data, bias?.data, convGeometry(x.shape, out.shape, w.shape.slice(2), attrs), out.dtype),
  vjp: (g, { inputs: [x, w, bias], attrs, needs }) => [
    needs[0] ? convTranspose(g, w, undefined, { ...sharedAttrs(attrs), outputSize: x.shape.slice(2) }) : null,
    needs[1] ? convWeightBackward(x, g, { ...sharedAttrs(attrs), kernelSize: w.shape.slice(2) }) : null,
    ...(bias === undefined ? [] : [needs[2] ? biasGradient(g) : null]),
  ],
  jvp: bilinearPlusBiasJvp(conv),
  // The weight's output channels are its dim 0.
  batch: (ctx) => convBatch(ctx, (w, _inputBatched, groups) => batchIntoChannels(w, 0, groups)),
  onnx: (b, inputs, { stride, padding, dilation, groups, outputSize }) => {
    const [x, w] = inputs;
    const input = x.shape.slice(2);
    const extent = w.shape.slice(2).map((k, d) => dilation[d] * (k - 1) + 1);
    // The padding after each dim that gives `outputSize` windows (PyTorch's padding is symmetric or implied by the output size).
    const after = input.map((size, d) => Math.max(0, (outputSize[d] - 1) * stride[d] + extent[d] - size - padding[d]));
    return b.op("Conv", inputs, { strides: stride, pads: [...padding, ...after], dilations: dilation, group: groups });
  },
});

/** The conv node of input `x`, weight `w` and an optional bias (attributes in any form `convOp` reads). */
export function conv(x: Tensor, w: Tensor, bias: Tensor | undefined, attrs: Attrs): Tensor {
  return apply(convOp, bias === undefined ? [x, w] : [x, w, bias], attrs);
}
