/**
 * torch.nn's pooling and resampling layers on the core's functional forms: MaxPool1d/2d,
 * AvgPool1d/2d, AdaptiveAvgPool1d/2d and Upsample, with PyTorch's options (camel-cased). They hold
 * no parameters; as in PyTorch, their options are checked when they run.
 */
import {
  type AvgPool1dOptions,
  type AvgPool2dOptions,
  type InterpolateOptions,
  type MaxPoolOptions,
  type Tensor,
  type ValuesAndIndices,
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  interpolate,
  maxPool1d,
  maxPool2d,
} from "@gradgraph/core";
import { Module, type ModuleOptions } from "../module";
import { pyBool, pyFloat, pyIntOrTuple, pyTuple } from "../pythonRepr";
import { checkTensor, readOptions } from "../validation";

/** PyTorch's int-or-tuple: one value for every pooled dim, or one per dim. */
type PerDim = number | readonly number[];

/**
 * Options of `MaxPool1d` and `MaxPool2d`: those of `maxPool1d/2d`, and whether forward also returns the
 * indices.
 */
export interface MaxPoolModuleOptions<R extends boolean> extends Omit<MaxPoolOptions, "returnIndices">, ModuleOptions {
  /** forward returns the values and where each maximum was (its position within its plane). */
  returnIndices?: R;
}

const maxPoolOptionNames = ["stride", "padding", "dilation", "ceilMode", "returnIndices", "name"] as const;

/** MaxPool1d and MaxPool2d: the same layer on `pool` (maxPool1d or maxPool2d). */
abstract class MaxPool<R extends boolean> extends Module<[Tensor], R extends true ? ValuesAndIndices : Tensor> {
  private readonly options: MaxPoolOptions;

  constructor(
    owner: string,
    private readonly pool: typeof maxPool2d,
    readonly kernelSize: PerDim,
    options: MaxPoolModuleOptions<R> | undefined,
  ) {
    const { name, ...rest } = readOptions(owner, options, [...maxPoolOptionNames]);
    super({ name });
    this.options = rest;
  }

  forward(input: Tensor): R extends true ? ValuesAndIndices : Tensor {
    checkTensor(this.constructor.name, "input", input);
    return this.pool(input, this.kernelSize, this.options) as R extends true ? ValuesAndIndices : Tensor;
  }

  override extraRepr(): string {
    const { stride = this.kernelSize, padding = 0, dilation = 1, ceilMode = false } = this.options;
    return `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(stride)}, padding=${pyIntOrTuple(padding)}, dilation=${pyIntOrTuple(dilation)}, ceil_mode=${pyBool(ceilMode)}`;
  }
}

/** torch.nn.MaxPool1d on (N, C, L) or (C, L). */
export class MaxPool1d<R extends boolean = false> extends MaxPool<R> {
  constructor(kernelSize: PerDim, options?: MaxPoolModuleOptions<R>) {
    super("MaxPool1d", maxPool1d, kernelSize, options);
  }
}

/** torch.nn.MaxPool2d on (N, C, H, W) or (C, H, W). */
export class MaxPool2d<R extends boolean = false> extends MaxPool<R> {
  constructor(kernelSize: PerDim, options?: MaxPoolModuleOptions<R>) {
    super("MaxPool2d", maxPool2d, kernelSize, options);
  }
}

/** torch.nn.AvgPool1d on (N, C, L) or (C, L) (PyTorch's takes no divisorOverride). */
export class AvgPool1d extends Module {
  private readonly options: AvgPool1dOptions;

  constructor(
    readonly kernelSize: PerDim,
    options?: AvgPool1dOptions & ModuleOptions,
  ) {
    const { name, ...rest } = readOptions("AvgPool1d", options, ["stride", "padding", "ceilMode", "countIncludePad", "name"]);
    super({ name });
    this.options = rest;
  }

  forward(input: Tensor): Tensor {
    checkTensor("AvgPool1d", "input", input);
    return avgPool1d(input, this.kernelSize, this.options);
  }

  /** PyTorch's AvgPool1d stores its sizes as 1-tuples (`kernel_size=(3,)`), unlike AvgPool2d. */
  override extraRepr(): string {
    const asTuple = (value: PerDim) => pyTuple(typeof value === "number" ? [value] : value);
    const { stride = this.kernelSize, padding = 0 } = this.options;
    return `kernel_size=${asTuple(this.kernelSize)}, stride=${asTuple(stride)}, padding=${asTuple(padding)}`;
  }
}

/** torch.nn.AvgPool2d on (N, C, H, W) or (C, H, W). */
export class AvgPool2d extends Module {
  private readonly options: AvgPool2dOptions;

  constructor(
    readonly kernelSize: PerDim,
    options?: AvgPool2dOptions & ModuleOptions,
  ) {
    const { name, ...rest } = readOptions("AvgPool2d", options, ["stride", "padding", "ceilMode", "countIncludePad", "divisorOverride", "name"]);
    super({ name });
    this.options = rest;
  }

  forward(input: Tensor): Tensor {
    checkTensor("AvgPool2d", "input", input);
    return avgPool2d(input, this.kernelSize, this.options);
  }

  override extraRepr(): string {
    const { stride = this.kernelSize, padding = 0 } = this.options;
    return `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(stride)}, padding=${pyIntOrTuple(padding)}`;
  }
}

/** torch.nn.AdaptiveAvgPool1d on (N, C, L) or (C, L). */
export class AdaptiveAvgPool1d extends Module {
  constructor(
    readonly outputSize: number | readonly [number],
    options?: ModuleOptions,
  ) {
    super(readOptions("AdaptiveAvgPool1d", options, ["name"]));
  }

  forward(input: Tensor): Tensor {
    checkTensor("AdaptiveAvgPool1d", "input", input);
    return adaptiveAvgPool1d(input, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${pyIntOrTuple(this.outputSize)}`;
  }
}

/** torch.nn.AdaptiveAvgPool2d on (N, C, H, W) or (C, H, W); a null size keeps the input's. */
export class AdaptiveAvgPool2d extends Module {
  constructor(
    readonly outputSize: number | readonly [number | null, number | null],
    options?: ModuleOptions,
  ) {
    super(readOptions("AdaptiveAvgPool2d", options, ["name"]));
  }

  forward(input: Tensor): Tensor {
    checkTensor("AdaptiveAvgPool2d", "input", input);
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${pyIntOrTuple(this.outputSize)}`;
  }
}

/** torch.nn.Upsample: F.interpolate with the options given at construction (size or scaleFactor, mode, alignCorners). */
export class Upsample extends Module {
  private readonly options: InterpolateOptions;

  constructor(options: InterpolateOptions & ModuleOptions) {
    const { name, ...rest } = readOptions("Upsample", options, ["size", "scaleFactor", "mode", "alignCorners", "recomputeScaleFactor", "name"]);
    super({ name });
    this.options = rest;
  }

  forward(input: Tensor): Tensor {
    checkTensor("Upsample", "input", input);
    return interpolate(input, this.options);
  }

  /** As PyTorch 1.13's: the scale factor (floats) or else the size, and the mode (alignCorners is not shown). */
  override extraRepr(): string {
    const { size, scaleFactor, mode = "nearest" } = this.options;
    const sizing = scaleFactor !== undefined ? `scale_factor=${pyIntOrTuple(scaleFactor, pyFloat)}` : `size=${pyIntOrTuple(size ?? null)}`;
    return `${sizing}, mode=${mode}`;
  }
}
