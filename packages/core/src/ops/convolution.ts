/**
 * What the three convolution ops share (conv, convTranspose, convWeightBackward): their
 * attributes, PyTorch's size arithmetic and checks, and the geometry their kernels take.
 *
 * The three are the partial derivatives of one bilinear form
 *   B(x, w, y) = Σ y[n, o, i] · w[o, c, p] · x[n, group(o)·C/groups + c, i·stride − padding + p·dilation]
 * over the window positions that fall inside x, so each one's gradient is built from the other
 * two and gradients of any order stay convolutions. Each op names the size of its own result
 * (`outputSize`, or `kernelSize` for the weight gradient), since sizes and strides alone leave it
 * open: a strided convolution's last rows of x may be read by no window.
 */
import { isFloat } from "../basics/dtype";
import { describeValue, OpError } from "../basics/errors";
import { own } from "../basics/plainData";
import { formatShape, type Shape } from "../basics/shape";
import { type Attrs, integerAttr } from "../ir/attrs";
import type { BatchContext, Jvp, TensorMeta } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import type { ConvGeometry } from "../kernels/conv";
import { add } from "./add";
import { foldBatch, moveDim, withBatch } from "./batching";
import { checkSameDType } from "./elementwise";
import { expand } from "./expand";
import { reshape } from "./reshape";
import { sum } from "./sum";

/** Per spatial dim (one for NCL, two for NCHW); `padding` is the zeros before each dim. */
type ConvAttrs = {
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;
};

/** conv and convTranspose: the spatial size of the result. */
export type SizedConvAttrs = ConvAttrs & { readonly outputSize: readonly number[] };

/** convWeightBackward: the kernel's spatial size. */
export type WeightGradAttrs = ConvAttrs & { readonly kernelSize: readonly number[] };

/** The spatial dims of an input with a batch and a channel dim in front: 1 (N, C, L) or 2 (N, C, H, W). */
export function spatialRankOf(op: string, input: TensorMeta): number {
  const spatial = input.shape.length - 2;
  if (spatial !== 1 && spatial !== 2) {
    throw new OpError(op, `expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got ${formatShape(input.shape)}`);
  }
  return spatial;
}

/**
 * Attribute `key` as PyTorch's int-or-tuple: one integer for every spatial dim, or a list of one
 * per dim; `fallback` when left out. Each value must pass `valid`, else `invalid` is the message.
 */
export function spatialListAttr(
  op: string,
  attrs: Attrs,
  key: string,
  spatial: number,
  fallback: number | undefined,
  valid: (value: number) => boolean,
  invalid: (values: readonly number[]) => string,
): number[] {
  const value = own(attrs, key) ?? fallback;
  const values = typeof value === "number" ? new Array<number>(spatial).fill(value) : value;
  if (!Array.isArray(values) || !values.every((v) => Number.isSafeInteger(v))) {
    throw new OpError(op, `attribute '${key}' must be an integer or a list of ${spatial} integers, got ${describeValue(value)}`);
  }
  if (values.length !== spatial) {
    throw new OpError(
      op,
      `expected ${key} to be a single integer value or a list of ${spatial} values to match the convolution dimensions, but got ${key}=${formatShape(values)}`,
    );
  }
  if (!values.every(valid)) throw new OpError(op, invalid(values));
  return [...values];
}

const positive = (v: number) => v > 0;
const nonNegative = (v: number) => v >= 0;

/** Stride, dilation and groups as PyTorch checks them (each op reads its padding itself). */
export function convAttrs(op: string, attrs: Attrs, spatial: number): Omit<ConvAttrs, "padding"> {
  const stride = spatialListAttr(op, attrs, "stride", spatial, 1, positive, () => "non-positive stride is not supported");
  const dilation = spatialListAttr(op, attrs, "dilation", spatial, 1, positive, (d) => `dilation should be greater than zero, but got ${formatShape(d)}`);
  const groups = integerAttr(op, attrs, "groups", 1);
  if (groups <= 0) throw new OpError(op, "non-positive groups is not supported");
  return { stride, dilation, groups };
}

/** The attributes of the bilinear form itself, which a gradient passes on to the ops it builds. */
export const sharedAttrs = ({ stride, padding, dilation, groups }: ConvAttrs): ConvAttrs => ({ stride, padding, dilation, groups });

/** Zero-or-more zeros before each dim, as one integer or a list. */
export function paddingAttr(op: string, attrs: Attrs, spatial: number): number[] {
  return spatialListAttr(op, attrs, "padding", spatial, 0, nonNegative, () => "negative padding is not supported");
}

/** A size per spatial dim (`outputSize`, `kernelSize`), each at least 0. */
export function sizeAttr(op: string, attrs: Attrs, key: string, spatial: number): number[] {
  return spatialListAttr(op, attrs, key, spatial, undefined, nonNegative, (s) => `${key} must not be negative, got ${formatShape(s)}`);
}

/** The extent of a kernel of `size` taps `dilation` apart. */
export const dilatedExtent = (size: number, dilation: number) => dilation * (size - 1) + 1;

/** How many windows of a dilated kernel fit, `stride` apart, into `length` padded by `before` and `after`. */
export const windowCount = (length: number, kernel: number, stride: number, dilation: number, before: number, after: number) =>
  Math.floor((length + before + after - dilatedExtent(kernel, dilation)) / stride) + 1;

/** Sizes written as PyTorch writes them in messages: (5 x 5). */
export const formatSizes = (sizes: readonly number[]) => `(${sizes.join(" x ")})`;

/** Both operands float and of one dtype, the weight of the input's rank. */
export function checkConvOperands(op: string, input: TensorMeta, weight: TensorMeta, weightName = "weight"): void {
  checkSameDType(op, [input, weight]);
  if (!isFloat(input.dtype)) throw new OpError(op, `expected float tensors, got ${input.dtype}`);
  if (weight.shape.length !== input.shape.length) {
    throw new OpError(op, `expected a ${input.shape.length}-D ${weightName} for the ${input.shape.length}-D input ${formatShape(input.shape)}, got ${weightName} ${formatShape(weight.shape)}`);
  }
}

/** groups divides the weight's first dim, as PyTorch checks it. */
export function checkGroupedWeight(op: string, weight: Shape, groups: number): void {
  if (weight[0] % groups !== 0) {
    throw new OpError(op, `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${formatShape(weight)}] instead`);
  }
}

/**
 * The operands of conv and convTranspose: an input and a weight, and optionally a bias of one
 * value per output channel (`channels`), which the kernels add while they write the output.
 */
export function checkOperandCount(op: string, inputs: readonly TensorMeta[]): void {
  if (inputs.length !== 2 && inputs.length !== 3) throw new OpError(op, `expected an input, a weight and optionally a bias, got ${inputs.length} tensors`);
}

export function checkBias(op: string, inputs: readonly TensorMeta[], channels: number): void {
  checkOperandCount(op, inputs);
  const bias = inputs[2];
  if (bias === undefined) return;
  checkSameDType(op, [inputs[0], bias]);
  if (bias.shape.length !== 1 || bias.shape[0] !== channels) {
    throw new OpError(op, `Given weight of size ${formatShape(inputs[1].shape)}, expected bias to be 1-dimensional with ${channels} elements, but got bias of size ${formatShape(bias.shape)} instead`);
  }
}

/** The gradient of a bias added per channel (dim 1): the output gradient summed over every other dim. */
export function biasGradient(g: Tensor): Tensor {
  return sum(g, g.shape.map((_, d) => d).filter((d) => d !== 1));
}

/** The same 1-D and 2-D geometry for the kernels: a 1-D convolution is a 2-D one with a unit height. */
export function convGeometry(
  input: Shape,
  output: Shape,
  kernelSize: readonly number[],
  { stride, padding, dilation, groups }: ConvAttrs,
): ConvGeometry {
  const pair = (values: readonly number[], unit: number): readonly [number, number] => (values.length === 1 ? [unit, values[0]] : [values[0], values[1]]);
  return {
    batch: input[0],
    groups,
    inChannels: input[1],
    outChannels: output[1],
    inSize: pair(input.slice(2), 1),
    outSize: pair(output.slice(2), 1),
    kernelSize: pair(kernelSize, 1),
    stride: pair(stride, 1),
    padding: pair(padding, 0),
    dilation: pair(dilation, 1),
  };
}

/** A bias of one value per channel (dim 1), as the values of a result of `shape`. */
function perChannel(bias: Tensor, shape: Shape): Tensor {
  return expand(reshape(bias, shape.map((size, d) => (d === 1 ? size : 1))), shape);
}

/**
 * The forward rule of conv and convTranspose (`build`): bilinear in the input and the weight,
 * plus the bias, which is affine and so is not a factor of a product: its tangent is added once,
 * as the bias of the first product term, or alone when only the bias moves.
 */
export function bilinearPlusBiasJvp(build: (x: Tensor, w: Tensor, bias: Tensor | undefined, attrs: SizedConvAttrs) => Tensor): Jvp<SizedConvAttrs> {
  return ([dx, dw, dbias], { inputs: [x, w], output, attrs }) => {
    const factors = [...(dx ? [[dx, w]] : []), ...(dw ? [[x, dw]] : [])];
    if (factors.length === 0) return perChannel(dbias!, output.shape);
    return factors.map(([input, weight], k) => build(input, weight, k === 0 ? (dbias ?? undefined) : undefined, attrs)).reduce((total, term) => add(total, term));
  };
}

/**
 * vmap's batch moved into a channel dim: `x` is [B, ...sample] and the sample's dim `channelDim`
 * holds C channels in `groups` groups; the result is the sample with B·C channels there, ordered
 * group by group and, within a group, sample by sample. A convolution with B·groups groups then
 * sees each sample's group as a group of its own; with `groups` groups and a shared partner, the
 * samples' channels of a group are one group's (the partner's channels meet every sample's).
 */
export function batchIntoChannels(x: Tensor, channelDim: number, groups: number): Tensor {
  const [size, ...sample] = x.shape;
  const channels = sample[channelDim];
  const merged = sample.map((s, d) => (d === channelDim ? size * channels : s));
  if (groups === 1) return reshape(moveDim(x, 0, channelDim), merged);
  const split = reshape(x, [size, ...sample.slice(0, channelDim), groups, channels / groups, ...sample.slice(channelDim + 1)]);
  return reshape(moveDim(split, 0, channelDim + 1), merged);
}

/** The inverse of `batchIntoChannels`: `y`'s channels at `channelDim` split into `size` samples of `sample`'s shape, the batch as dim 0. */
export function channelsIntoBatch(y: Tensor, channelDim: number, groups: number, size: number, sample: Shape): Tensor {
  const channels = sample[channelDim];
  const [before, after] = [sample.slice(0, channelDim), sample.slice(channelDim + 1)];
  if (groups === 1) return moveDim(reshape(y, [...before, size, channels, ...after]), channelDim, 0);
  const split = reshape(y, [...before, groups, size, channels / groups, ...after]);
  return reshape(moveDim(split, channelDim + 1, 0), [size, ...sample]);
}

/**
 * vmap of conv or convTranspose, one node whatever is batched. A weight shared by the samples: the
 * batch folds into the op's own N, and a batched bias ([B, C]) is added after. A weight per
 * sample: its samples go into the channels (`weightOfSamples` lays them out: the weight's output
 * channels are dim 0 for conv, dim 1 for convTranspose), as B·groups groups when the input is
 * batched too (a grouped convolution of all samples at once), else in `groups` groups that meet
 * the shared input once (one im2col of it for all the samples' weights).
 */
export function convBatch(
  { inputs: [x, w, bias], batched: [xBatched, wBatched, biasBatched], size, node, rebuild }: BatchContext<SizedConvAttrs>,
  weightOfSamples: (w: Tensor, inputBatched: boolean, groups: number) => Tensor,
): Tensor {
  const { attrs } = node;
  if (wBatched) {
    const { groups } = attrs;
    const inputs = [xBatched ? batchIntoChannels(x, 1, groups) : x, weightOfSamples(w, xBatched, groups)];
    if (bias !== undefined) inputs.push(batchIntoChannels(withBatch(bias, biasBatched, size), 0, groups));
    return channelsIntoBatch(rebuild(inputs, { ...attrs, groups: xBatched ? groups * size : groups }), 1, groups, size, node.shape);
  }
  const sharedBias = bias !== undefined && !biasBatched ? [bias] : [];
  const y = xBatched ? reshape(rebuild([foldBatch(x), w, ...sharedBias], attrs), [size, ...node.shape]) : rebuild([x, w, ...sharedBias], attrs);
  if (!biasBatched) return y;
  return add(y, reshape(bias, [size, 1, bias.shape[1], ...node.shape.slice(2).map(() => 1)]));
}
