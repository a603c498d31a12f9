import type { Optimizer } from "../optimizer";
import { readOptions } from "../../validation";
import { LRScheduler, type ScheduledGroup, isFiniteNumber, isPositiveInteger, requireOption } from "./scheduler";

/** Options of `LinearLR`. */
export interface LinearLROptions {
  /** Factor of the learning rate at step 0; 1/3 by default. */
  startFactor?: number;
  /** Factor reached at step `totalIters` and kept after; 1 by default. */
  endFactor?: number;
  /** Steps the factor takes to go from start to end; 5 by default. */
  totalIters?: number;
}

/**
 * PyTorch 1.13's `LinearLR`, in the recursive form its `step()` uses: step 0 multiplies each
 * group's learning rate by `startFactor`, step t <= totalIters by
 * `1 + (end - start) / (totalIters*start + (t-1)*(end - start))`, so that set only by this
 * scheduler the rate moves linearly from `start*base` to `end*base`.
 */
export class LinearLR extends LRScheduler<Required<LinearLROptions>> {
  constructor(optimizer: Optimizer<any>, options: LinearLROptions = {}) {
    super("LinearLR", optimizer, () => {
      const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = readOptions("LinearLR", options, ["startFactor", "endFactor", "totalIters"]);
      // PyTorch 1.13 accepts a start factor of 0, then divides by it at step 1 (a NaN learning rate).
      requireOption("LinearLR", "startFactor", startFactor, isFiniteNumber(startFactor) && startFactor > 0 && startFactor <= 1, "a number > 0 and <= 1");
      requireOption("LinearLR", "endFactor", endFactor, isFiniteNumber(endFactor) && endFactor >= 0 && endFactor <= 1, "a number >= 0 and <= 1");
      requireOption("LinearLR", "totalIters", totalIters, isPositiveInteger(totalIters), "a positive integer");
      return { startFactor, endFactor, totalIters };
    });
  }

  protected lrsAt(epoch: number, groups: ScheduledGroup[]): number[] {
    const { startFactor, endFactor, totalIters } = this.settings;
    if (epoch === 0) return groups.map(({ lr }) => lr * startFactor);
    if (epoch > totalIters) return groups.map(({ lr }) => lr);
    const change = endFactor - startFactor;
    return groups.map(({ lr }) => lr * (1 + change / (totalIters * startFactor + (epoch - 1) * change)));
  }
}
