import type { Tensor } from "@gradgraph/core";
import { Optimizer, type Params, type Update, checkBetas, checkRange } from "./optimizer";
import { addScaledQuotient, movingAverage, movingAverageOfSquares, withWeightDecay } from "./updates";

/** NAdam's hyperparameters, as `torch.optim.NAdam` names them in camelCase. */
export type NAdamOptions = {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  momentumDecay: number;
};

/**
 * NAdam, Adam with Nesterov momentum (PyTorch 1.13's `torch.optim.NAdam`, single-tensor path).
 * With t the step number and psi = momentumDecay: `mu_t = b1*(1 - 0.5*0.96^(t*psi))`;
 * `mu_product *= mu_t`; `m` and `v` as in Adam; `d = sqrt(v / (1 - b2^t)) + eps`; then two steps,
 * `p += -lr*(1 - mu_t)/(1 - mu_product) * g/d` and
 * `p += -lr*mu_{t+1}/(1 - mu_product*mu_t*mu_{t+1}) * m/d`. The second denominator multiplies
 * mu_t in twice; that is PyTorch 1.13's formula (later versions changed it), kept for parity.
 */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: Params<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super("NAdam", params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 }, options);
  }

  protected checkRanges(h: NAdamOptions, where: string): void {
    checkRange(this.name, where, "learning rate", h.lr, { min: 0 });
    checkRange(this.name, where, "epsilon value", h.eps, { min: 0 });
    checkBetas(this.name, where, h.betas);
    checkRange(this.name, where, "weight_decay value", h.weightDecay, { min: 0 });
    checkRange(this.name, where, "momentum_decay value", h.momentumDecay, { min: 0 });
  }

  protected bufferNames(): string[] {
    return ["exp_avg", "exp_avg_sq"];
  }

  protected override scalarNames(): string[] {
    return ["mu_product"];
  }

  protected update(param: Tensor, grad: Tensor, step: number, buffers: Record<string, Tensor>, h: NAdamOptions): Update {
    const [beta1, beta2] = h.betas;
    const mu = beta1 * (1 - 0.5 * 0.96 ** (step * h.momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * h.momentumDecay));
    const muProduct = float32Times(buffers.mu_product?.item() ?? 1, mu);
    const muProductNext = float32Times(float32Times(muProduct, mu), muNext);
    const s = this.stepValues(param, {
      beta1,
      oneMinusBeta1: 1 - beta1,
      secondBiasCorrection: 1 - beta2 ** step,
      gradientStepSize: (-h.lr * (1 - mu)) / (1 - muProduct),
      momentumStepSize: (-h.lr * muNext) / (1 - muProductNext),
    });
    const g = withWeightDecay(grad, param, h.weightDecay);
    const expAvg = movingAverage(buffers.exp_avg, s.beta1, s.oneMinusBeta1, g);
    const expAvgSq = movingAverageOfSquares(buffers.exp_avg_sq, beta2, 1 - beta2, g);
    const denominator = expAvgSq.div(s.secondBiasCorrection).sqrt().add(h.eps);
    const afterGradientStep = addScaledQuotient(param, s.gradientStepSize, g, denominator);
    return {
      param: addScaledQuotient(afterGradientStep, s.momentumStepSize, expAvg, denominator),
      buffers: { exp_avg: expAvg, exp_avg_sq: expAvgSq },
      scalars: { mu_product: muProduct },
    };
  }
}

/**
 * `product * factor` as PyTorch 1.13 computes `mu_product *= mu`: mu_product is a 0-d tensor of
 * the default dtype (float32), so the Python float is rounded to float32 and so is the product.
 */
function float32Times(product: number, factor: number): number {
  return Math.fround(product * Math.fround(factor));
}
