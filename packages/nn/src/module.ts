import { isFloat,
  type FloatDType,
  type NestedArray,
  Tensor,
  type TypedArray,
  currentScope,
  flattenNested,
  formatShape,
  sameShape,
  sizeOf,
  tensor,
  withScope,
  zeroGrad,
  zeros,
} from "@gradgraph/core";
import { checkBoolean, describeValue, readOptions } from "./validation";

/** A checkpoint entry: a tensor, a fixture-style `{shape, data}` record, or nested arrays. */
export type StateDictValue = Tensor | { readonly shape: readonly number[]; readonly data: ArrayLike<number> } | NestedArray;

export interface LoadStateDictOptions {
  /** As PyTorch: when true (the default), missing and unexpected keys are errors. Size mismatches always are. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface ModuleOptions {
  /**
   * The module's path when it is the root: the scope of the nodes its forward pass builds and the
   * prefix of its parameter names. Defaults to the lowercased class name (`rnn`, `linear`); `""`
   * means no prefix. A registered child's path is always `<parent path>.<key>`.
   */
  name?: string;
}

export interface RegisterBufferOptions {
  /** As PyTorch: a persistent buffer (the default) is part of `stateDict()`; a non-persistent one is neither saved nor loaded. */
  persistent?: boolean;
}

export interface ZeroGradOptions {
  /**
   * False by default, as PyTorch 1.13's `Module.zero_grad`: gradients become zeros. True forgets
   * them (`.grad` undefined), as `Optimizer.zeroGrad()` and PyTorch 2.0's default do.
   */
  setToNone?: boolean;
}

/** Any module, whatever its forward signature: what containers hold. */
export type AnyModule = Module<any[], unknown>;

function joinPath(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}.${key}`;
}

/** The scope to open for `path` from inside `current`: relative when nested, so a child called by its parent is not tagged twice. */
function scopeFrom(current: string | undefined, path: string): string {
  if (current === undefined) return path;
  if (path === current) return "";
  return path.startsWith(`${current}.`) ? path.slice(current.length + 1) : path;
}

function checkKey(owner: string, kind: string, key: string): void {
  if (typeof key !== "string" || key === "" || key.includes(".")) {
    throw new Error(`${owner}: ${kind} name must be a non-empty string without ".", got ${JSON.stringify(key)}`);
  }
}

/** A checkpoint entry's shape now, its values later (once every entry has been checked). */
function readEntry(key: string, value: StateDictValue): { shape: readonly number[]; data: () => ArrayLike<number> } {
  if (value instanceof Tensor) return { shape: value.shape, data: () => value.data() };
  if (typeof value === "object" && value !== null && !Array.isArray(value) && "shape" in value && "data" in value) {
    const { shape, data } = value;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new TypeError(`loadStateDict: entry "${key}" has shape ${describeValue(shape)}, expected an array of non-negative integers`);
    }
    if (data === null || typeof data !== "object" || typeof data.length !== "number") {
      throw new TypeError(`loadStateDict: entry "${key}" has data ${describeValue(data)}, expected an array or typed array of numbers`);
    }
    const expected = sizeOf(shape);
    if (data.length !== expected) {
      throw new Error(`loadStateDict: entry "${key}" of shape ${formatShape(shape)} needs ${expected} values, got ${data.length}`);
    }
    return { shape, data: () => data };
  }
  if (typeof value === "number" || Array.isArray(value)) {
    const { shape, values } = flattenNested(value, `loadStateDict: entry "${key}"`);
    return { shape, data: () => values };
  }
  throw new TypeError(`loadStateDict: entry "${key}" must be a Tensor, {shape, data} or nested arrays, got ${describeValue(value)}`);
}

/** Each tensor once, under the first path it appears at (PyTorch's `remove_duplicate`). */
function firstOfEach(named: [string, Tensor][]): [string, Tensor][] {
  const seen = new Set<Tensor>();
  return named.filter(([, t]) => {
    if (seen.has(t)) return false;
    seen.add(t);
    return true;
  });
}

const isPlainObject = (value: unknown): value is object =>
  typeof value === "object" && value !== null && [Object.prototype, null].includes(Object.getPrototypeOf(value));

/**
 * Points every reference to a replaced tensor among `holder`'s own properties at its replacement,
 * looking into arrays and plain objects (not into Maps, Tensors, Modules or other class instances).
 */
function repoint(owner: string, holder: object, replacements: ReadonlyMap<Tensor, Tensor>, visited: Set<object>): void {
  if (visited.has(holder)) return;
  visited.add(holder);
  for (const key of Reflect.ownKeys(holder)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(holder, key);
    if (descriptor === undefined || !("value" in descriptor)) continue;
    const value: unknown = descriptor.value;
    const replacement = value instanceof Tensor ? replacements.get(value) : undefined;
    if (replacement !== undefined) {
      if (!Reflect.defineProperty(holder, key, { ...descriptor, value: replacement })) {
        throw new Error(`${owner}: cannot point property ${String(key)} at the converted ${replacement}: it is read-only`);
      }
    } else if (Array.isArray(value) || isPlainObject(value)) {
      repoint(owner, value, replacements, visited);
    }
  }
}

/** The user's function behind each scoping wrapper, so that moving a forward to another module rescopes it. */
const unwrappedForwards = new WeakMap<Function, Function>();

/**
 * `forward` run inside the scope of `module`. It is called with the `this` it was called on (the
 * proxy, where a subclass's private fields live); the path is read from the bare object, which
 * keeps the proxy off the hot path.
 */
function scopedForward(module: AnyModule, forward: Function): Function {
  const original = unwrappedForwards.get(forward) ?? forward;
  const scoped = function (this: unknown, ...args: unknown[]): unknown {
    const scope = scopeFrom(currentScope(), module.path);
    return scope === "" ? original.apply(this, args) : withScope(scope, () => original.apply(this, args));
  };
  unwrappedForwards.set(scoped, original);
  return scoped;
}

/** The proxy's one trap: a class-field `forward = ...` or `module.forward = ...` is wrapped, anything else defined as is. */
function defineWrappingForward(target: AnyModule, key: string | symbol, descriptor: PropertyDescriptor): boolean {
  if (key !== "forward") return Reflect.defineProperty(target, key, descriptor);
  if (typeof descriptor.value !== "function") {
    const got = descriptor.get !== undefined || descriptor.set !== undefined ? "an accessor" : describeValue(descriptor.value);
    throw new TypeError(`${target.constructor.name}: forward must be a function, got ${got}`);
  }
  return Reflect.defineProperty(target, key, { ...descriptor, value: scopedForward(target, descriptor.value) });
}

/**
 * The base of every layer, following torch.nn.Module: parameters, buffers and children are
 * registered in construction order, which fixes the order of `namedParameters()`,
 * `namedBuffers()` and the keys of `stateDict()`.
 *
 * Parameters are leaf tensors that require gradients, named by their full path
 * (`rnn.weight_ih_l0`) so graph exports show them; buffers are named the same way. `forward()`
 * runs inside the module's scope, so every node it builds is tagged with the module path.
 */
export abstract class Module<Args extends unknown[] = [Tensor], Output = Tensor> {
  /** Dropout and similar layers behave differently while training; see `train()` / `eval()`. */
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  /** The keys of own buffers registered with `persistent: false`, which the state dict leaves out. */
  private readonly nonPersistentBuffers = new Set<string>();
  private readonly ownChildren = new Map<string, AnyModule>();
  private modulePath: string;

  constructor(options?: ModuleOptions) {
    const { name } = readOptions(this.constructor.name, options);
    if (name !== undefined && typeof name !== "string") {
      throw new TypeError(`${this.constructor.name}: name must be a string, got ${describeValue(name)}`);
    }
    this.modulePath = name ?? this.constructor.name.toLowerCase();
    // Subclasses write a plain forward(); wrapping it tags everything it builds with the module
    // path however it is reached (forward, call, or a parent's forward). A subclass may also
    // define forward as a class field or assign it later; both define an own property on the
    // object the constructor returns, so a proxy that wraps every function defined as `forward`
    // keeps the tagging. Only definitions are trapped: reads and calls go straight through.
    Object.defineProperty(this, "forward", { value: scopedForward(this, this.forward), writable: true, configurable: true });
    return new Proxy(this, { defineProperty: (target, key, descriptor) => defineWrappingForward(target, key, descriptor) });
  }

  /** The module's full path: its scope and the prefix of its parameter names. */
  get path(): string {
    return this.modulePath;
  }

  abstract forward(...args: Args): Output;

  /** PyTorch's `module(...)`, the same as `forward(...)`. */
  call(...args: Args): Output {
    return this.forward(...args);
  }

  /** Makes a float leaf a parameter of this module: it will require gradients and be named by its path. */
  registerParameter(key: string, parameter: Tensor): Tensor {
    checkKey(this.constructor.name, "parameter", key);
    this.checkFree(key);
    if (!(parameter instanceof Tensor) || !parameter.isLeaf || !isFloat(parameter.dtype)) {
      throw new TypeError(`${this.constructor.name}: parameter '${key}' must be a float leaf tensor, got ${String(parameter)}`);
    }
    parameter.requiresGrad = true;
    parameter.name = joinPath(this.modulePath, key);
    this.ownParameters.set(key, parameter);
    return parameter;
  }

  /**
   * PyTorch's `register_buffer`: state that is not a parameter (running statistics, masks, step
   * counts). Optimizers never see it (`parameters()` leaves it out), `to()` converts it when it is
   * float, and a persistent buffer is in `stateDict()`, after its module's own parameters, and
   * filled by `loadStateDict`. Any dtype; a leaf (so that loading can copy into it), named by its
   * path like a parameter.
   */
  registerBuffer(key: string, buffer: Tensor, options?: RegisterBufferOptions): Tensor {
    const owner = `${this.constructor.name}.registerBuffer`;
    checkKey(this.constructor.name, "buffer", key);
    const { persistent = true } = readOptions(owner, options, ["persistent"]);
    checkBoolean(owner, "persistent", persistent);
    this.checkFree(key);
    if (!(buffer instanceof Tensor) || !buffer.isLeaf || buffer.frozen) {
      throw new TypeError(`${this.constructor.name}: buffer '${key}' must be a leaf tensor that is not a shared constant, got ${describeValue(buffer)}`);
    }
    buffer.name = joinPath(this.modulePath, key);
    this.ownBuffers.set(key, buffer);
    if (!persistent) this.nonPersistentBuffers.add(key);
    return buffer;
  }

  /** Adds a child under `key`; its path (and its parameters' names) become `<this path>.<key>`. */
  registerModule<M extends AnyModule>(key: string, child: M): M {
    checkKey(this.constructor.name, "module", key);
    this.checkFree(key);
    if (!(child instanceof Module)) throw new TypeError(`${this.constructor.name}: child '${key}' must be a Module`);
    this.ownChildren.set(key, child);
    child.setPath(joinPath(this.modulePath, key));
    return child;
  }

  private checkFree(key: string): void {
    if (this.ownParameters.has(key) || this.ownBuffers.has(key) || this.ownChildren.has(key)) {
      throw new Error(`${this.constructor.name}: attribute '${key}' already exists`);
    }
  }

  private setPath(path: string): void {
    this.modulePath = path;
    for (const [key, parameter] of this.ownParameters) parameter.name = joinPath(path, key);
    for (const [key, buffer] of this.ownBuffers) buffer.name = joinPath(path, key);
    for (const [key, child] of this.ownChildren) child.setPath(joinPath(path, key));
  }

  namedChildren(): [string, AnyModule][] {
    return [...this.ownChildren];
  }

  children(): AnyModule[] {
    return [...this.ownChildren.values()];
  }

  /** This module and every descendant, depth first, keyed by path relative to this module ("" for itself). */
  namedModules(): [string, AnyModule][] {
    const result: [string, AnyModule][] = [];
    const pending: [string, AnyModule][] = [["", this as AnyModule]];
    while (pending.length > 0) {
      const [prefix, module] = pending.pop()!;
      result.push([prefix, module]);
      const children = module.namedChildren();
      for (let i = children.length - 1; i >= 0; i--) pending.push([joinPath(prefix, children[i][0]), children[i][1]]);
    }
    return result;
  }

  /** PyTorch's `named_parameters()`: own parameters first, then each child's, in registration order; shared ones once. */
  namedParameters(): [string, Tensor][] {
    return firstOfEach(this.collect((module) => module.ownParameters));
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, parameter]) => parameter);
  }

  /** PyTorch's `named_buffers()`: every buffer, persistent or not, in the order of `namedParameters()`; shared ones once. */
  namedBuffers(): [string, Tensor][] {
    return firstOfEach(this.collect((module) => module.ownBuffers));
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, buffer]) => buffer);
  }

  /**
   * What `own` lists for this module and each descendant (depth first), keyed by path relative
   * to this module; a tensor shared by several modules appears under each of its paths.
   */
  private collect(own: (module: AnyModule) => Iterable<[string, Tensor]>): [string, Tensor][] {
    return this.namedModules().flatMap(([prefix, module]) => [...own(module)].map(([key, t]): [string, Tensor] => [joinPath(prefix, key), t]));
  }

  /** PyTorch's state-dict entries: per module, its parameters, then its persistent buffers, then its children's entries. */
  private stateEntries(): [string, Tensor][] {
    return this.collect((module) => [
      ...module.ownParameters,
      ...[...module.ownBuffers].filter(([key]) => !module.nonPersistentBuffers.has(key)),
    ]);
  }

  /**
   * The parameters and persistent buffers under PyTorch's state_dict keys (`0.weight`,
   * `weight_ih_l0`, `bn.running_mean`), in PyTorch's order; a shared tensor appears under each of
   * its paths. These are the live leaves, not copies.
   */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.stateEntries());
  }

  /**
   * Copies a checkpoint into the existing parameter and persistent-buffer leaves (so optimizers
   * holding them stay valid), converting to each one's dtype. Everything is checked before anything is copied; errors
   * are reported together, in PyTorch's words.
   */
  loadStateDict(stateDict: Record<string, StateDictValue>, options?: LoadStateDictOptions): LoadStateDictResult {
    const owner = `${this.constructor.name}.loadStateDict`;
    if (stateDict === null || typeof stateDict !== "object" || Array.isArray(stateDict) || stateDict instanceof Tensor) {
      throw new TypeError(`${owner}: expected a state dict (an object from names to tensors), got ${describeValue(stateDict)}`);
    }
    const { strict = true } = readOptions(owner, options, ["strict"]);
    checkBoolean(owner, "strict", strict);
    const own = new Map(this.stateEntries());
    const missingKeys = [...own.keys()].filter((key) => !Object.hasOwn(stateDict, key));
    const unexpectedKeys = Object.keys(stateDict).filter((key) => !own.has(key));
    const errors: string[] = [];
    const quoted = (keys: string[]) => keys.map((key) => `"${key}"`).join(", ");
    if (strict && missingKeys.length > 0) errors.push(`Missing key(s) in state_dict: ${quoted(missingKeys)}.`);
    if (strict && unexpectedKeys.length > 0) errors.push(`Unexpected key(s) in state_dict: ${quoted(unexpectedKeys)}.`);
    const sources: [string, Tensor, () => ArrayLike<number>][] = [];
    for (const [key, parameter] of own) {
      if (!Object.hasOwn(stateDict, key)) continue;
      const entry = readEntry(key, stateDict[key]);
      if (!sameShape(entry.shape, parameter.shape)) {
        errors.push(
          `size mismatch for ${key}: copying a param with shape ${formatShape(entry.shape)} from checkpoint, ` +
            `the shape in current model is ${formatShape(parameter.shape)}.`,
        );
      } else {
        sources.push([key, parameter, entry.data]);
      }
    }
    const failed = `Error(s) in loading state_dict for ${this.constructor.name}`;
    if (errors.length > 0) throw new Error(`${failed}:\n\t${errors.join("\n\t")}`);
    // Every value is computed before the first is written: a source that cannot be computed
    // (an unfed placeholder, a failing kernel) must leave every parameter as it was.
    const values = sources.map(([key, parameter, data]): [Tensor, ArrayLike<number>] => {
      try {
        return [parameter, data()];
      } catch (err) {
        throw new Error(`${failed}: the value of "${key}" cannot be computed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    });
    for (const [parameter, value] of values) {
      // assign() converts into the parameter's dtype (float64 checkpoints into float32 models and back).
      parameter.assign(ArrayBuffer.isView(value) ? (value as TypedArray) : Array.from(value));
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode here and in every descendant (Dropout and recurrent dropout read it). */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * PyTorch's `requires_grad_(requiresGrad)`: sets `requiresGrad` on every parameter here and
   * below; `requiresGrad(false)` freezes them. `backward()` gives a frozen parameter no gradient,
   * so optimizers, which skip parameters without one, leave it alone. As in PyTorch, a gradient
   * it already held stays (and would still be applied) until `zeroGrad`.
   */
  requiresGrad(requiresGrad = true): this {
    checkBoolean(`${this.constructor.name}.requiresGrad`, "requiresGrad", requiresGrad);
    for (const parameter of this.parameters()) parameter.requiresGrad = requiresGrad;
    return this;
  }

  /**
   * PyTorch's `apply(fn)`: `fn` on each child's subtree (children in registration order), then on
   * this module, so children are seen before their parent. The usual way to initialize a model:
   * `model.apply((m) => { if (m instanceof Linear) init.xavierUniform(m.weight); })`.
   */
  apply(fn: (module: AnyModule) => void): this {
    if (typeof fn !== "function") throw new TypeError(`${this.constructor.name}.apply: fn must be a function, got ${describeValue(fn)}`);
    for (const child of this.ownChildren.values()) child.apply(fn);
    fn(this as AnyModule);
    return this;
  }

  /**
   * PyTorch's `module.to(dtype)`: every float parameter and float buffer here and below becomes
   * `dtype`; int32 buffers stay as they are. Returns this.
   *
   * The converted tensors are new leaves, unlike PyTorch's, which keep their identity: a Tensor's
   * dtype is fixed, because the nodes built on a leaf are typed by it. Each keeps its name,
   * requiresGrad and gradient (converted too, as PyTorch converts `.grad`); a tensor shared by
   * several modules stays shared; tensors already of `dtype` are kept, so `float()` on a float32
   * model changes nothing. So that the layers compute with the new leaves, every reference to an
   * old one among a module's own fields (directly, or inside arrays and plain objects such as an
   * RNN's per-layer weights) is replaced. References held elsewhere are not: build optimizers
   * and compiled programs after converting, as PyTorch advises for `.cuda()`.
   */
  to(dtype: FloatDType): this {
    const owner = `${this.constructor.name}.to`;
    if (dtype !== "float32" && dtype !== "float64") {
      throw new TypeError(`${owner}: only accepts floating point dtypes ("float32" or "float64"), but got desired dtype ${describeValue(dtype)}`);
    }
    const replacements = new Map<Tensor, Tensor>();
    const convert = (t: Tensor): Tensor => {
      if (!isFloat(t.dtype) || t.dtype === dtype) return t;
      let converted = replacements.get(t);
      if (converted === undefined) {
        converted = tensor(t.data(), { shape: t.shape, dtype, requiresGrad: t.requiresGrad, name: t.name });
        if (t.grad !== undefined) converted.grad = tensor(t.grad.data(), { shape: t.grad.shape, dtype });
        replacements.set(t, converted);
      }
      return converted;
    };
    const modules = this.namedModules().map(([, module]) => module);
    for (const module of modules) {
      for (const registry of [module.ownParameters, module.ownBuffers]) {
        for (const [key, t] of registry) registry.set(key, convert(t));
      }
    }
    const visited = new Set<object>();
    if (replacements.size > 0) for (const module of modules) repoint(owner, module, replacements, visited);
    return this;
  }

  /** PyTorch's `double()`: `to("float64")`. */
  double(): this {
    return this.to("float64");
  }

  /** PyTorch's `float()`: `to("float32")`. */
  float(): this {
    return this.to("float32");
  }

  /**
   * PyTorch 1.13's `zero_grad(set_to_none=False)`: every parameter's gradient becomes zeros of its
   * shape and dtype, so an optimizer stepping before the next backward still steps (momentum and
   * weight decay act). `{ setToNone: true }` forgets the gradients instead, as `Optimizer.zeroGrad()`
   * (and PyTorch 2.0's default) do: then nothing steps until the next backward.
   */
  zeroGrad(options?: ZeroGradOptions): void {
    const owner = `${this.constructor.name}.zeroGrad`;
    const { setToNone = false } = readOptions(owner, options, ["setToNone"]);
    checkBoolean(owner, "setToNone", setToNone);
    if (setToNone) {
      zeroGrad(this.parameters());
      return;
    }
    for (const parameter of this.parameters()) {
      if (parameter.grad !== undefined) parameter.grad = zeros(parameter.grad.shape, { dtype: parameter.grad.dtype });
    }
  }
}
