/** The elementwise losses of a prediction against a target of its shape: mse, l1, smooth l1, Huber. */
import { OpError, type Tensor, abs, apply, le, lt, registerOp, scalar, where } from "@gradgraph/core";
import { checkFiniteNumber } from "../validation";
import { type LossOptions, allocateFloat, checkSameShapeAndDType, readLossOptions, reduce } from "./common";

export interface SmoothL1LossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear: |input - target| = beta (default 1, >= 0). */
  beta?: number;
}

export interface HuberLossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear: |input - target| = delta (default 1, > 0). */
  delta?: number;
}

/** input - target, both checked; gradients flow into both. */
function difference(loss: string, input: Tensor, target: Tensor): Tensor {
  checkSameShapeAndDType(loss, input, target);
  return input.sub(target);
}

/** Mean squared error: `(input - target)^2`, reduced. Gradients flow into both arguments. */
export function mseLoss(input: Tensor, target: Tensor, options?: LossOptions): Tensor {
  const { reduction } = readLossOptions("mseLoss", options);
  const diff = difference("mseLoss", input, target);
  return reduce(diff.mul(diff), reduction);
}

/** Mean absolute error: `|input - target|`, reduced. At input = target the gradient is sign(0) = 0, as PyTorch's. */
export function l1Loss(input: Tensor, target: Tensor, options?: LossOptions): Tensor {
  const { reduction } = readLossOptions("l1Loss", options);
  return reduce(abs(difference("l1Loss", input, target)), reduction);
}

type SmoothL1Attrs = { readonly beta: number };

/**
 * PyTorch's `smooth_l1_loss_backward` without the upstream gradient, at `d`: -1 where
 * d <= -beta, 1 where d >= beta (tested in that order), d / beta between.
 */
function smoothL1Slope(d: Tensor, beta: number): Tensor {
  const outer = where(le(d, -beta), scalar(-1, d.dtype), scalar(1, d.dtype));
  // beta = 0 has nothing between, and d / 0 would bring NaN into higher derivatives.
  return beta === 0 ? outer : where(lt(abs(d), beta), d.div(beta), outer);
}

/**
 * Smooth L1 of input - target: `0.5 d²/beta` where |d| < beta, else `|d| - 0.5 beta`. An op of
 * its own, since PyTorch differentiates each argument with the backward kernel applied to its
 * own difference (target - input for the target): with beta = 0 both gradients at d = 0 are
 * -1, which no function of d alone has.
 */
const smoothL1Op = registerOp<SmoothL1Attrs>({
  name: "nn.smoothL1",
  arity: 2,
  infer: ([input]) => input, // the loss checks that both have one shape and one float dtype
  kernel([input, target], { beta }, out) {
    const loss = allocateFloat(out);
    for (let i = 0; i < loss.length; i++) {
      const z = Math.abs(input.data[i] - target.data[i]);
      loss[i] = z < beta ? (0.5 * z * z) / beta : z - 0.5 * beta;
    }
    return loss;
  },
  vjp: (g, { inputs: [input, target], attrs: { beta }, needs }) => [
    needs[0] ? g.mul(smoothL1Slope(input.sub(target), beta)) : null,
    needs[1] ? g.mul(smoothL1Slope(target.sub(input), beta)) : null,
  ],
});

/**
 * PyTorch's `smooth_l1_loss`: quadratic for |input - target| < beta, linear beyond, reduced.
 * beta = 0 is the L1 loss, except that both gradients at input = target are -1 (see `smoothL1Op`).
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options?: SmoothL1LossOptions): Tensor {
  const op = "smoothL1Loss";
  const { reduction, beta = 1 } = readLossOptions(op, options, ["beta"]);
  checkFiniteNumber(op, "beta", beta);
  if (beta < 0) throw new OpError(op, `beta must be >= 0, got ${beta}`);
  checkSameShapeAndDType(op, input, target);
  return reduce(apply(smoothL1Op, [input, target], { beta }), reduction);
}

/**
 * PyTorch's `huber_loss`: `0.5 d²` for |d| < delta, `delta (|d| - 0.5 delta)` beyond, reduced.
 * It is delta times the smooth L1 loss with beta = delta, gradients included (PyTorch's backward
 * kernel takes the same branches).
 */
export function huberLoss(input: Tensor, target: Tensor, options?: HuberLossOptions): Tensor {
  const op = "huberLoss";
  const { reduction, delta = 1 } = readLossOptions(op, options, ["delta"]);
  checkFiniteNumber(op, "delta", delta);
  if (delta <= 0) throw new OpError(op, `delta must be > 0, got ${delta}`);
  checkSameShapeAndDType(op, input, target);
  return reduce(apply(smoothL1Op, [input, target], { beta: delta }).mul(delta), reduction);
}
