import type { Tensor } from "@gradgraph/core";
import { readOptions } from "../validation";
import { Optimizer, type Params, type Update, checkRange } from "./optimizer";
import { movingAverage, withWeightDecay } from "./updates";

/** SGD's hyperparameters, as `torch.optim.SGD` names them in camelCase. */
export type SGDOptions = {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
};

/**
 * Stochastic gradient descent with optional momentum (PyTorch 1.13's `torch.optim.SGD`):
 * `g += weightDecay*p`; `buf = g` on the first step, later `buf = momentum*buf + (1-dampening)*g`;
 * `p += -lr * (nesterov ? g + momentum*buf : buf)`.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    if (readOptions("SGD", options).lr === undefined) throw new Error("SGD: lr (the learning rate) is required");
    // lr has no default (checked above); the 0 here only declares its type.
    super("SGD", params, { lr: 0, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, options);
  }

  protected checkRanges(h: SGDOptions, where: string): void {
    checkRange(this.name, where, "learning rate", h.lr, { min: 0 });
    checkRange(this.name, where, "momentum value", h.momentum, { min: 0 });
    checkRange(this.name, where, "dampening value", h.dampening);
    checkRange(this.name, where, "weight_decay value", h.weightDecay, { min: 0 });
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new Error(`${this.name}: ${where}Nesterov momentum requires a momentum and zero dampening`);
    }
  }

  protected bufferNames(h: SGDOptions): string[] {
    return h.momentum === 0 ? [] : ["momentum_buffer"];
  }

  protected update(param: Tensor, grad: Tensor, _step: number, buffers: Record<string, Tensor>, h: SGDOptions): Update {
    const g = withWeightDecay(grad, param, h.weightDecay);
    const { negativeLr } = this.stepValues(param, { negativeLr: -h.lr });
    if (h.momentum === 0) return { param: param.add(g.mul(negativeLr)), buffers: {} };
    const { momentum } = this.stepValues(param, { momentum: h.momentum });
    // PyTorch starts the buffer as a copy of the gradient, undamped.
    const previous = buffers.momentum_buffer;
    const buf = previous === undefined ? g : movingAverage(previous, momentum, 1 - h.dampening, g);
    const direction = h.nesterov ? g.add(buf.mul(momentum)) : buf;
    return { param: param.add(direction.mul(negativeLr)), buffers: { momentum_buffer: buf } };
  }
}
