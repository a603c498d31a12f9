import type { Optimizer } from "../optimizer";
import { checkBoolean, readOptions } from "../../validation";
import {
  LRScheduler,
  type ScheduledGroup,
  isFiniteNumber,
  isPositiveInteger,
  perGroup,
  recordInitialLr,
  requireOption,
} from "./scheduler";

/** Options of `OneCycleLR`. */
export interface OneCycleLROptions {
  /** The peak learning rate, for every group or one per group (PyTorch's `max_lr`). */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`, whose product it then is. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the learning rate; 0.3 by default. */
  pctStart?: number;
  /** How each phase moves from its start to its end value; "cos" by default. */
  annealStrategy?: "cos" | "linear";
  /** Whether momentum (or Adam-style `betas[0]`) moves opposite to the learning rate; true by default. */
  cycleMomentum?: boolean;
  /** Momentum at the learning rate's peak, for every group or one per group; 0.85 by default. */
  baseMomentum?: number | readonly number[];
  /** Momentum at the start (and end) of the cycle; 0.95 by default. */
  maxMomentum?: number | readonly number[];
  /** The initial learning rate is `maxLr / divFactor`; 25 by default. */
  divFactor?: number;
  /** The final learning rate is the initial one divided by this; 1e4 by default. */
  finalDivFactor?: number;
  /** Three phases (up, back down to the initial rate, then to the final one) instead of two; false by default. */
  threePhase?: boolean;
}

type LrPoint = "initial" | "max" | "min";
type MomentumPoint = "max" | "base";

/** One stretch of the cycle, PyTorch's `_schedule_phases` entries. */
interface Phase {
  endStep: number;
  lr: [LrPoint, LrPoint];
  momentum: [MomentumPoint, MomentumPoint];
}

interface OneCycleSettings {
  totalSteps: number;
  phases: Phase[];
  anneal: (start: number, end: number, pct: number) => number;
  /** Per group. */
  lrs: Record<LrPoint, number[]>;
  /** Per group; absent when momentum is not cycled. */
  momentums?: Record<MomentumPoint, number[]> & { key: "momentum" | "betas" };
}

/** PyTorch's `_annealing_cos` and `_annealing_linear`, in its order of operations. */
const annealings = {
  cos: (start: number, end: number, pct: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1),
  linear: (start: number, end: number, pct: number) => (end - start) * pct + start,
};

/**
 * PyTorch 1.13's `OneCycleLR` (Smith's 1cycle policy; not chainable: every step sets the rate from
 * the cycle alone). The learning rate rises from `maxLr/divFactor` to `maxLr` over the first
 * `pctStart` of the steps, then falls to `maxLr/divFactor/finalDivFactor`; momentum, when cycled,
 * moves the opposite way between `maxMomentum` and `baseMomentum` (construction's step 0 sets it
 * to `maxMomentum`). `totalSteps` steps may be taken; the last one, past the cycle's end,
 * extrapolates its final phase as PyTorch does.
 */
export class OneCycleLR extends LRScheduler<OneCycleSettings> {
  constructor(optimizer: Optimizer<any>, options: OneCycleLROptions) {
    super("OneCycleLR", optimizer, (groups) => readOneCycle(options, groups));
  }

  protected lrsAt(epoch: number, groups: ScheduledGroup[]): number[] {
    const { totalSteps, phases, anneal, lrs, momentums } = this.settings;
    if (epoch > totalSteps) {
      throw new Error(`${this.name}: tried to step ${epoch + 1} times; the specified number of total steps is ${totalSteps}`);
    }
    // The phase holding this step (the last one takes any step past its end), and where it starts.
    const index = phases.findIndex((phase, i) => epoch <= phase.endStep || i === phases.length - 1);
    const phase = phases[index];
    const start = index === 0 ? 0 : phases[index - 1].endStep;
    if (phase.endStep === start) {
      throw new Error(`${this.name}: step ${epoch} falls in phase ${index} of the cycle, which has no steps (pctStart is too small or too large for totalSteps ${totalSteps})`);
    }
    const pct = (epoch - start) / (phase.endStep - start);
    return groups.map((group, g) => {
      if (momentums !== undefined) {
        const momentum = anneal(momentums[phase.momentum[0]][g], momentums[phase.momentum[1]][g], pct);
        setMomentum(group, momentums.key, momentum);
      }
      return anneal(lrs[phase.lr[0]][g], lrs[phase.lr[1]][g], pct);
    });
  }
}

function setMomentum(group: ScheduledGroup, key: "momentum" | "betas", value: number): void {
  if (key === "betas") group.betas = [value, ...group.betas!.slice(1)];
  else group.momentum = value;
}

function readOneCycle(options: OneCycleLROptions, groups: ScheduledGroup[]): OneCycleSettings {
  const owner = "OneCycleLR";
  const {
    maxLr,
    totalSteps,
    epochs,
    stepsPerEpoch,
    pctStart = 0.3,
    annealStrategy = "cos",
    cycleMomentum = true,
    baseMomentum = 0.85,
    maxMomentum = 0.95,
    divFactor = 25,
    finalDivFactor = 1e4,
    threePhase = false,
  } = readOptions(owner, options, [
    "maxLr",
    "totalSteps",
    "epochs",
    "stepsPerEpoch",
    "pctStart",
    "annealStrategy",
    "cycleMomentum",
    "baseMomentum",
    "maxMomentum",
    "divFactor",
    "finalDivFactor",
    "threePhase",
  ]);
  let steps: number;
  if (totalSteps !== undefined) {
    requireOption(owner, "totalSteps", totalSteps, isPositiveInteger(totalSteps), "a positive integer");
    steps = totalSteps;
  } else {
    if (epochs === undefined && stepsPerEpoch === undefined) throw new Error(`${owner}: give totalSteps, or epochs and stepsPerEpoch`);
    requireOption(owner, "epochs", epochs, isPositiveInteger(epochs), "a positive integer");
    requireOption(owner, "stepsPerEpoch", stepsPerEpoch, isPositiveInteger(stepsPerEpoch), "a positive integer");
    steps = epochs * stepsPerEpoch;
  }
  requireOption(owner, "pctStart", pctStart, isFiniteNumber(pctStart) && pctStart >= 0 && pctStart <= 1, "a number between 0 and 1");
  requireOption<string>(owner, "annealStrategy", annealStrategy, annealStrategy === "cos" || annealStrategy === "linear", `"cos" or "linear"`);
  requireOption(owner, "divFactor", divFactor, isFiniteNumber(divFactor) && divFactor > 0, "a finite number > 0");
  requireOption(owner, "finalDivFactor", finalDivFactor, isFiniteNumber(finalDivFactor) && finalDivFactor > 0, "a finite number > 0");
  checkBoolean(owner, "cycleMomentum", cycleMomentum);
  checkBoolean(owner, "threePhase", threePhase);

  const isRate = (v: unknown) => isFiniteNumber(v) && v >= 0;
  const isMomentum = (v: unknown) => isRate(v) && (v as number) < 1;
  const max = perGroup(owner, "maxLr", maxLr, groups.length, isRate, "a finite number >= 0");
  const initial = max.map((lr) => lr / divFactor);
  const lrs = { initial, max, min: initial.map((lr) => lr / finalDivFactor) };
  groups.forEach((group, g) => recordInitialLr(group, initial[g]));

  let momentums: OneCycleSettings["momentums"];
  if (cycleMomentum) {
    const key = "betas" in groups[0] ? "betas" : "momentum" in groups[0] ? "momentum" : undefined;
    if (key === undefined) {
      throw new Error(`${owner}: cycleMomentum needs an optimizer with momentum or betas; pass cycleMomentum: false for one without`);
    }
    momentums = {
      key,
      max: perGroup(owner, "maxMomentum", maxMomentum, groups.length, isMomentum, "a number >= 0 and < 1"),
      base: perGroup(owner, "baseMomentum", baseMomentum, groups.length, isMomentum, "a number >= 0 and < 1"),
    };
  }

  const phases: Phase[] = threePhase
    ? [
        { endStep: pctStart * steps - 1, lr: ["initial", "max"], momentum: ["max", "base"] },
        { endStep: 2 * pctStart * steps - 2, lr: ["max", "initial"], momentum: ["base", "max"] },
        { endStep: steps - 1, lr: ["initial", "min"], momentum: ["max", "max"] },
      ]
    : [
        { endStep: pctStart * steps - 1, lr: ["initial", "max"], momentum: ["max", "base"] },
        { endStep: steps - 1, lr: ["max", "min"], momentum: ["base", "max"] },
      ];
  return { totalSteps: steps, phases, anneal: annealings[annealStrategy], lrs, momentums };
}
