import { isFloat, Tensor, evaluate, formatShape, noGrad, sameShape, tensor, zeroGrad } from "@gradgraph/core";
import { describeValue, readOptions } from "../validation";

/** Hyperparameter values an optimizer understands (numbers, flags, pairs such as Adam's betas). */
export type Hyperparameters = Record<string, number | boolean | readonly number[]>;

/** Parameters with hyperparameters that override the optimizer's defaults for them. */
export type ParamGroupInput<H extends Hyperparameters> = Partial<H> & { params: Iterable<Tensor> };

/** What an optimizer is given: parameters, or PyTorch-style parameter groups. */
export type Params<H extends Hyperparameters> = Iterable<Tensor> | readonly ParamGroupInput<H>[];

/**
 * One of `optimizer.paramGroups`: its hyperparameters (change them between steps, as schedulers do) and its
 * parameters.
 */
export type ParamGroup<H extends Hyperparameters> = H & { params: Tensor[] };

/**
 * Per-parameter state. Buffers (momentum, moment estimates) are leaf tensors that persist across
 * steps and are updated in place with `assign`.
 */
export interface ParamState {
  /** Updates applied to this parameter so far. */
  step: number;
  buffers: Record<string, Tensor>;
}

/**
 * A snapshot of the optimizer, PyTorch's `optimizer.state_dict()`: parameters are numbered in
 * group order, buffers keep PyTorch's names (`momentum_buffer`, `exp_avg`, ...).
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: (Hyperparameters & { params: number[] })[];
}

/** A parameter's new value and its buffers' new values, as graphs over the current ones. */
export interface Update {
  param: Tensor;
  buffers: Record<string, Tensor>;
  /**
   * State that PyTorch keeps as a 0-d tensor of its default dtype (float32) and reads back as a
   * Python number (NAdam's `mu_product`): computed on the host, stored as a 0-d float32 buffer.
   */
  scalars?: Record<string, number>;
}

/**
 * The shared machinery: parameter groups, hyperparameter validation, state, and a step that
 * builds every parameter's update graph under `noGrad`, evaluates them all in one pass (so no
 * update sees another's new value), then assigns the results to the leaves.
 *
 * `paramGroups` is PyTorch's `optimizer.param_groups`: each group's hyperparameters may be changed
 * between steps (learning-rate schedulers set `lr`, and `momentum` or `betas` when they cycle it);
 * every step checks them again, so a bad value is reported by name instead of training on it.
 */
export abstract class Optimizer<H extends Hyperparameters> {
  /**
   * PyTorch's `param_groups`: each group's parameters and hyperparameters, which may be changed between
   * steps.
   */
  readonly paramGroups: ParamGroup<H>[];
  private state = new Map<Tensor, ParamState>();
  /** Per parameter, the 0-d leaves that carry changing numbers into the update graphs (see `stepValues`). */
  private readonly stepLeaves = new Map<Tensor, Map<string, Tensor>>();

  protected constructor(
    /** Class name, used in error messages. */
    readonly name: string,
    params: Params<H>,
    /** Every option with its default value; other names are refused. */
    private readonly defaults: H,
    options: Partial<H>,
  ) {
    const base = { ...defaults, ...readOptions(name, options) } as H;
    this.checkHyperparameters(base);
    const groupOf = new Map<Tensor, number>();
    this.paramGroups = readGroups(name, params).map((group, g) => {
      const { params: groupParams, ...overrides } = group as ParamGroupInput<H>;
      const hyper = { ...base, ...overrides } as H;
      this.checkHyperparameters(hyper, `parameter group ${g}: `);
      if (groupParams === null || typeof groupParams !== "object" || !(Symbol.iterator in groupParams)) {
        throw new TypeError(`${name}: parameter group ${g}: params must be an iterable of Tensors, got ${describeValue(groupParams)}`);
      }
      const list = [...groupParams];
      list.forEach((p, i) => {
        checkParameter(name, p, `parameter ${i} of group ${g}`);
        const earlier = groupOf.get(p);
        if (earlier !== undefined) {
          // PyTorch: "some parameters appear in more than one parameter group"; here, which one and where.
          const where = earlier === g ? "earlier in the same group" : `in parameter group ${earlier} too`;
          throw new Error(`${name}: parameter ${i} of group ${g} (${describe(p)}) appears more than once: ${where} (each parameter belongs to one group, once)`);
        }
        groupOf.set(p, g);
      });
      return { ...hyper, params: list };
    });
    if (groupOf.size === 0) throw new Error(`${name}: optimizer got an empty parameter list`);
  }

  /** The new value of `param` and its buffers, for update number `step` (1 on the first). */
  protected abstract update(param: Tensor, grad: Tensor, step: number, buffers: Record<string, Tensor>, group: H): Update;

  /**
   * Numbers that may change from one step to the next, as 0-d leaves of the parameter's dtype that
   * keep their identity and take the new values: each step's update graph then has the same
   * structure (the program cache runs it compiled), and no step leaves a constant behind. Every
   * update passes this way what depends on the step count (bias corrections) and what schedulers
   * move (`lr`, and `momentum` or `betas[0]`, which OneCycleLR cycles); hyperparameters that stay
   * put (eps, weight decay, alpha) enter as constants.
   */
  protected stepValues<K extends string>(param: Tensor, values: Record<K, number>): Record<K, Tensor> {
    let leaves = this.stepLeaves.get(param);
    if (leaves === undefined) this.stepLeaves.set(param, (leaves = new Map()));
    const result = {} as Record<K, Tensor>;
    for (const name of Object.keys(values) as K[]) {
      const existing = leaves.get(name);
      if (existing !== undefined) result[name] = existing.assign([values[name]]);
      else leaves.set(name, (result[name] = tensor(values[name], { dtype: param.dtype })));
    }
    return result;
  }

  /** The buffers shaped like the parameter that it has once updated; a loaded state must provide exactly these. */
  protected abstract bufferNames(group: H): string[];

  /** The 0-d float32 buffers (see `Update.scalars`) a parameter has once updated; none unless an optimizer keeps some. */
  protected scalarNames(): string[] {
    return [];
  }

  /** Throws for values out of range; types and unknown names are checked by the base class. */
  protected abstract checkRanges(hyper: H, where: string): void;

  /** Applies one update to every parameter that has a gradient (others are skipped, as in PyTorch). */
  step(): void {
    this.paramGroups.forEach(({ params: _, ...hyper }, g) => this.checkHyperparameters(hyper as unknown as H, `parameter group ${g}: `));
    const targets: { param: Tensor; state: ParamState; update: Update }[] = [];
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const param of group.params) {
          const grad = param.grad;
          if (grad === undefined) continue;
          if (grad.dtype !== param.dtype || !sameShape(grad.shape, param.shape)) {
            throw new Error(`${this.name}: gradient ${grad.dtype} ${formatShape(grad.shape)} does not match ${describe(param)}`);
          }
          const state = this.state.get(param) ?? { step: 0, buffers: {} };
          targets.push({ param, state, update: this.update(param, grad, state.step + 1, state.buffers, group) });
        }
      }
    });
    const graphs = targets.flatMap(({ update }) => [update.param, ...Object.values(update.buffers)]);
    const values = evaluate(graphs);
    let next = 0;
    for (const { param, state, update } of targets) {
      param.assign(values[next++]);
      for (const name of Object.keys(update.buffers)) {
        const value = values[next++];
        const buffer = state.buffers[name];
        if (buffer === undefined) state.buffers[name] = tensor(value, { shape: param.shape, dtype: param.dtype });
        else buffer.assign(value);
      }
      for (const [name, value] of Object.entries(update.scalars ?? {})) {
        const buffer = state.buffers[name];
        if (buffer === undefined) state.buffers[name] = tensor(value, { dtype: "float32" });
        else buffer.assign(value);
      }
      state.step++;
      this.state.set(param, state);
    }
  }

  /** Forgets every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const group of this.paramGroups) zeroGrad(group.params);
  }

  /** A copy of the hyperparameters and state: later steps do not change it. */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    const paramGroups: OptimizerStateDict["paramGroups"] = [];
    let index = 0;
    for (const { params, ...hyper } of this.paramGroups) {
      const indices: number[] = [];
      for (const param of params) {
        const s = this.state.get(param);
        if (s !== undefined) {
          const buffers: Record<string, Tensor> = {};
          for (const [name, b] of Object.entries(s.buffers)) buffers[name] = tensor(b.data(), { shape: b.shape, dtype: b.dtype });
          state[index] = { step: s.step, buffers };
        }
        indices.push(index++);
      }
      paramGroups.push({ ...structuredClone(hyper), params: indices });
    }
    return { state, paramGroups };
  }

  /**
   * Restores a `stateDict()` (possibly from a checkpoint) onto this optimizer's parameters, which
   * must be grouped as when it was taken. Everything is validated before anything changes.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const { paramGroups, state } = stateDict ?? {};
    if (!Array.isArray(paramGroups) || state === null || typeof state !== "object") {
      throw new Error(`${this.name}: loadStateDict expects {state, paramGroups}`);
    }
    if (paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${this.name}: loaded state dict has ${paramGroups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    const params: { param: Tensor; group: H }[] = [];
    const hypers = paramGroups.map((loaded, g) => {
      const { params: indices, ...loadedHyper } = loaded;
      const { params: own, ...current } = this.paramGroups[g];
      if (!Array.isArray(indices) || indices.length !== own.length) {
        throw new Error(`${this.name}: loaded parameter group ${g} has ${indices?.length} parameters, the optimizer's has ${own.length}`);
      }
      // Options the checkpoint does not mention keep their current values.
      const hyper = { ...current, ...loadedHyper } as unknown as H;
      this.checkHyperparameters(hyper, `loaded parameter group ${g}: `);
      own.forEach((param) => params.push({ param, group: hyper }));
      return hyper;
    });

    const restored = new Map<Tensor, ParamState>();
    for (const [key, entry] of Object.entries(state)) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index >= params.length) {
        throw new Error(`${this.name}: loaded state names parameter ${key}, but the optimizer has ${params.length} parameters`);
      }
      const { param, group } = params[index];
      restored.set(param, this.restoreParamState(entry, param, group, `loaded state of parameter ${index}`));
    }

    hypers.forEach((hyper, g) => Object.assign(this.paramGroups[g], hyper));
    this.state = restored;
  }

  private restoreParamState(entry: ParamState, param: Tensor, group: H, where: string): ParamState {
    const { step, buffers } = entry ?? {};
    if (!Number.isSafeInteger(step) || step < 0) throw new Error(`${this.name}: ${where}: step must be a non-negative integer, got ${step}`);
    if (buffers === null || typeof buffers !== "object") throw new Error(`${this.name}: ${where}: buffers missing`);
    const scalars = step === 0 ? [] : this.scalarNames();
    const expected = step === 0 ? [] : [...this.bufferNames(group), ...scalars];
    const names = Object.keys(buffers);
    const missing = expected.filter((n) => !names.includes(n));
    const unexpected = names.filter((n) => !expected.includes(n));
    if (missing.length > 0 || unexpected.length > 0) {
      throw new Error(
        `${this.name}: ${where}: expected buffers [${expected.join(", ")}], ` +
          `missing [${missing.join(", ")}], unexpected [${unexpected.join(", ")}]`,
      );
    }
    const copies: Record<string, Tensor> = {};
    for (const name of names) {
      const b = buffers[name];
      const scalar = scalars.includes(name);
      const shape = scalar ? [] : param.shape;
      if (!(b instanceof Tensor) || !sameShape(b.shape, shape) || !isFloat(b.dtype)) {
        const got = b instanceof Tensor ? `${b.dtype} ${formatShape(b.shape)}` : describeValue(b);
        const like = scalar ? "of shape []" : `shaped like ${describe(param)}`;
        throw new Error(`${this.name}: ${where}: buffer ${name} is ${got}, expected a float tensor ${like}`);
      }
      // PyTorch casts loaded state to the parameter's dtype; assign-style copying does the same.
      copies[name] = tensor(b.data(), { shape, dtype: scalar ? "float32" : param.dtype });
    }
    return { step, buffers: copies };
  }

  private checkHyperparameters(hyper: H, where = ""): void {
    for (const [key, value] of Object.entries(hyper)) {
      const expected = this.defaults[key];
      if (!Object.hasOwn(this.defaults, key)) {
        throw new Error(`${this.name}: ${where}unknown option '${key}' (options are ${Object.keys(this.defaults).join(", ")})`);
      }
      const ok = Array.isArray(expected)
        ? Array.isArray(value) && value.length === expected.length && value.every((v) => typeof v === "number")
        : typeof value === typeof expected;
      if (!ok) throw new Error(`${this.name}: ${where}${key} must be ${describeType(expected)}, got ${JSON.stringify(value)}`);
    }
    this.checkRanges(hyper, where);
  }
}

/**
 * PyTorch's two forms: an iterable of tensors is one group; a list whose first entry is an object
 * (not a Tensor, not an array) is a list of groups, each of which must then be `{params, ...options}`.
 */
function readGroups<H extends Hyperparameters>(optimizer: string, params: Params<H>): ParamGroupInput<H>[] {
  if (params === null || typeof params !== "object" || !(Symbol.iterator in params)) {
    throw new TypeError(`${optimizer}: params must be an iterable of Tensors or of parameter groups, got ${describeValue(params)}`);
  }
  const entries: unknown[] = [...params];
  if (!isGroupObject(entries[0])) return [{ params: entries } as unknown as ParamGroupInput<H>];
  return entries.map((group, g) => {
    if (!isGroupObject(group)) {
      throw new TypeError(`${optimizer}: parameter group ${g} must be an object {params, ...options} like group 0, got ${describeValue(group)}`);
    }
    if (!Object.hasOwn(group, "params")) {
      const keys = Object.keys(group);
      const got = keys.length === 0 ? "an empty object" : `an object with ${keys.map((k) => `'${k}'`).join(", ")}`;
      throw new TypeError(`${optimizer}: parameter group ${g} has no params (expected {params: Tensor[], ...options}, got ${got})`);
    }
    return group as ParamGroupInput<H>;
  });
}

function isGroupObject(entry: unknown): entry is object {
  return entry !== null && typeof entry === "object" && !(entry instanceof Tensor) && !Array.isArray(entry);
}

function checkParameter(optimizer: string, t: unknown, where: string): asserts t is Tensor {
  const fail = (why: string) => new Error(`${optimizer}: ${where} ${why}`);
  if (!(t instanceof Tensor)) throw fail(`is not a Tensor (got ${describeValue(t)})`);
  if (!t.isLeaf) throw fail(`(${describe(t)}) is not a leaf tensor and cannot be optimized`);
  if (!isFloat(t.dtype)) throw fail(`(${describe(t)}) is not a float tensor`);
  if (t.frozen) throw fail(`(${describe(t)}) is a shared constant and cannot be updated`);
}

function describe(p: Tensor): string {
  return `${p.name === undefined ? "" : `'${p.name}' `}${p.dtype} ${formatShape(p.shape)}`;
}

function describeType(example: unknown): string {
  if (Array.isArray(example)) return `a list of ${example.length} numbers`;
  return `a ${typeof example}`;
}

/** PyTorch's check of Adam-style `betas`, each in [0, 1). */
export function checkBetas(optimizer: string, where: string, betas: readonly number[]): void {
  betas.forEach((beta, i) => checkRange(optimizer, where, `beta parameter at index ${i}`, beta, { min: 0, maxExclusive: 1 }));
}

/** PyTorch's check and wording, extended to refuse NaN and infinities. */
export function checkRange(
  optimizer: string,
  where: string,
  label: string,
  value: number,
  range: { min?: number; maxExclusive?: number } = {},
): void {
  const { min = -Infinity, maxExclusive = Infinity } = range;
  if (Number.isFinite(value) && value >= min && value < maxExclusive) return;
  const bounds = [min > -Infinity ? `>= ${min}` : "", maxExclusive < Infinity ? `< ${maxExclusive}` : ""].filter(Boolean).join(" and ");
  throw new Error(`${optimizer}: ${where}Invalid ${label}: ${value} (expected a finite number${bounds === "" ? "" : ` ${bounds}`})`);
}
