/**
 * torch.nn's normalization layers on the core's functional forms: LayerNorm, GroupNorm and
 * BatchNorm1d/2d, with PyTorch's parameter and buffer names (`weight`, `bias`, `running_mean`,
 * `running_var`, `num_batches_tracked`) and initialization (weight ones, bias zeros, running
 * mean zeros, running variance ones: nothing is drawn).
 */
import { evaluate, type FloatDType, type Tensor, batchNorm, groupNorm, layerNorm, ones, zeros } from "@gradgraph/core";
import { Module, type ModuleOptions } from "../module";
import { checkBoolean, checkFiniteNumber, checkFloatDType, checkPositiveInteger, checkTensor, describeValue, readOptions } from "../validation";
import { pyBool, pyFloat, pyTuple } from "../pythonRepr";
import { restated } from "./restate";

/** Options of `LayerNorm`, as `torch.nn.LayerNorm` takes them. */
export interface LayerNormOptions extends ModuleOptions {
  /** Added to the variance, 1e-5 by default. */
  eps?: number;
  /** PyTorch's elementwise_affine: a learnable weight and bias of the normalized shape (true by default). */
  elementwiseAffine?: boolean;
  dtype?: FloatDType;
}

/** torch.nn.LayerNorm: each slice over the last dims (`normalizedShape`) standardized, then scaled and shifted elementwise. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  readonly weight: Tensor | undefined;
  readonly bias: Tensor | undefined;

  constructor(normalizedShape: number | readonly number[], options?: LayerNormOptions) {
    const { eps = 1e-5, elementwiseAffine = true, dtype = "float32", name } = readOptions("LayerNorm", options, ["eps", "elementwiseAffine", "dtype", "name"]);
    super({ name });
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(shape) || shape.length === 0) {
      throw new TypeError(`LayerNorm: normalizedShape must be a size or a non-empty array of sizes, got ${describeValue(normalizedShape)}`);
    }
    shape.forEach((size, i) => checkPositiveInteger("LayerNorm", `normalizedShape[${i}]`, size));
    checkFiniteNumber("LayerNorm", "eps", eps);
    checkBoolean("LayerNorm", "elementwiseAffine", elementwiseAffine);
    checkFloatDType("LayerNorm", dtype);
    this.normalizedShape = [...shape];
    this.eps = eps;
    this.elementwiseAffine = elementwiseAffine;
    this.weight = elementwiseAffine ? this.registerParameter("weight", ones(shape, { dtype })) : undefined;
    this.bias = elementwiseAffine ? this.registerParameter("bias", zeros(shape, { dtype })) : undefined;
  }

  forward(input: Tensor): Tensor {
    checkTensor("LayerNorm", "input", input);
    return restated("LayerNorm", "layerNorm", () => layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps));
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** Options of `GroupNorm`, as `torch.nn.GroupNorm` takes them. */
export interface GroupNormOptions extends ModuleOptions {
  eps?: number;
  /** A learnable per-channel weight and bias (true by default). */
  affine?: boolean;
  dtype?: FloatDType;
}

/** torch.nn.GroupNorm: the channels of each sample standardized in `numGroups` groups, then scaled and shifted per channel. */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly affine: boolean;
  readonly weight: Tensor | undefined;
  readonly bias: Tensor | undefined;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options?: GroupNormOptions,
  ) {
    const { eps = 1e-5, affine = true, dtype = "float32", name } = readOptions("GroupNorm", options, ["eps", "affine", "dtype", "name"]);
    super({ name });
    checkPositiveInteger("GroupNorm", "numGroups", numGroups);
    checkPositiveInteger("GroupNorm", "numChannels", numChannels);
    if (numChannels % numGroups !== 0) {
      throw new RangeError(`GroupNorm: num_channels must be divisible by num_groups, got numChannels ${numChannels} and numGroups ${numGroups}`);
    }
    checkFiniteNumber("GroupNorm", "eps", eps);
    checkBoolean("GroupNorm", "affine", affine);
    checkFloatDType("GroupNorm", dtype);
    this.eps = eps;
    this.affine = affine;
    this.weight = affine ? this.registerParameter("weight", ones([numChannels], { dtype })) : undefined;
    this.bias = affine ? this.registerParameter("bias", zeros([numChannels], { dtype })) : undefined;
  }

  forward(input: Tensor): Tensor {
    checkTensor("GroupNorm", "input", input);
    return restated("GroupNorm", "groupNorm", () => groupNorm(input, this.numGroups, this.weight, this.bias, this.eps));
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}

/** Options of `BatchNorm1d` and `BatchNorm2d`, as `torch.nn.BatchNorm1d/2d` take them. */
export interface BatchNormOptions extends ModuleOptions {
  eps?: number;
  /**
   * The weight of each batch in the running statistics, 0.1 by default; null makes them the
   * cumulative average of every batch so far (weight 1 / numBatchesTracked), as PyTorch's None.
   */
  momentum?: number | null;
  /** A learnable per-channel weight and bias (true by default). */
  affine?: boolean;
  /**
   * Keep running statistics (true by default) to normalize with after `eval()`. Without them
   * there are no buffers and every batch is normalized with its own statistics, in eval too.
   */
  trackRunningStats?: boolean;
  dtype?: FloatDType;
}

/**
 * PyTorch's _BatchNorm: each channel (dim 1) standardized over the batch and every other dim.
 * In training, with the batch's statistics, and the running ones updated when `forward` is
 * called (as PyTorch updates them in place during the forward pass, so the batch's statistics
 * are computed then): `num_batches_tracked` counts the batch, the running mean moves towards the
 * batch mean and the running variance towards its unbiased variance. After `eval()`, with the
 * running statistics.
 */
abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Tensor | undefined;
  readonly bias: Tensor | undefined;
  readonly runningMean: Tensor | undefined;
  readonly runningVar: Tensor | undefined;
  /** An int32 0-d count (PyTorch's is int64). */
  readonly numBatchesTracked: Tensor | undefined;

  constructor(
    readonly numFeatures: number,
    options?: BatchNormOptions,
  ) {
    const owner = new.target.name;
    const read = readOptions(owner, options, ["eps", "momentum", "affine", "trackRunningStats", "dtype", "name"]);
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true, dtype = "float32", name } = read;
    super({ name });
    checkPositiveInteger(owner, "numFeatures", numFeatures);
    checkFiniteNumber(owner, "eps", eps);
    if (momentum !== null) checkFiniteNumber(owner, "momentum (a number, or null for a cumulative average)", momentum);
    checkBoolean(owner, "affine", affine);
    checkBoolean(owner, "trackRunningStats", trackRunningStats);
    checkFloatDType(owner, dtype);
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
    this.weight = affine ? this.registerParameter("weight", ones([numFeatures], { dtype })) : undefined;
    this.bias = affine ? this.registerParameter("bias", zeros([numFeatures], { dtype })) : undefined;
    this.runningMean = trackRunningStats ? this.registerBuffer("running_mean", zeros([numFeatures], { dtype })) : undefined;
    this.runningVar = trackRunningStats ? this.registerBuffer("running_var", ones([numFeatures], { dtype })) : undefined;
    this.numBatchesTracked = trackRunningStats ? this.registerBuffer("num_batches_tracked", zeros([], { dtype: "int32" })) : undefined;
  }

  /** PyTorch's _check_input_dim: throws the module's error for an input of the wrong rank. */
  protected abstract checkInputDim(input: Tensor): void;

  forward(input: Tensor): Tensor {
    const owner = this.constructor.name;
    checkTensor(owner, "input", input);
    this.checkInputDim(input);
    const statistics = this.runningMean?.dtype;
    if (statistics !== undefined && input.dtype !== statistics) {
      // The updated statistics are assigned into the buffers, which keep their dtype.
      throw new TypeError(`${owner}: input is ${input.dtype} but the running statistics are ${statistics}; cast it with .cast("${statistics}") or convert the module with .to("${input.dtype}")`);
    }
    let averagingFactor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked !== undefined) {
      const batches = this.numBatchesTracked.item() + 1;
      this.numBatchesTracked.assign(batches);
      if (this.momentum === null) averagingFactor = 1 / batches;
    }
    const useBatchStatistics = this.training || this.runningMean === undefined;
    const result = restated(owner, "batchNorm", () =>
      batchNorm(input, this.runningMean, this.runningVar, this.weight, this.bias, useBatchStatistics, averagingFactor, this.eps),
    );
    if (result.runningMean !== undefined && result.runningVar !== undefined) {
      // Both statistics in one evaluation: each assign of a tensor would run the layer's forward again.
      const [mean, variance] = evaluate([result.runningMean, result.runningVar]);
      this.runningMean!.assign(mean);
      this.runningVar!.assign(variance);
    }
    return result.output;
  }

  override extraRepr(): string {
    const momentum = this.momentum === null ? "None" : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${momentum}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** torch.nn.BatchNorm1d: inputs (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNormBase {
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) throw new RangeError(`BatchNorm1d: expected 2D or 3D input (got ${input.ndim}D input)`);
  }
}

/** torch.nn.BatchNorm2d: inputs (N, C, H, W). */
export class BatchNorm2d extends BatchNormBase {
  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 4) throw new RangeError(`BatchNorm2d: expected 4D input (got ${input.ndim}D input)`);
  }
}
