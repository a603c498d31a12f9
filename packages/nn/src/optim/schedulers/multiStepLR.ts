import type { Optimizer } from "../optimizer";
import { readOptions } from "../../validation";
import { LRScheduler, type ScheduledGroup, isFiniteNumber, isNonNegativeInteger, requireOption } from "./scheduler";

/** Options of `MultiStepLR`. */
export interface MultiStepLROptions {
  /** Steps at which the learning rate decays; a step listed twice decays twice (PyTorch counts them). */
  milestones: readonly number[];
  /** Factor each decay multiplies the learning rate by; 0.1 by default. */
  gamma?: number;
}

/** PyTorch 1.13's `MultiStepLR`: at each milestone, each group's current learning rate is multiplied by `gamma` (once per listing). */
export class MultiStepLR extends LRScheduler<{ decaysAt: Map<number, number>; gamma: number }> {
  constructor(optimizer: Optimizer<any>, options: MultiStepLROptions) {
    super("MultiStepLR", optimizer, () => {
      const { milestones, gamma = 0.1 } = readOptions("MultiStepLR", options, ["milestones", "gamma"]);
      requireOption<readonly number[]>("MultiStepLR", "milestones", milestones, Array.isArray(milestones), "a list of step numbers");
      requireOption("MultiStepLR", "gamma", gamma, isFiniteNumber(gamma) && gamma >= 0, "a finite number >= 0");
      const decaysAt = new Map<number, number>();
      milestones.forEach((milestone, i) => {
        requireOption("MultiStepLR", `milestones[${i}]`, milestone, isNonNegativeInteger(milestone), "a non-negative integer");
        decaysAt.set(milestone, (decaysAt.get(milestone) ?? 0) + 1);
      });
      return { decaysAt, gamma };
    });
  }

  protected lrsAt(epoch: number, groups: ScheduledGroup[]): number[] {
    const decays = this.settings.decaysAt.get(epoch);
    return groups.map(({ lr }) => (decays === undefined ? lr : lr * this.settings.gamma ** decays));
  }
}
