/**
 * torch.nn's convolution layers on the core's functional forms: Conv1d, Conv2d, ConvTranspose1d,
 * ConvTranspose2d, with PyTorch's options, parameter names (`weight`, `bias`), weight layouts
 * ((out, in/groups, ...kernel), transposed (in, out/groups, ...kernel)) and initialization:
 * kaiming_uniform(a = √5) on the weight, then U(±1/√fan_in) on the bias, drawn in that order.
 */
import {
  type FloatDType,
  type Generator,
  type PadMode,
  type Tensor,
  conv1d,
  conv2d,
  convTranspose1d,
  convTranspose2d,
  formatShape,
  pad,
  zeros,
} from "@gradgraph/core";
import { fanInAndFanOut, fillKaimingUniform, fillUniform } from "../init";
import { Module, type ModuleOptions } from "../module";
import { pyTuple } from "../pythonRepr";
import { checkBoolean, checkFloatDType, checkGenerator, checkPositiveInteger, checkTensor, describeValue, readOptions } from "../validation";

/** PyTorch's int-or-tuple: one value for every spatial dim, or one per dim. */
type PerDim = number | readonly number[];

/** What pads the input: zeros (the convolution's own padding), or F.pad's modes. */
export type ConvPaddingMode = "zeros" | Exclude<PadMode, "constant">;
const paddingModes: readonly ConvPaddingMode[] = ["zeros", "reflect", "replicate", "circular"];

interface CommonConvOptions extends ModuleOptions {
  stride?: PerDim;
  dilation?: PerDim;
  groups?: number;
  bias?: boolean;
  dtype?: FloatDType;
  /** Where the initial weights are drawn from; the shared default generator unless given. */
  generator?: Generator;
}

/** Options of `Conv1d` and `Conv2d`, as `torch.nn.Conv1d/2d` take them. */
export interface ConvOptions extends CommonConvOptions {
  /** Padding on both sides of each spatial dim, or "valid" (none) or "same" (the output keeps the input's size; stride 1 only). */
  padding?: PerDim | "same" | "valid";
  paddingMode?: ConvPaddingMode;
}

/** Options of `ConvTranspose1d` and `ConvTranspose2d`, as `torch.nn.ConvTranspose1d/2d` take them. */
export interface ConvTransposeOptions extends CommonConvOptions {
  padding?: PerDim;
  /** Added to one side of each output dim; forward's outputSize picks it instead. */
  outputPadding?: PerDim;
  /** PyTorch's transposed convolutions pad with zeros only. */
  paddingMode?: "zeros";
}

/** PyTorch's _single/_pair: `value` as one entry per spatial dim, each an integer of at least `min`. */
function perDim(owner: string, what: string, value: unknown, spatial: number, min: number): number[] {
  const values = typeof value === "number" ? new Array<number>(spatial).fill(value) : value;
  if (!Array.isArray(values) || values.length !== spatial || !values.every((v) => Number.isInteger(v) && v >= min)) {
    throw new RangeError(`${owner}: ${what} must be an integer of at least ${min} or ${spatial} of them, got ${describeValue(value)}`);
  }
  return [...values];
}

/** kernelSize, stride and dilation as one positive integer per spatial dim. */
interface Windows {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
}

function windowsOf(owner: string, spatial: number, kernelSize: PerDim, { stride = 1, dilation = 1 }: CommonConvOptions): Windows {
  return {
    kernelSize: perDim(owner, "kernelSize", kernelSize, spatial, 1),
    stride: perDim(owner, "stride", stride, spatial, 1),
    dilation: perDim(owner, "dilation", dilation, spatial, 1),
  };
}

/**
 * The parts Conv and ConvTranspose share (PyTorch's _ConvNd): the checks, the weight and its
 * initialization, the bias of `outChannels` elements. Everything is checked before anything is
 * drawn, so a refused layer leaves the generator as it was.
 */
abstract class ConvNd<Args extends unknown[]> extends Module<Args> {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;

  constructor(
    owner: string,
    readonly inChannels: number,
    readonly outChannels: number,
    windows: Windows,
    readonly groups: number,
    { bias = true, dtype = "float32", generator, name }: CommonConvOptions,
    transposed: boolean,
  ) {
    super({ name });
    checkPositiveInteger(owner, "inChannels", inChannels);
    checkPositiveInteger(owner, "outChannels", outChannels);
    checkPositiveInteger(owner, "groups", groups);
    if (inChannels % groups !== 0) throw new RangeError(`${owner}: in_channels must be divisible by groups, got inChannels ${inChannels} and groups ${groups}`);
    if (outChannels % groups !== 0) throw new RangeError(`${owner}: out_channels must be divisible by groups, got outChannels ${outChannels} and groups ${groups}`);
    checkBoolean(owner, "bias", bias);
    checkFloatDType(owner, dtype);
    checkGenerator(owner, generator);
    this.kernelSize = windows.kernelSize;
    this.stride = windows.stride;
    this.dilation = windows.dilation;
    const channels = transposed ? [inChannels, outChannels / groups] : [outChannels, inChannels / groups];
    this.weight = this.registerParameter("weight", zeros([...channels, ...this.kernelSize], { dtype }));
    this.bias = bias ? this.registerParameter("bias", zeros([outChannels], { dtype })) : undefined;
    // PyTorch's reset_parameters (fan_in is never 0 here: channels and kernel sizes are positive).
    fillKaimingUniform(this.weight, Math.sqrt(5), generator);
    const { fanIn } = fanInAndFanOut(this.weight.shape);
    if (this.bias !== undefined) fillUniform(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), generator);
  }

  /** PyTorch's _ConvNd.extra_repr, which prints only the options that differ from their defaults (kernel and stride always). */
  protected convRepr(padding: readonly number[] | "same" | "valid", outputPadding: readonly number[], paddingMode: string): string {
    const differs = (values: readonly number[], from: number) => values.some((v) => v !== from);
    let text = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof padding === "string") text += `, padding=${padding}`;
    else if (differs(padding, 0)) text += `, padding=${pyTuple(padding)}`;
    if (differs(this.dilation, 1)) text += `, dilation=${pyTuple(this.dilation)}`;
    if (differs(outputPadding, 0)) text += `, output_padding=${pyTuple(outputPadding)}`;
    if (this.groups !== 1) text += `, groups=${this.groups}`;
    if (this.bias === undefined) text += ", bias=False";
    if (paddingMode !== "zeros") text += `, padding_mode=${paddingMode}`;
    return text;
  }
}

const convOptionNames = ["stride", "padding", "dilation", "groups", "bias", "paddingMode", "dtype", "generator", "name"] as const;

/** The padding as PyTorch's _ConvNd checks it: a string only "same" (unstrided) or "valid". */
function convPadding(owner: string, padding: unknown, { stride }: Windows, spatial: number): readonly number[] | "same" | "valid" {
  if (typeof padding !== "string") return perDim(owner, "padding", padding, spatial, 0);
  if (padding !== "same" && padding !== "valid") throw new RangeError(`${owner}: Invalid padding string '${padding}', should be one of ["valid", "same"]`);
  if (padding === "same" && stride.some((s) => s !== 1)) throw new RangeError(`${owner}: padding='same' is not supported for strided convolutions`);
  return padding;
}

/** F.pad's amounts (the last dim first) that pad as the convolution would: "same" puts its odd zero after. */
function explicitPadding(padding: readonly number[] | "same" | "valid", { kernelSize, dilation }: Windows): number[] {
  const around = kernelSize.map((k, d) => {
    if (padding === "valid") return [0, 0];
    if (padding !== "same") return [padding[d], padding[d]];
    const total = dilation[d] * (k - 1);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
  return around.reverse().flat();
}

/** torch.nn.Conv1d and Conv2d: the same layer over 1 or 2 spatial dims, on `convolve` (conv1d or conv2d). */
abstract class Conv extends ConvNd<[Tensor]> {
  readonly padding: readonly number[] | "same" | "valid";
  readonly paddingMode: ConvPaddingMode;

  constructor(
    owner: string,
    spatial: number,
    private readonly convolve: typeof conv2d,
    inChannels: number,
    outChannels: number,
    kernelSize: PerDim,
    options: ConvOptions | undefined,
  ) {
    const given = readOptions(owner, options, [...convOptionNames]);
    const { groups = 1, padding = 0, paddingMode = "zeros" } = given;
    const windows = windowsOf(owner, spatial, kernelSize, given);
    const checkedPadding = convPadding(owner, padding, windows, spatial);
    if (!paddingModes.includes(paddingMode)) {
      throw new RangeError(`${owner}: padding_mode must be one of ${paddingModes.map((m) => `'${m}'`).join(", ")}, but got padding_mode=${describeValue(paddingMode)}`);
    }
    super(owner, inChannels, outChannels, windows, groups, given, false);
    this.padding = checkedPadding;
    this.paddingMode = paddingMode;
  }

  forward(input: Tensor): Tensor {
    checkTensor(this.constructor.name, "input", input);
    const { stride, dilation, groups } = this;
    if (this.paddingMode === "zeros") return this.convolve(input, this.weight, this.bias, { stride, padding: this.padding, dilation, groups });
    const padded = pad(input, explicitPadding(this.padding, this), this.paddingMode);
    return this.convolve(padded, this.weight, this.bias, { stride, padding: 0, dilation, groups });
  }

  override extraRepr(): string {
    return this.convRepr(this.padding, [], this.paddingMode);
  }
}

/** torch.nn.Conv1d on (N, C, L) or (C, L). */
export class Conv1d extends Conv {
  constructor(inChannels: number, outChannels: number, kernelSize: PerDim, options?: ConvOptions) {
    super("Conv1d", 1, conv1d, inChannels, outChannels, kernelSize, options);
  }
}

/** torch.nn.Conv2d on (N, C, H, W) or (C, H, W). */
export class Conv2d extends Conv {
  constructor(inChannels: number, outChannels: number, kernelSize: PerDim, options?: ConvOptions) {
    super("Conv2d", 2, conv2d, inChannels, outChannels, kernelSize, options);
  }
}

const convTransposeOptionNames = ["stride", "padding", "outputPadding", "dilation", "groups", "bias", "paddingMode", "dtype", "generator", "name"] as const;

/** torch.nn.ConvTranspose1d and ConvTranspose2d: the same layer over 1 or 2 spatial dims, on `convolve` (convTranspose1d or 2d). */
abstract class ConvTranspose extends ConvNd<[input: Tensor, outputSize?: readonly number[]]> {
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];

  constructor(
    owner: string,
    private readonly spatial: number,
    private readonly convolve: typeof convTranspose2d,
    inChannels: number,
    outChannels: number,
    kernelSize: PerDim,
    options: ConvTransposeOptions | undefined,
  ) {
    const given = readOptions(owner, options, [...convTransposeOptionNames]);
    const { groups = 1, padding = 0, outputPadding = 0, paddingMode = "zeros" } = given;
    if (paddingMode !== "zeros") throw new RangeError(`${owner}: Only "zeros" padding mode is supported for ${owner}`);
    const windows = windowsOf(owner, spatial, kernelSize, given);
    const checkedPadding = perDim(owner, "padding", padding, spatial, 0);
    const checkedOutputPadding = perDim(owner, "outputPadding", outputPadding, spatial, 0);
    super(owner, inChannels, outChannels, windows, groups, given, true);
    this.padding = checkedPadding;
    this.outputPadding = checkedOutputPadding;
  }

  /**
   * PyTorch's _output_padding: the outputPadding that gives `outputSize` (the spatial sizes, or
   * with the batch and channel dims in front), which must lie within one stride of the smallest.
   */
  private outputPaddingFor(input: Tensor, outputSize: readonly number[]): number[] {
    const owner = this.constructor.name;
    const front = input.ndim === this.spatial + 2 ? 2 : 1;
    const sizes = outputSize.length === front + this.spatial ? outputSize.slice(front) : outputSize;
    if (!Array.isArray(sizes) || sizes.length !== this.spatial) {
      throw new RangeError(`${owner}: output_size must have ${this.spatial} or ${front + this.spatial} elements (got ${outputSize.length})`);
    }
    return sizes.map((size, d) => {
      const smallest = (input.shape[front + d] - 1) * this.stride[d] - 2 * this.padding[d] + this.dilation[d] * (this.kernelSize[d] - 1) + 1;
      const largest = smallest + this.stride[d] - 1;
      if (!(size >= smallest && size <= largest)) {
        throw new RangeError(`${owner}: requested an output size of ${formatShape(sizes)}, but valid sizes range from ${smallest} to ${largest} (for an input of ${formatShape(input.shape.slice(front))})`);
      }
      return size - smallest;
    });
  }

  forward(input: Tensor, outputSize?: readonly number[]): Tensor {
    checkTensor(this.constructor.name, "input", input);
    const outputPadding = outputSize === undefined ? this.outputPadding : this.outputPaddingFor(input, outputSize);
    const { stride, padding, dilation, groups } = this;
    return this.convolve(input, this.weight, this.bias, { stride, padding, outputPadding, dilation, groups });
  }

  override extraRepr(): string {
    return this.convRepr(this.padding, this.outputPadding, "zeros");
  }
}

/** torch.nn.ConvTranspose1d on (N, C, L) or (C, L); `forward(input, outputSize)` picks the output length. */
export class ConvTranspose1d extends ConvTranspose {
  constructor(inChannels: number, outChannels: number, kernelSize: PerDim, options?: ConvTransposeOptions) {
    super("ConvTranspose1d", 1, convTranspose1d, inChannels, outChannels, kernelSize, options);
  }
}

/** torch.nn.ConvTranspose2d on (N, C, H, W) or (C, H, W); `forward(input, outputSize)` picks the output size. */
export class ConvTranspose2d extends ConvTranspose {
  constructor(inChannels: number, outChannels: number, kernelSize: PerDim, options?: ConvTransposeOptions) {
    super("ConvTranspose2d", 2, convTranspose2d, inChannels, outChannels, kernelSize, options);
  }
}
