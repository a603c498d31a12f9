import type { Optimizer } from "../optimizer";
import { readOptions } from "../../validation";
import { LRScheduler, type ScheduledGroup, isFiniteNumber, requireOption } from "./scheduler";

/** Options of `ExponentialLR`. */
export interface ExponentialLROptions {
  /** Factor every step multiplies the learning rate by. */
  gamma: number;
}

/** PyTorch 1.13's `ExponentialLR`: every step after the first multiplies each group's current learning rate by `gamma`. */
export class ExponentialLR extends LRScheduler<ExponentialLROptions> {
  constructor(optimizer: Optimizer<any>, options: ExponentialLROptions) {
    super("ExponentialLR", optimizer, () => {
      const { gamma } = readOptions("ExponentialLR", options, ["gamma"]);
      requireOption("ExponentialLR", "gamma", gamma, isFiniteNumber(gamma) && gamma >= 0, "a finite number >= 0");
      return { gamma };
    });
  }

  protected lrsAt(epoch: number, groups: ScheduledGroup[]): number[] {
    return groups.map(({ lr }) => (epoch === 0 ? lr : lr * this.settings.gamma));
  }
}
