import type { Optimizer } from "../optimizer";
import { readOptions } from "../../validation";
import { LRScheduler, type ScheduledGroup, isFiniteNumber, isPositiveInteger, requireOption } from "./scheduler";

/** Options of `CosineAnnealingLR`. */
export interface CosineAnnealingLROptions {
  /** Steps from the initial learning rate down to `etaMin` (PyTorch's `T_max`). */
  tMax: number;
  /** The lowest learning rate (PyTorch's `eta_min`); 0 by default. */
  etaMin?: number;
}

/**
 * PyTorch 1.13's `CosineAnnealingLR`, in the recursive form its `step()` uses: each step scales the
 * distance to `etaMin` by `(1 + cos(pi*t/tMax)) / (1 + cos(pi*(t-1)/tMax))`, and at the bottom of
 * each cycle (where that ratio's denominator is 0) adds `(base - etaMin)*(1 - cos(pi/tMax))/2`
 * instead, climbing back up. Set only by this scheduler, the rate is
 * `etaMin + (base - etaMin)*(1 + cos(pi*t/tMax))/2`, up to rounding.
 */
export class CosineAnnealingLR extends LRScheduler<Required<CosineAnnealingLROptions>> {
  constructor(optimizer: Optimizer<any>, options: CosineAnnealingLROptions) {
    super("CosineAnnealingLR", optimizer, () => {
      const { tMax, etaMin = 0 } = readOptions("CosineAnnealingLR", options, ["tMax", "etaMin"]);
      requireOption("CosineAnnealingLR", "tMax", tMax, isPositiveInteger(tMax), "a positive integer");
      requireOption("CosineAnnealingLR", "etaMin", etaMin, isFiniteNumber(etaMin) && etaMin >= 0, "a finite number >= 0");
      return { tMax, etaMin };
    });
  }

  protected lrsAt(epoch: number, groups: ScheduledGroup[]): number[] {
    const { tMax, etaMin } = this.settings;
    if (epoch === 0) return groups.map(({ lr }) => lr);
    if ((epoch - 1 - tMax) % (2 * tMax) === 0) {
      return groups.map(({ lr }, i) => lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * epoch) / tMax)) / (1 + Math.cos((Math.PI * (epoch - 1)) / tMax));
    return groups.map(({ lr }) => ratio * (lr - etaMin) + etaMin);
  }
}
