import type { Tensor } from "@gradgraph/core";
import { Optimizer, type Params, type Update, checkRange } from "./optimizer";
import { addScaledQuotient, decayAndAdd, movingAverage, movingAverageOfSquares, withWeightDecay } from "./updates";

/** RMSprop's hyperparameters, as `torch.optim.RMSprop` names them in camelCase. */
export type RMSpropOptions = {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
};

/**
 * RMSprop (PyTorch 1.13's `torch.optim.RMSprop`, single-tensor path): `g += weightDecay*p`;
 * `v = alpha*v + (1-alpha)*g*g`; centered, `a = alpha*a + (1-alpha)*g` and the variance estimate
 * is `v - a*a`; `d = sqrt(estimate) + eps` (the square root before eps, unlike TensorFlow). With
 * momentum, `buf = momentum*buf + g/d` and `p += -lr*buf`; without, `p += -lr*g/d`.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super("RMSprop", params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }, options);
  }

  protected checkRanges(h: RMSpropOptions, where: string): void {
    checkRange(this.name, where, "learning rate", h.lr, { min: 0 });
    checkRange(this.name, where, "epsilon value", h.eps, { min: 0 });
    checkRange(this.name, where, "momentum value", h.momentum, { min: 0 });
    checkRange(this.name, where, "weight_decay value", h.weightDecay, { min: 0 });
    checkRange(this.name, where, "alpha value", h.alpha, { min: 0 });
  }

  protected bufferNames(h: RMSpropOptions): string[] {
    return ["square_avg", ...(h.momentum > 0 ? ["momentum_buffer"] : []), ...(h.centered ? ["grad_avg"] : [])];
  }

  protected update(param: Tensor, grad: Tensor, _step: number, buffers: Record<string, Tensor>, h: RMSpropOptions): Update {
    const g = withWeightDecay(grad, param, h.weightDecay);
    const squareAvg = movingAverageOfSquares(buffers.square_avg, h.alpha, 1 - h.alpha, g);
    const next: Record<string, Tensor> = { square_avg: squareAvg };
    let estimate = squareAvg;
    if (h.centered) {
      const gradAvg = (next.grad_avg = movingAverage(buffers.grad_avg, h.alpha, 1 - h.alpha, g));
      estimate = squareAvg.sub(gradAvg.mul(gradAvg));
    }
    const denominator = estimate.sqrt().add(h.eps);
    const { negativeLr } = this.stepValues(param, { negativeLr: -h.lr });
    if (h.momentum === 0) return { param: addScaledQuotient(param, negativeLr, g, denominator), buffers: next };
    const { momentum } = this.stepValues(param, { momentum: h.momentum });
    const buf = (next.momentum_buffer = decayAndAdd(buffers.momentum_buffer, momentum, g.div(denominator)));
    return { param: param.add(buf.mul(negativeLr)), buffers: next };
  }
}
