import { OpError } from "../basics/errors";
import { own } from "../basics/plainData";
import { formatShape } from "../basics/shape";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { convolveTransposed } from "../kernels/conv";
import { conv } from "./conv";
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
  type SizedConvAttrs,
  sharedAttrs,
  sizeAttr,
  spatialListAttr,
  spatialRankOf,
} from "./convolution";

/** PyTorch words 1-D sizes as 2-D ones of height 1: `output_padding_height: 0 output_padding_width: 1 ...`. */
function heightAndWidth(name: string, values: readonly number[]): string {
  const [height, width] = values.length === 1 ? [name === "stride" || name === "dilation" ? 1 : 0, values[0]] : values;
  return `${name}_height: ${height} ${name}_width: ${width}`;
}

/**
 * PyTorch's transposed convolution (conv_transpose1d/2d) of y (N, O, ...) with a weight
 * (O, C/groups, ...), plus a bias per output channel when a third input is given: the adjoint of
 * conv with the same weight, so conv's input gradient too. Canonically `outputSize` is the
 * result's spatial size; as PyTorch takes it, it is
 * (in − 1)·stride − 2·padding + dilation·(kernel − 1) + 1 + outputPadding.
 */
export const convTransposeOp = registerBuiltinOp<SizedConvAttrs>({
  name: "convTranspose",
  arity: "variadic",
  canonicalize(inputs, attrs) {
    checkOperandCount("convTranspose", inputs);
    const [y, w] = inputs;
    checkAttrNames("convTranspose", attrs, ["stride", "padding", "outputPadding", "dilation", "groups", "outputSize"]);
    const spatial = spatialRankOf("convTranspose", y);
    checkConvOperands("convTranspose", y, w);
    const shared = { ...convAttrs("convTranspose", attrs, spatial), padding: paddingAttr("convTranspose", attrs, spatial) };
    if (own(attrs, "outputSize") !== undefined) {
      if (own(attrs, "outputPadding") !== undefined) throw new OpError("convTranspose", "give outputPadding or outputSize, not both");
      return { ...shared, outputSize: sizeAttr("convTranspose", attrs, "outputSize", spatial) };
    }
    const { stride, padding, dilation } = shared;
    const outputPadding = spatialListAttr("convTranspose", attrs, "outputPadding", spatial, 0, (v) => v >= 0, () => "negative output padding is not supported");
    if (outputPadding.some((p, d) => p >= stride[d] && p >= dilation[d])) {
      throw new OpError(
        "convTranspose",
        `output padding must be smaller than either stride or dilation, but got ${heightAndWidth("output_padding", outputPadding)} ${heightAndWidth("stride", stride)} ${heightAndWidth("dilation", dilation)}`,
      );
    }
    const kernel = w.shape.slice(2);
    const input = y.shape.slice(2);
    const outputSize = input.map((size, d) => (size - 1) * stride[d] - 2 * padding[d] + dilatedExtent(kernel[d], dilation[d]) + outputPadding[d]);
    if (outputSize.some((size) => size < 1)) {
      // PyTorch runs a 1-D transposed convolution as a 2-D one of height 1, and says so here.
      const sizes = (s: readonly number[]) => formatSizes(s.length === 1 ? [1, ...s] : s);
      throw new OpError("convTranspose", `Given input size per channel: ${sizes(input)}. Calculated output size per channel: ${sizes(outputSize)}. Output size is too small`);
    }
    return { ...shared, outputSize };
  },
  infer(inputs, { groups, outputSize }) {
    const [y, w] = inputs;
    const spatial = spatialRankOf("convTranspose", y);
    checkConvOperands("convTranspose", y, w);
    checkGroupedWeight("convTranspose", w.shape, groups);
    checkBias("convTranspose", inputs, w.shape[1] * groups);
    if (y.shape[1] !== w.shape[0]) {
      throw new OpError(
        "convTranspose",
        `Given transposed=1, weight of size ${formatShape(w.shape)}, expected input${formatShape(y.shape)} to have ${w.shape[0]} channels, but got ${y.shape[1]} channels instead`,
      );
    }
    if (outputSize.length !== spatial) throw new OpError("convTranspose", `outputSize ${formatShape(outputSize)} does not have the input's ${spatial} spatial dims`);
    return { shape: [y.shape[0], w.shape[1] * groups, ...outputSize], dtype: y.dtype };
  },
  kernel: ([y, w, bias], attrs, out) => convolveTransposed(y.data, w.data, bias?.data, convGeometry(out.shape, y.shape, w.shape.slice(2), attrs), out.dtype),
  vjp: (g, { inputs: [y, w, bias], attrs, needs }) => [
    needs[0] ? conv(g, w, undefined, { ...sharedAttrs(attrs), outputSize: y.shape.slice(2) }) : null,
    needs[1] ? convWeightBackward(g, y, { ...sharedAttrs(attrs), kernelSize: w.shape.slice(2) }) : null,
    ...(bias === undefined ? [] : [needs[2] ? biasGradient(g) : null]),
  ],
  jvp: bilinearPlusBiasJvp(convTranspose),
  // The weight's dim 0 is the input's channels, dim 1 a group's output channels: with a batched
  // input the samples go beside each other in dim 0, grouped with the input's; with a shared one,
  // into dim 1, so each group's output channels are all the samples'.
  batch: (ctx) => convBatch(ctx, (w, inputBatched, groups) => (inputBatched ? batchIntoChannels(w, 0, groups) : batchIntoChannels(w, 1, 1))),
  onnx: (b, [y, w, bias], { stride, padding, dilation, groups, outputSize }) => {
    // ONNX computes the whole adjoint, crops `pads` and adds `output_padding` (below the stride,
    // as ONNX Runtime checks) after it. An output beyond that gets zero rows of y after the input,
    // each one `stride` more output of bias alone.
    const input = y.shape.slice(2);
    const full = input.map((size, d) => (size - 1) * stride[d] + dilatedExtent(w.shape[d + 2], dilation[d]) - padding[d]);
    const extra = full.map((size, d) => outputSize[d] - size);
    const zeroRows = extra.map((e, d) => Math.max(0, Math.floor(e / stride[d])));
    const grown = zeroRows.some((r) => r > 0) ? b.op("Pad", [y, b.int64s([0, 0, ...input.map(() => 0), 0, 0, ...zeroRows])]) : y;
    return b.op("ConvTranspose", [grown, w, ...(bias === undefined ? [] : [bias])], {
      strides: stride,
      pads: [...padding, ...extra.map((e) => Math.max(0, -e))],
      dilations: dilation,
      group: groups,
      output_padding: extra.map((e, d) => Math.max(0, e - zeroRows[d] * stride[d])),
    });
  },
});

/** The convTranspose node of `y`, weight `w` and an optional bias (attributes in any form `convTransposeOp` reads). */
export function convTranspose(y: Tensor, w: Tensor, bias: Tensor | undefined, attrs: Attrs): Tensor {
  return apply(convTransposeOp, bias === undefined ? [y, w] : [y, w, bias], attrs);
}
