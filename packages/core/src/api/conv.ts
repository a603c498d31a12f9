/**
 * The neural-net kernels as torch.nn.functional spells them: convolutions and their transposes
 * (with bias), max, average and adaptive average pooling, and interpolate. Layouts are PyTorch's
 * (N, C, L) and (N, C, H, W); where PyTorch takes an input without the batch dim, so do these.
 */
import { describeValue, OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import type { Attrs, AttrValue } from "../ir/attrs";
import { checkOptions, checkTensor } from "../ir/args";
import type { Tensor } from "../ir/tensor";
import { adaptiveAvgPool } from "../ops/adaptiveAvgPool";
import { avgPool } from "../ops/avgPool";
import { conv } from "../ops/conv";
import { convTranspose } from "../ops/convTranspose";
import { interpolateNode } from "../ops/interpolate";
import { maxPoolValues } from "../ops/maxPoolValues";
import { maxPoolIndices } from "../ops/maxPoolIndices";
import { reshape } from "../ops/reshape";
import type { ValuesAndIndices } from "./reductions";
import { asCalled } from "./arguments";

export { adaptiveAvgPoolBackward } from "../ops/adaptiveAvgPoolBackward";
export { avgPoolBackward } from "../ops/avgPoolBackward";
export { maxPoolBackward } from "../ops/maxPoolBackward";
export { maxPoolValues } from "../ops/maxPoolValues";
export { convWeightBackward } from "../ops/convWeightBackward";
export { interpolateBackward } from "../ops/interpolateBackward";

/** PyTorch's int-or-tuple: one value for every spatial dim, or one per dim. */
type PerDim = number | readonly number[];

/**
 * Options of `conv1d` and `conv2d`, as `torch.nn.functional.conv1d/2d` takes them; a number applies to every
 * spatial dim.
 */
export interface ConvOptions {
  stride?: PerDim;
  /** Zeros on both sides of each spatial dim, or "valid" (none) or "same" (the output keeps the input's size; stride 1 only). */
  padding?: PerDim | "same" | "valid";
  dilation?: PerDim;
  groups?: number;
}

/**
 * Options of `convTranspose1d` and `convTranspose2d`, as `torch.nn.functional.conv_transpose1d/2d` takes
 * them.
 */
export interface ConvTransposeOptions {
  stride?: PerDim;
  /** `dilation·(kernel − 1) − padding` zeros around the input of the equivalent convolution. */
  padding?: PerDim;
  /**
   * Extra size on one side of each output dim, less than the stride or the dilation: which of the
   * input sizes a strided convolution maps to one output size the result has.
   */
  outputPadding?: PerDim;
  groups?: number;
  dilation?: PerDim;
}

/** The options given, without those left undefined: they take the op's defaults. */
function definedOptions(options: object): Attrs {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Record<string, AttrValue>;
}

/**
 * `compute` on x with a batch dim: x itself when it has one (rank spatial + 2), else x with a
 * batch of one put in front and taken off the result, as PyTorch's unbatched inputs.
 */
function withBatch(name: string, x: Tensor, spatial: number, compute: (batched: Tensor) => Tensor): Tensor {
  if (x.ndim === spatial + 2) return compute(x);
  if (x.ndim !== spatial + 1) {
    throw new OpError(name, `Expected ${spatial + 1}D (unbatched) or ${spatial + 2}D (batched) input to ${name}, but got input of size: ${formatShape(x.shape)}`);
  }
  const y = compute(reshape(x, [1, ...x.shape]));
  return reshape(y, y.shape.slice(1));
}

/** The input and weight checked, and the bias when given. */
function checkOperands(name: string, x: Tensor, weight: Tensor, bias: Tensor | undefined): void {
  checkTensor(name, "input", x);
  checkTensor(name, "weight", weight);
  if (bias !== undefined) checkTensor(name, "bias", bias);
}

function convolution(name: string, spatial: number, x: Tensor, weight: Tensor, bias: Tensor | undefined, options: ConvOptions | undefined): Tensor {
  checkOperands(name, x, weight, bias);
  const attrs = definedOptions(checkOptions(name, options, ["stride", "padding", "dilation", "groups"]));
  return withBatch(name, x, spatial, (batched) => conv(batched, weight, bias, attrs));
}

/** torch.nn.functional.conv1d: input (N, C, L) or (C, L), weight (O, C/groups, K), bias (O). */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor, options?: ConvOptions): Tensor {
  return convolution("conv1d", 1, x, weight, bias, options);
}

/** torch.nn.functional.conv2d: input (N, C, H, W) or (C, H, W), weight (O, C/groups, KH, KW), bias (O). */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, options?: ConvOptions): Tensor {
  return convolution("conv2d", 2, x, weight, bias, options);
}

function transposedConvolution(name: string, spatial: number, x: Tensor, weight: Tensor, bias: Tensor | undefined, options: ConvTransposeOptions | undefined): Tensor {
  checkOperands(name, x, weight, bias);
  const attrs = definedOptions(checkOptions(name, options, ["stride", "padding", "outputPadding", "groups", "dilation"]));
  if (typeof attrs.padding === "string") throw new OpError(name, `padding must be an integer or a list of integers, got ${describeValue(attrs.padding)}`);
  return withBatch(name, x, spatial, (batched) => convTranspose(batched, weight, bias, attrs));
}

/** torch.nn.functional.conv_transpose1d: input (N, C, L) or (C, L), weight (C, O/groups, K), bias (O). */
export function convTranspose1d(x: Tensor, weight: Tensor, bias?: Tensor, options?: ConvTransposeOptions): Tensor {
  return transposedConvolution("convTranspose1d", 1, x, weight, bias, options);
}

/** torch.nn.functional.conv_transpose2d: input (N, C, H, W) or (C, H, W), weight (C, O/groups, KH, KW), bias (O). */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor, options?: ConvTransposeOptions): Tensor {
  return transposedConvolution("convTranspose2d", 2, x, weight, bias, options);
}

// ---------------------------------------------------------------------------------------------
// Pooling

/** A kernel size as PyTorch takes it (one integer, or one per pooled dim) as the list the ops take. */
function kernelSizeList(name: string, kernelSize: unknown, spatial: number): number[] {
  if (typeof kernelSize === "number") return new Array<number>(spatial).fill(kernelSize);
  if (Array.isArray(kernelSize) && (kernelSize.length === 1 || kernelSize.length === spatial)) return kernelSize.length === 1 ? new Array<number>(spatial).fill(kernelSize[0]) : [...kernelSize];
  throw new OpError(name, `kernel_size must either be a single int, or a tuple of ${spatial === 1 ? "one int" : "two ints"}, got ${describeValue(kernelSize)}`);
}

/** Options of `maxPool1d` and `maxPool2d`, as `torch.nn.functional.max_pool1d/2d` takes them. */
export interface MaxPoolOptions {
  /** The kernel size when left out, as PyTorch's stride=None. */
  stride?: PerDim;
  /** -Infinity on both sides of each pooled dim, at most half the kernel size. */
  padding?: PerDim;
  dilation?: PerDim;
  /** Also a last, partial window where one is left (one that starts inside the input or its left padding). */
  ceilMode?: boolean;
  /** Also return where each maximum was: its position within its plane (row · width + column), as int32. */
  returnIndices?: boolean;
}

function maxPooling(name: string, spatial: number, x: Tensor, kernelSize: PerDim, options: MaxPoolOptions | undefined): Tensor | ValuesAndIndices {
  checkTensor(name, "input", x);
  const { returnIndices = false, ...rest } = checkOptions(name, options, ["stride", "padding", "dilation", "ceilMode", "returnIndices"]);
  const indices = asCalled(name, () => maxPoolIndices(x, { ...definedOptions(rest), kernelSize: kernelSizeList(name, kernelSize, spatial) }));
  const values = maxPoolValues(x, indices, spatial);
  return returnIndices ? { values, indices } : values;
}

/**
 * torch.nn.functional.max_pool1d on (N, C, L) or (C, L). The gradient goes to each window's
 * maximum (the first one, or a NaN), summed where windows overlap, as in PyTorch.
 */
export function maxPool1d(x: Tensor, kernelSize: PerDim, options?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(x: Tensor, kernelSize: PerDim, options: MaxPoolOptions & { returnIndices: true }): ValuesAndIndices;
export function maxPool1d(x: Tensor, kernelSize: PerDim, options?: MaxPoolOptions): Tensor | ValuesAndIndices;
export function maxPool1d(x: Tensor, kernelSize: PerDim, options?: MaxPoolOptions): Tensor | ValuesAndIndices {
  return maxPooling("maxPool1d", 1, x, kernelSize, options);
}

/** torch.nn.functional.max_pool2d on (N, C, H, W) or (C, H, W); see maxPool1d. */
export function maxPool2d(x: Tensor, kernelSize: PerDim, options?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: PerDim, options: MaxPoolOptions & { returnIndices: true }): ValuesAndIndices;
export function maxPool2d(x: Tensor, kernelSize: PerDim, options?: MaxPoolOptions): Tensor | ValuesAndIndices;
export function maxPool2d(x: Tensor, kernelSize: PerDim, options?: MaxPoolOptions): Tensor | ValuesAndIndices {
  return maxPooling("maxPool2d", 2, x, kernelSize, options);
}

/** Options of `avgPool1d`, as `torch.nn.functional.avg_pool1d` takes them. */
export interface AvgPool1dOptions {
  /** The kernel size when left out. */
  stride?: PerDim;
  /** Zeros on both sides of each pooled dim, at most half the kernel size. */
  padding?: PerDim;
  ceilMode?: boolean;
  /** Divide by the window's size with the padding it covers (default true), or without. */
  countIncludePad?: boolean;
}

/** Options of `avgPool2d`: `avgPool1d`'s and PyTorch's `divisor_override`. */
export interface AvgPool2dOptions extends AvgPool1dOptions {
  /** Divide every window's sum by this instead. */
  divisorOverride?: number;
}

function averagePool(name: string, spatial: number, x: Tensor, kernelSize: PerDim, options: object | undefined, names: string[]): Tensor {
  checkTensor(name, "input", x);
  return asCalled(name, () => avgPool(x, { ...definedOptions(checkOptions(name, options, names)), kernelSize: kernelSizeList(name, kernelSize, spatial) }));
}

/** torch.nn.functional.avg_pool1d on (N, C, L) or (C, L) (PyTorch's takes no divisorOverride). */
export function avgPool1d(x: Tensor, kernelSize: PerDim, options?: AvgPool1dOptions): Tensor {
  return averagePool("avgPool1d", 1, x, kernelSize, options, ["stride", "padding", "ceilMode", "countIncludePad"]);
}

/** torch.nn.functional.avg_pool2d on (N, C, H, W) or (C, H, W). */
export function avgPool2d(x: Tensor, kernelSize: PerDim, options?: AvgPool2dOptions): Tensor {
  return averagePool("avgPool2d", 2, x, kernelSize, options, ["stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"]);
}

/** An output size as PyTorch takes it: one integer, or one per pooled dim where null keeps the input's size. */
function outputSizeList(name: string, x: Tensor, outputSize: unknown, spatial: number): number[] {
  const sizes = typeof outputSize === "number" ? new Array<number | null>(spatial).fill(outputSize) : outputSize;
  if (!Array.isArray(sizes) || sizes.length !== spatial || !sizes.every((s) => s === null || typeof s === "number")) {
    throw new OpError(name, `output_size must be ${spatial}, got ${describeValue(outputSize)}`);
  }
  return sizes.map((size, d) => (size === null ? x.shape[x.ndim - spatial + d] : size));
}

/** torch.nn.functional.adaptive_avg_pool1d on (N, C, L) or (C, L). */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number | readonly [number]): Tensor {
  checkTensor("adaptiveAvgPool1d", "input", x);
  return asCalled("adaptiveAvgPool1d", () => adaptiveAvgPool(x, outputSizeList("adaptiveAvgPool1d", x, outputSize, 1)));
}

/** torch.nn.functional.adaptive_avg_pool2d on (N, C, H, W) or (C, H, W); a null size keeps the input's. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  checkTensor("adaptiveAvgPool2d", "input", x);
  return asCalled("adaptiveAvgPool2d", () => adaptiveAvgPool(x, outputSizeList("adaptiveAvgPool2d", x, outputSize, 2)));
}

// ---------------------------------------------------------------------------------------------
// Interpolation

/** The sampling `interpolate` does (PyTorch's `mode=`). */
export type InterpolateMode = "nearest" | "linear" | "bilinear";

/** Options of `interpolate`, as `torch.nn.functional.interpolate` takes them: `size` or `scaleFactor`. */
export interface InterpolateOptions {
  /** The output's spatial size (one integer for every dim, or one per dim); or give scaleFactor. */
  size?: PerDim;
  /** The output size is floor(input size · scale factor), and the scale factor places the samples. */
  scaleFactor?: number | readonly number[];
  mode?: InterpolateMode;
  /** linear and bilinear only: the corner samples of input and output coincide (default false). */
  alignCorners?: boolean;
  /** Place the samples by the output size that scaleFactor gives rather than by the scale factor itself. */
  recomputeScaleFactor?: boolean;
}

/** Output sizes (and the scale factors that place the samples, if any) as F.interpolate works them out. */
function interpolationSizes(x: Tensor, spatial: number, { size, scaleFactor, recomputeScaleFactor }: InterpolateOptions) {
  const input = x.shape.slice(2);
  const perDim = (value: PerDim, what: string) => {
    const values = typeof value === "number" ? new Array<number>(spatial).fill(value) : [...value];
    if (values.length !== spatial) {
      throw new OpError(
        "interpolate",
        `Input and ${what} must have the same number of spatial dimensions, but got input with spatial dimensions of ${formatShape(input)} and ${what} of shape ${formatShape(values)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and ${what} in (s1, s2, ...,sK) format.`,
      );
    }
    return values;
  };
  if (size !== undefined && scaleFactor !== undefined) throw new OpError("interpolate", "only one of size or scale_factor should be defined");
  if (size === undefined && scaleFactor === undefined) throw new OpError("interpolate", "either size or scale_factor should be defined");
  if (size !== undefined && recomputeScaleFactor) {
    throw new OpError("interpolate", "recompute_scale_factor is not meaningful with an explicit size.");
  }
  let outputSize: number[];
  let scales: (number | undefined)[] = input.map(() => undefined);
  if (size !== undefined) outputSize = perDim(size, "output size");
  else {
    scales = perDim(scaleFactor!, "scale_factor");
    outputSize = input.map((length, d) => Math.floor(length * scales[d]!));
    if (recomputeScaleFactor) scales = input.map(() => undefined);
  }
  if (outputSize.some((s) => !(s > 0)) || !outputSize.every(Number.isSafeInteger)) {
    const names = ["D", "H", "W"].slice(3 - spatial);
    const sizes = (s: readonly number[]) => `(${s.map((v, d) => `${names[d]}: ${v}`).join(", ")})`;
    throw new OpError("interpolate", `Input and output sizes should be greater than 0, but got input ${sizes(input)} output ${sizes(outputSize)}`);
  }
  return { outputSize, scales };
}

/**
 * torch.nn.functional.interpolate (PyTorch 1.13) on (N, C, L) or (N, C, H, W): "nearest" (the
 * default) picks floor(o · scale); "linear" (3-D input) and "bilinear" (4-D) weigh the two
 * neighbours of each sample. The samples sit where PyTorch's kernels put them (ops/interpolation.ts);
 * the gradient sends each output's gradient back to what it read, PyTorch's but for its 1-D
 * nearest backward, which picks other positions than its forward.
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  checkTensor("interpolate", "input", x);
  const given = checkOptions("interpolate", options, ["size", "scaleFactor", "mode", "alignCorners", "recomputeScaleFactor"]);
  const { mode = "nearest", alignCorners } = given;
  const spatial = x.ndim - 2;
  if (spatial < 1 || spatial > 3) {
    throw new OpError(
      "interpolate",
      `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${x.ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ${mode})`,
    );
  }
  if (spatial === 3) throw new OpError("interpolate", "5-D inputs (3 spatial dims) are not supported here; PyTorch's trilinear and 3-D nearest modes are left out");
  if (mode === "nearest" && alignCorners !== undefined) {
    throw new OpError("interpolate", "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear");
  }
  if (mode === "linear" || mode === "bilinear") {
    const rank = mode === "linear" ? 3 : 4;
    if (x.ndim !== rank) throw new OpError("interpolate", `Got ${x.ndim}D input, but ${mode} mode needs ${rank}D input`);
  } else if (mode !== "nearest") {
    throw new OpError("interpolate", `mode must be "nearest", "linear" or "bilinear", got ${describeValue(mode)}`);
  }
  const { outputSize, scales } = interpolationSizes(x, spatial, given);
  return interpolateNode(x, { mode: mode === "nearest" ? "nearest" : "linear", alignCorners: alignCorners ?? false, outputSize, scales: scales.map((s) => s ?? 0) });
}
