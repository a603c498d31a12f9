/** The Kullback-Leibler divergence loss. */
import { type Tensor, eq, exp, log, sum, where } from "@gradgraph/core";
import { checkBoolean } from "../validation";
import { type Reduction, checkSameShapeAndDType, readLossOptions, reduce } from "./common";

/** Options of `klDivLoss`: the reduction, and whether the target is given as log-probabilities. */
export interface KLDivLossOptions {
  /**
   * "mean" (default, as in PyTorch) averages over every element; "batchmean" divides the sum by
   * the batch size (dim 0), which is the KL divergence per sample; "sum" adds; "none" keeps them.
   */
  reduction?: Reduction | "batchmean";
  /** The target holds log-probabilities rather than probabilities (default false). */
  logTarget?: boolean;
}

/**
 * PyTorch's `xlogy(t, t)`: `t log t`, and 0 where t = 0. PyTorch's gradient there, log(0) + 0/0,
 * is NaN, and so is this one: the gradient 0 that `where` sends into `t log t` meets log(0).
 */
function xLogX(t: Tensor): Tensor {
  return where(eq(t, 0), 0, t.mul(log(t)));
}

/**
 * PyTorch's `kl_div` of log-probabilities `input` against `target`: pointwise
 * `xlogy(t, t) - t · input`, or `exp(t) · (t - input)` with `logTarget`, then reduced.
 * Gradients flow into both arguments.
 */
export function klDivLoss(input: Tensor, target: Tensor, options?: KLDivLossOptions): Tensor {
  const op = "klDivLoss";
  const { reduction, logTarget = false } = readLossOptions(op, options, ["logTarget"], ["mean", "batchmean", "sum", "none"]);
  checkBoolean(op, "logTarget", logTarget);
  checkSameShapeAndDType(op, input, target);
  const pointwise = logTarget ? exp(target).mul(target.sub(input)) : xLogX(target).sub(target.mul(input));
  if (reduction !== "batchmean") return reduce(pointwise, reduction);
  // A 0-d input has no batch dimension: PyTorch then returns the sum.
  return input.shape.length === 0 ? sum(pointwise) : sum(pointwise).div(input.shape[0]);
}
