import type { Optimizer } from "../optimizer";
import { readOptions } from "../../validation";
import { LRScheduler, type ScheduledGroup, isFiniteNumber, isPositiveInteger, requireOption } from "./scheduler";

/** Options of `StepLR`. */
export interface StepLROptions {
  /** Steps between decays (PyTorch's `step_size`). */
  stepSize: number;
  /** Factor each decay multiplies the learning rate by; 0.1 by default. */
  gamma?: number;
}

/** PyTorch 1.13's `StepLR`: every `stepSize` steps, each group's current learning rate is multiplied by `gamma`. */
export class StepLR extends LRScheduler<Required<StepLROptions>> {
  constructor(optimizer: Optimizer<any>, options: StepLROptions) {
    super("StepLR", optimizer, () => {
      const { stepSize, gamma = 0.1 } = readOptions("StepLR", options, ["stepSize", "gamma"]);
      requireOption("StepLR", "stepSize", stepSize, isPositiveInteger(stepSize), "a positive integer");
      requireOption("StepLR", "gamma", gamma, isFiniteNumber(gamma) && gamma >= 0, "a finite number >= 0");
      return { stepSize, gamma };
    });
  }

  protected lrsAt(epoch: number, groups: ScheduledGroup[]): number[] {
    const { stepSize, gamma } = this.settings;
    return groups.map(({ lr }) => (epoch === 0 || epoch % stepSize !== 0 ? lr : lr * gamma));
  }
}
