import type { Tensor } from "@gradgraph/core";
import { Optimizer, type Params, type Update, checkBetas, checkRange } from "./optimizer";
import { addScaledQuotient, movingAverage, withWeightDecay } from "./updates";

/** Adamax's hyperparameters, as `torch.optim.Adamax` names them in camelCase. */
export type AdamaxOptions = {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
};

/**
 * Adamax, Adam with the infinity norm (PyTorch 1.13's `torch.optim.Adamax`, single-tensor path):
 * with t the step number, `g += weightDecay*p`; `m = b1*m + (1-b1)*g`;
 * `u = max(b2*u, |g| + eps)` (eps inside the maximum, as PyTorch adds it);
 * `p += -(lr / (1 - b1^t)) * m / u`.
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: Params<AdamaxOptions>, options: Partial<AdamaxOptions> = {}) {
    super("Adamax", params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, options);
  }

  protected checkRanges(h: AdamaxOptions, where: string): void {
    checkRange(this.name, where, "learning rate", h.lr, { min: 0 });
    checkRange(this.name, where, "epsilon value", h.eps, { min: 0 });
    checkBetas(this.name, where, h.betas);
    checkRange(this.name, where, "weight_decay value", h.weightDecay, { min: 0 });
  }

  protected bufferNames(): string[] {
    return ["exp_avg", "exp_inf"];
  }

  protected update(param: Tensor, grad: Tensor, step: number, buffers: Record<string, Tensor>, h: AdamaxOptions): Update {
    const [beta1, beta2] = h.betas;
    const s = this.stepValues(param, { beta1, oneMinusBeta1: 1 - beta1, negativeStepSize: -(h.lr / (1 - beta1 ** step)) });
    const g = withWeightDecay(grad, param, h.weightDecay);
    const expAvg = movingAverage(buffers.exp_avg, s.beta1, s.oneMinusBeta1, g);
    // The first step's max(0, |g| + eps) is |g| + eps itself.
    const bound = g.abs().add(h.eps);
    const expInf = buffers.exp_inf === undefined ? bound : buffers.exp_inf.mul(beta2).maximum(bound);
    return { param: addScaledQuotient(param, s.negativeStepSize, expAvg, expInf), buffers: { exp_avg: expAvg, exp_inf: expInf } };
  }
}
