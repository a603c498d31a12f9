/**
 * The pieces the update rules are made of, each written in the order PyTorch 1.13's in-place
 * kernels compute it (`add_(x, alpha=a)` is `self + a*x`, `addcmul_(x, y, value=v)` is
 * `self + v*x*y`, `addcdiv_(x, y, value=v)` is `self + v*x/y`), so float32 results round as
 * PyTorch's do. A buffer not created yet stands for PyTorch's initial zeros.
 */
import type { Tensor, TensorLike } from "@gradgraph/core";

/** The L2 penalty `grad.add(param, alpha=weightDecay)`, left out at 0 as PyTorch leaves it out. */
export function withWeightDecay(grad: Tensor, param: Tensor, weightDecay: number): Tensor {
  return weightDecay === 0 ? grad : grad.add(param.mul(weightDecay));
}

/** `buffer*decay + term` (`buffer.mul_(decay).add_(term)`); zeros times the decay add nothing, so a first step is the term itself. */
export function decayAndAdd(buffer: Tensor | undefined, decay: TensorLike, term: Tensor): Tensor {
  return buffer === undefined ? term : buffer.mul(decay).add(term);
}

/** `buffer.mul_(decay).add_(value, alpha=weight)`: an exponential moving average of `value`. */
export function movingAverage(buffer: Tensor | undefined, decay: TensorLike, weight: TensorLike, value: Tensor): Tensor {
  return decayAndAdd(buffer, decay, value.mul(weight));
}

/** `buffer.mul_(decay).addcmul_(value, value, value=weight)`: a moving average of `value²`. */
export function movingAverageOfSquares(buffer: Tensor | undefined, decay: TensorLike, weight: TensorLike, value: Tensor): Tensor {
  return decayAndAdd(buffer, decay, value.mul(weight).mul(value));
}

/** `base.addcdiv(numerator, denominator, value=scale)`: `base + scale*numerator/denominator`. */
export function addScaledQuotient(base: Tensor, scale: TensorLike, numerator: Tensor, denominator: Tensor): Tensor {
  return base.add(numerator.mul(scale).div(denominator));
}
