import type { Tensor } from "@gradgraph/core";
import { Optimizer, type Params, type Update, checkBetas, checkRange } from "./optimizer";
import { addScaledQuotient, movingAverage, movingAverageOfSquares, withWeightDecay } from "./updates";

/** Adam's and AdamW's hyperparameters, as `torch.optim.Adam` names them in camelCase. */
export type AdamOptions = {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
};

const adamDefaults: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false };

/**
 * The Adam update of PyTorch 1.13's single-tensor path, shared by Adam and AdamW. With t the step
 * number: `m = b1*m + (1-b1)*g`, `v = b2*v + (1-b2)*g*g`, and
 * `p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`. Operations are ordered as
 * PyTorch's kernels order them (`addcmul`, `addcdiv`), so float32 rounding matches closely.
 */
abstract class AdamFamily extends Optimizer<AdamOptions> {
  protected constructor(
    name: string,
    params: Params<AdamOptions>,
    defaults: AdamOptions,
    options: Partial<AdamOptions>,
    /** AdamW shrinks the parameter directly instead of adding `weightDecay*p` to the gradient. */
    private readonly decoupledWeightDecay: boolean,
  ) {
    super(name, params, defaults, options);
  }

  protected checkRanges(h: AdamOptions, where: string): void {
    checkRange(this.name, where, "learning rate", h.lr, { min: 0 });
    checkRange(this.name, where, "epsilon value", h.eps, { min: 0 });
    checkBetas(this.name, where, h.betas);
    checkRange(this.name, where, "weight_decay value", h.weightDecay, { min: 0 });
  }

  protected bufferNames(h: AdamOptions): string[] {
    return h.amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"];
  }

  protected update(param: Tensor, grad: Tensor, step: number, buffers: Record<string, Tensor>, h: AdamOptions): Update {
    const [beta1, beta2] = h.betas;
    const s = this.stepValues(param, {
      beta1,
      oneMinusBeta1: 1 - beta1,
      negativeStepSize: -h.lr / (1 - beta1 ** step),
      secondBiasCorrection: Math.sqrt(1 - beta2 ** step),
    });
    const decoupled = this.decoupledWeightDecay;
    const start = decoupled ? param.mul(this.stepValues(param, { shrink: 1 - h.lr * h.weightDecay }).shrink) : param;
    const g = decoupled ? grad : withWeightDecay(grad, param, h.weightDecay);
    const expAvg = movingAverage(buffers.exp_avg, s.beta1, s.oneMinusBeta1, g);
    const expAvgSq = movingAverageOfSquares(buffers.exp_avg_sq, beta2, 1 - beta2, g);
    const next: Record<string, Tensor> = { exp_avg: expAvg, exp_avg_sq: expAvgSq };
    let second = expAvgSq;
    if (h.amsgrad) {
      const previousMax = buffers.max_exp_avg_sq;
      second = next.max_exp_avg_sq = previousMax === undefined ? expAvgSq : previousMax.maximum(expAvgSq);
    }
    const denom = second.sqrt().div(s.secondBiasCorrection).add(h.eps);
    return { param: addScaledQuotient(start, s.negativeStepSize, expAvg, denom), buffers: next };
  }
}

/** Adam (`torch.optim.Adam`); weight decay is L2 regularization added to the gradient. */
export class Adam extends AdamFamily {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super("Adam", params, adamDefaults, options, false);
  }
}

/** AdamW (`torch.optim.AdamW`): `p *= 1 - lr*weightDecay` before the Adam update; weightDecay defaults to 1e-2. */
export class AdamW extends AdamFamily {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super("AdamW", params, { ...adamDefaults, weightDecay: 1e-2 }, options, true);
  }
}
