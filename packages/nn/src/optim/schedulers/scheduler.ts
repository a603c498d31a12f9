import { Optimizer } from "../optimizer";
import { describeValue } from "../../validation";

/** What schedulers read and write in a parameter group. */
export interface ScheduledGroup {
  lr: number;
  momentum?: number;
  betas?: readonly number[];
}

/**
 * PyTorch's `group['initial_lr']`: the first scheduler attached to a group records its learning
 * rate and later ones reuse it (`setdefault`), so schedulers built one after another share base
 * learning rates; OneCycleLR records its own. Kept beside the group, whose keys are only the
 * optimizer's hyperparameters (and so survive `stateDict`/`loadStateDict` unchanged).
 */
const initialLrs = new WeakMap<object, number>();

export function recordInitialLr(group: ScheduledGroup, lr: number): void {
  initialLrs.set(group, lr);
}

function initialLr(group: ScheduledGroup): number {
  if (!initialLrs.has(group)) initialLrs.set(group, group.lr);
  return initialLrs.get(group)!;
}

export function checkOptimizer(owner: string, optimizer: unknown): asserts optimizer is Optimizer<any> {
  if (!(optimizer instanceof Optimizer)) throw new TypeError(`${owner}: optimizer must be an Optimizer, got ${describeValue(optimizer)}`);
}

/** The parameter groups as schedulers see them. */
export function groupsOf(optimizer: Optimizer<any>): ScheduledGroup[] {
  return optimizer.paramGroups;
}

/** Throws `<owner>: <option> must be <expected>, got <value>` unless `ok` (a check of `value`). */
export function requireOption<T = number>(owner: string, option: string, value: unknown, ok: boolean, expected: string): asserts value is T {
  if (!ok) throw new RangeError(`${owner}: ${option} must be ${expected}, got ${describeValue(value)}`);
}

/** A scheduler's progress as PyTorch's `state_dict()` names it: plain data, what `loadStateDict` resumes from. */
export type SchedulerStateDict = Record<string, number | number[]>;

/**
 * Reads `state` for `owner.loadStateDict`: each of `fields` must be there and pass its check
 * (a number field, or a list of one number per parameter group); anything else is refused by name.
 */
export function readSchedulerState(
  owner: string,
  state: unknown,
  groups: number,
  fields: Record<string, "count" | "number" | "perGroup">,
): Record<string, number & number[]> {
  const where = `${owner}.loadStateDict`;
  if (state === null || typeof state !== "object" || Array.isArray(state)) throw new TypeError(`${where}: expected a scheduler's stateDict() (an object), got ${describeValue(state)}`);
  const record = state as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !Object.hasOwn(fields, key));
  if (unknown.length > 0) throw new Error(`${where}: unexpected keys ${unknown.map((k) => `'${k}'`).join(", ")} (a ${owner} state has ${Object.keys(fields).join(", ")})`);
  for (const [key, kind] of Object.entries(fields)) {
    if (!Object.hasOwn(record, key)) throw new Error(`${where}: missing key '${key}'`);
    const value = record[key];
    const ok =
      kind === "count" ? isNonNegativeInteger(value)
      : kind === "number" ? typeof value === "number" && !Number.isNaN(value)
      : Array.isArray(value) && value.length === groups && value.every(isFiniteNumber);
    const expected = kind === "count" ? "a non-negative integer" : kind === "number" ? "a number" : `a list of one finite number per parameter group (${groups})`;
    const got = Array.isArray(value) ? `[${value.map((v) => describeValue(v)).join(", ")}]` : describeValue(value);
    if (!ok) throw new TypeError(`${where}: '${key}' must be ${expected}, got ${got}`);
  }
  return record as Record<string, number & number[]>;
}

export const isFiniteNumber = (value: unknown): value is number => Number.isFinite(value);
export const isNonNegativeInteger = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
export const isPositiveInteger = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;

/**
 * A value given once for every group or as a list with one per group (PyTorch's `max_lr`,
 * `min_lr`, `base_momentum`...), as one number per group; each must pass `ok`.
 */
export function perGroup(owner: string, option: string, value: unknown, groups: number, ok: (v: unknown) => boolean, expected: string): number[] {
  if (!Array.isArray(value)) {
    requireOption(owner, option, value, ok(value), `${expected}, or a list of one per parameter group`);
    return Array<number>(groups).fill(value as number);
  }
  if (value.length !== groups) {
    throw new RangeError(`${owner}: ${option} must have one value per parameter group (${groups}), got ${value.length} values`);
  }
  value.forEach((v, i) => {
    requireOption(owner, `${option}[${i}]`, v, ok(v), expected);
  });
  return [...value];
}

/**
 * PyTorch's `_LRScheduler`: built with `lastEpoch` -1, the constructor takes the first step, which
 * sets every group's learning rate for step 0. Each `step()` then computes the next rates from the
 * current ones (PyTorch's chainable `get_lr`, which is what its `step()` without an epoch uses), so
 * schedulers attached to the same optimizer compose as PyTorch's do.
 */
export abstract class LRScheduler<Settings> {
  /** PyTorch's `last_epoch`: the number of `step()` calls since construction (0 right after it). */
  lastEpoch = -1;
  /** Each group's learning rate when the first scheduler was attached to it (PyTorch's `base_lrs`). */
  baseLrs: readonly number[];
  /** The scheduler's options, validated once at construction. */
  protected readonly settings: Settings;
  private lastLrs: number[] = [];

  /** `read` validates the options once the optimizer is known to be one; the settings it returns are fixed. */
  protected constructor(
    /** Class name, used in error messages. */
    readonly name: string,
    /** The optimizer whose groups' learning rates this scheduler sets. */
    readonly optimizer: Optimizer<any>,
    read: (groups: ScheduledGroup[]) => Settings,
  ) {
    checkOptimizer(name, optimizer);
    this.settings = read(groupsOf(optimizer));
    this.baseLrs = groupsOf(optimizer).map(initialLr);
    this.step();
  }

  /** Every group's learning rate for step `epoch`, from the current ones; may also set momentum (OneCycleLR). */
  protected abstract lrsAt(epoch: number, groups: ScheduledGroup[]): number[];

  /** Moves to the next step and sets every group's learning rate for it (call after `optimizer.step()`). */
  step(): void {
    const groups = groupsOf(this.optimizer);
    const lrs = this.lrsAt(this.lastEpoch + 1, groups);
    this.lastEpoch++;
    groups.forEach((group, i) => {
      group.lr = lrs[i];
    });
    this.lastLrs = lrs;
  }

  /** The learning rates the last step set, one per group (PyTorch's `get_last_lr()`). */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /**
   * Where the schedule is, in PyTorch's key names. With the optimizer's own `stateDict()` (which
   * holds the groups' current learning rates) it resumes a run: build the optimizer and the
   * scheduler as before, load the optimizer's state, then this one's. The options are not in it:
   * they come from the constructor, as the code that resumes builds it.
   */
  stateDict(): SchedulerStateDict {
    return { last_epoch: this.lastEpoch, base_lrs: [...this.baseLrs], _last_lr: [...this.lastLrs] };
  }

  /** Restores a `stateDict()`; the next `step()` goes on from there. */
  loadStateDict(state: SchedulerStateDict): void {
    const groups = groupsOf(this.optimizer);
    const { last_epoch, base_lrs, _last_lr } = readSchedulerState(this.name, state, groups.length, { last_epoch: "count", base_lrs: "perGroup", _last_lr: "perGroup" });
    this.lastEpoch = last_epoch;
    this.baseLrs = [...base_lrs];
    this.lastLrs = [..._last_lr];
    groups.forEach((group, i) => recordInitialLr(group, base_lrs[i]));
  }
}
