import type { Tensor } from "@gradgraph/core";
import { readOptions } from "../validation";
import { Optimizer, type Params, type Update, checkRange } from "./optimizer";
import { addScaledQuotient, withWeightDecay } from "./updates";

/** Adagrad's hyperparameters, as `torch.optim.Adagrad` names them in camelCase. */
export type AdagradOptions = {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
};

const adagradDefaults: AdagradOptions = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 };

/**
 * Adagrad (PyTorch 1.13's `torch.optim.Adagrad`, single-tensor path): with t the step number,
 * `g += weightDecay*p`; `sum += g*g` (starting from `initialAccumulatorValue`);
 * `p += -(lr / (1 + (t-1)*lrDecay)) * g / (sqrt(sum) + eps)`.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  /**
   * PyTorch fills every accumulator when the optimizer is built, with the value passed to the
   * constructor: a group's own `initial_accumulator_value` is kept in the group but never used.
   * Here a group may not set a different one, so nothing is silently ignored.
   */
  private readonly initialAccumulatorValue: number;

  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super("Adagrad", params, adagradDefaults, options);
    const initial = readOptions(this.name, options).initialAccumulatorValue ?? adagradDefaults.initialAccumulatorValue;
    this.paramGroups.forEach((group, g) => {
      if (group.initialAccumulatorValue !== initial) {
        throw new Error(
          `${this.name}: parameter group ${g}: initialAccumulatorValue ${group.initialAccumulatorValue} differs from the optimizer's ${initial}; ` +
            "as in PyTorch, every accumulator starts from the optimizer's value, so set it in the options, not per group",
        );
      }
    });
    this.initialAccumulatorValue = initial;
  }

  protected checkRanges(h: AdagradOptions, where: string): void {
    checkRange(this.name, where, "learning rate", h.lr, { min: 0 });
    checkRange(this.name, where, "lr_decay value", h.lrDecay, { min: 0 });
    checkRange(this.name, where, "weight_decay value", h.weightDecay, { min: 0 });
    checkRange(this.name, where, "initial_accumulator_value value", h.initialAccumulatorValue, { min: 0 });
    checkRange(this.name, where, "epsilon value", h.eps, { min: 0 });
  }

  protected bufferNames(): string[] {
    return ["sum"];
  }

  protected update(param: Tensor, grad: Tensor, step: number, buffers: Record<string, Tensor>, h: AdagradOptions): Update {
    const g = withWeightDecay(grad, param, h.weightDecay);
    const squares = g.mul(g);
    const previous = buffers.sum;
    const initial = this.initialAccumulatorValue;
    const sum = previous !== undefined ? previous.add(squares) : initial === 0 ? squares : squares.add(initial);
    const { negativeLr } = this.stepValues(param, { negativeLr: -(h.lr / (1 + (step - 1) * h.lrDecay)) });
    return { param: addScaledQuotient(param, negativeLr, g, sum.sqrt().add(h.eps)), buffers: { sum } };
  }
}
