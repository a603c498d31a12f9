import { Tensor } from "@gradgraph/core";
import type { Optimizer } from "../optimizer";
import { describeValue, readOptions } from "../../validation";
import { type SchedulerStateDict, checkOptimizer, groupsOf, isFiniteNumber, isNonNegativeInteger, perGroup, readSchedulerState, requireOption } from "./scheduler";

/** Options of `ReduceLROnPlateau`. */
export interface ReduceLROnPlateauOptions {
  /** "min": the metric should fall (a loss); "max": it should rise (an accuracy). "min" by default. */
  mode?: "min" | "max";
  /** Factor a reduction multiplies the learning rate by; 0.1 by default. */
  factor?: number;
  /** Steps without improvement tolerated before reducing; 10 by default. */
  patience?: number;
  /** How much better than the best a metric must be to count; 1e-4 by default. */
  threshold?: number;
  /** "rel": better by a fraction `threshold` of the best; "abs": by `threshold` itself. "rel" by default. */
  thresholdMode?: "rel" | "abs";
  /** Steps after a reduction during which bad steps are not counted; 0 by default. */
  cooldown?: number;
  /** The lowest learning rate, for every group or one per group; 0 by default. */
  minLr?: number | readonly number[];
  /** A reduction smaller than this is skipped; 1e-8 by default. */
  eps?: number;
}

/**
 * PyTorch 1.13's `ReduceLROnPlateau`: fed a metric each step, it multiplies every group's learning
 * rate by `factor` (not below `minLr`) once the metric has failed to improve on its best for more
 * than `patience` steps in a row, then waits `cooldown` steps before counting again.
 */
export class ReduceLROnPlateau {
  readonly name = "ReduceLROnPlateau";
  /** PyTorch's `last_epoch`: the number of `step()` calls so far. */
  lastEpoch = 0;
  private readonly settings: Required<Omit<ReduceLROnPlateauOptions, "minLr">> & { minLrs: number[] };
  private best: number;
  private badSteps = 0;
  private cooldownLeft = 0;
  private lastLrs: number[];

  constructor(
    readonly optimizer: Optimizer<any>,
    options: ReduceLROnPlateauOptions = {},
  ) {
    const owner = this.name;
    checkOptimizer(owner, optimizer);
    const {
      mode = "min",
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = "rel",
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    } = readOptions(owner, options, ["mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"]);
    requireOption<string>(owner, "mode", mode, mode === "min" || mode === "max", `"min" or "max"`);
    requireOption(owner, "factor", factor, isFiniteNumber(factor) && factor >= 0 && factor < 1, "a number >= 0 and < 1");
    requireOption(owner, "patience", patience, isNonNegativeInteger(patience), "a non-negative integer");
    requireOption(owner, "threshold", threshold, isFiniteNumber(threshold) && threshold >= 0, "a finite number >= 0");
    requireOption<string>(owner, "thresholdMode", thresholdMode, thresholdMode === "rel" || thresholdMode === "abs", `"rel" or "abs"`);
    requireOption(owner, "cooldown", cooldown, isNonNegativeInteger(cooldown), "a non-negative integer");
    requireOption(owner, "eps", eps, isFiniteNumber(eps) && eps >= 0, "a finite number >= 0");
    const groups = groupsOf(optimizer);
    const minLrs = perGroup(owner, "minLr", minLr, groups.length, (v) => isFiniteNumber(v) && v >= 0, "a finite number >= 0");
    this.settings = { mode, factor, patience, threshold, thresholdMode, cooldown, eps, minLrs };
    this.best = mode === "min" ? Infinity : -Infinity;
    this.lastLrs = groups.map(({ lr }) => lr);
  }

  /** Takes this step's metric (a number or a one-element Tensor, such as the loss) and reduces the learning rates if it is time. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor && metric.size === 1 ? metric.item() : metric;
    if (typeof current !== "number") {
      throw new TypeError(`${this.name}: metric must be a number or a one-element Tensor, got ${describeValue(metric)}`);
    }
    this.lastEpoch++;
    if (this.isBetter(current)) {
      this.best = current;
      this.badSteps = 0;
    } else {
      this.badSteps++;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badSteps = 0;
    }
    if (this.badSteps > this.settings.patience) {
      this.reduceLrs();
      this.cooldownLeft = this.settings.cooldown;
      this.badSteps = 0;
    }
    this.lastLrs = groupsOf(this.optimizer).map(({ lr }) => lr);
  }

  /** The groups' learning rates after the last step (before any, their current ones). */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /** Where the schedule is, in PyTorch's key names (`best` may be ±Infinity before the first step). See LRScheduler.stateDict. */
  stateDict(): SchedulerStateDict {
    return { last_epoch: this.lastEpoch, best: this.best, num_bad_epochs: this.badSteps, cooldown_counter: this.cooldownLeft, _last_lr: [...this.lastLrs] };
  }

  /** Restores a `stateDict()`; the next `step(metric)` goes on from there. */
  loadStateDict(state: SchedulerStateDict): void {
    const fields = { last_epoch: "count", best: "number", num_bad_epochs: "count", cooldown_counter: "count", _last_lr: "perGroup" } as const;
    const loaded = readSchedulerState(this.name, state, groupsOf(this.optimizer).length, fields);
    this.lastEpoch = loaded.last_epoch;
    this.best = loaded.best;
    this.badSteps = loaded.num_bad_epochs;
    this.cooldownLeft = loaded.cooldown_counter;
    this.lastLrs = [...loaded._last_lr];
  }

  private isBetter(metric: number): boolean {
    const { mode, threshold, thresholdMode } = this.settings;
    if (mode === "min") return thresholdMode === "rel" ? metric < this.best * (1 - threshold) : metric < this.best - threshold;
    return thresholdMode === "rel" ? metric > this.best * (threshold + 1) : metric > this.best + threshold;
  }

  private reduceLrs(): void {
    const { factor, minLrs, eps } = this.settings;
    groupsOf(this.optimizer).forEach((group, i) => {
      const reduced = Math.max(group.lr * factor, minLrs[i]);
      // A reduction smaller than eps is skipped (the rate is already at the floor).
      if (group.lr - reduced > eps) group.lr = reduced;
    });
  }
}
