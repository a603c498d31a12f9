import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import type { OnnxValue } from "../ir/onnx";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { convolveWeightGrad } from "../kernels/conv";
import { conv } from "./conv";
import { convTranspose } from "./convTranspose";
import {
  batchIntoChannels,
  channelsIntoBatch,
  checkConvOperands,
  convAttrs,
  convGeometry,
  dilatedExtent,
  paddingAttr,
  sharedAttrs,
  sizeAttr,
  spatialRankOf,
  type WeightGradAttrs,
} from "./convolution";

/**
 * conv's weight gradient: for x (N, C, ...) and the output gradient g (N, O, ...), the weight
 * (O, C/groups, ...kernelSize) whose entry (o, c, p) sums g[n, o, i]·x[n, group(o)·C/groups + c,
 * i·stride − padding + p·dilation] over samples and windows. Its own gradients are the other two
 * convolutions, with the gradient it gets as their weight.
 */
export const convWeightBackwardOp = registerBuiltinOp<WeightGradAttrs>({
  name: "convWeightBackward",
  arity: 2,
  canonicalize([x, g], attrs) {
    checkAttrNames("convWeightBackward", attrs, ["stride", "padding", "dilation", "groups", "kernelSize"]);
    const spatial = spatialRankOf("convWeightBackward", x);
    const shared = { ...convAttrs("convWeightBackward", attrs, spatial), padding: paddingAttr("convWeightBackward", attrs, spatial) };
    return { ...shared, kernelSize: sizeAttr("convWeightBackward", attrs, "kernelSize", spatial) };
  },
  infer([x, g], { groups, kernelSize }) {
    const spatial = spatialRankOf("convWeightBackward", x);
    checkConvOperands("convWeightBackward", x, g, "gradient");
    if (g.shape[0] !== x.shape[0] || x.shape[1] % groups !== 0 || g.shape[1] % groups !== 0) {
      throw new OpError("convWeightBackward", `input ${formatShape(x.shape)} and gradient ${formatShape(g.shape)} need one batch size and channel counts that groups=${groups} divides`);
    }
    if (kernelSize.length !== spatial) throw new OpError("convWeightBackward", `kernelSize ${formatShape(kernelSize)} does not have the input's ${spatial} spatial dims`);
    return { shape: [g.shape[1], x.shape[1] / groups, ...kernelSize], dtype: x.dtype };
  },
  kernel: ([x, g], attrs, out) => convolveWeightGrad(x.data, g.data, convGeometry(x.shape, g.shape, attrs.kernelSize, attrs), out.dtype),
  vjp: (gw, { inputs: [x, g], attrs, needs }) => [
    needs[0] ? convTranspose(g, gw, undefined, { ...sharedAttrs(attrs), outputSize: x.shape.slice(2) }) : null,
    needs[1] ? conv(x, gw, undefined, { ...sharedAttrs(attrs), outputSize: g.shape.slice(2) }) : null,
  ],
  jvp: "multilinear",
  // The samples go into the channels of each batched operand (see batchIntoChannels): both batched
  // (per-sample gradients), B·groups groups pair each sample's x with its own g; one shared, its
  // channels meet all the samples' of the other, which come out side by side in the weight's dim.
  batch: ({ inputs: [x, g], batched: [xBatched, gBatched], size, node, rebuild }) => {
    const { groups } = node.attrs;
    const inputs = [xBatched ? batchIntoChannels(x, 1, groups) : x, gBatched ? batchIntoChannels(g, 1, groups) : g];
    const w = rebuild(inputs, { ...node.attrs, groups: xBatched && gBatched ? groups * size : groups });
    return gBatched ? channelsIntoBatch(w, 0, groups, size, node.shape) : channelsIntoBatch(w, 1, 1, size, node.shape);
  },
  // A Conv with the samples as channels: x's channels of a group as its batch, g as its weight
  // (O, N, ...windows), g's windows as kernel taps `stride` apart, the taps as windows `dilation` apart.
  onnx: (b, [x, g], { stride, padding, dilation, groups, kernelSize }, output) => {
    const [samples, channels, ...input] = x.shape;
    // No samples, no terms; ONNX Runtime (1.30) hangs on a grouped Conv of zero channels.
    if (samples === 0) return b.op("Expand", [b.scalar(0, output.dtype), b.int64s(output.shape)]);
    const spatialAxes = input.map((_, d) => d + 3);
    const regroup = (t: OnnxValue, shape: readonly number[], perm: readonly number[], merged: readonly number[]) =>
      b.op("Reshape", [b.op("Transpose", [b.op("Reshape", [t, b.int64s(shape)], { allowzero: 1 })], { perm: [...perm, ...spatialAxes] }), b.int64s(merged)], { allowzero: 1 });
    // (Cg, groups·N, ...input): the group's N samples as its input channels.
    const batchOfChannels = regroup(x, [samples, groups, channels / groups, ...input], [2, 1, 0], [channels / groups, groups * samples, ...input]);
    const windows = g.shape.slice(2);
    const weightOfSamples = regroup(g, [samples, groups, g.shape[1] / groups, ...windows], [1, 2, 0], [g.shape[1], samples, ...windows]);
    // The padding after that gives kernelSize taps, or, when x has rows no tap reads, none and a crop.
    const needed = kernelSize.map((k, d) => dilatedExtent(k, dilation[d]) + (windows[d] - 1) * stride[d] - input[d] - padding[d]);
    const taps = b.op("Conv", [batchOfChannels, weightOfSamples], {
      strides: dilation,
      dilations: stride,
      pads: [...padding, ...needed.map((n) => Math.max(0, n))],
      group: groups,
    });
    const cropped = needed.some((n) => n < 0)
      ? b.op("Slice", [taps, b.int64s(kernelSize.map(() => 0)), b.int64s(kernelSize), b.int64s(kernelSize.map((_, d) => d + 2))])
      : taps;
    return b.op("Transpose", [cropped], { perm: [1, 0, ...kernelSize.map((_, d) => d + 2)] });
  },
});

/** The convWeightBackward node of `x` and the output gradient `g` (attributes in any form `convWeightBackwardOp` reads). */
export function convWeightBackward(x: Tensor, g: Tensor, attrs: Attrs): Tensor {
  return apply(convWeightBackwardOp, [x, g], attrs);
}
