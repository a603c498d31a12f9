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

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /** As PyTorch: when true (the default), missing and unexpected keys are errors. Size mismatches always are. */
  strict?: boolean;
}

/** What `loadStateDict` did not match (PyTorch's named tuple of the same keys); empty when strict. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** What every module takes in its options: the name that roots its path. */
export interface ModuleOptions {
  /**
   * The module's path when it is the root: the scope of the nodes its forward pass builds and the
   * prefix of its parameter names. Defaults to the lowercased class name (`rnn`, `linear`); `""`
   * means no prefix. A registered child's path is always `<parent path>.<key>`.
   */
  name?: string;
}

/** Options of `registerBuffer`. */
export interface RegisterBufferOptions {
  /** As PyTorch: a persistent buffer (the default) is part of `stateDict()`; a non-persistent one is neither saved nor loaded. */
  persistent?: boolean;
}

/** Options of `zeroGrad`. */
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

/** PyTorch's `_addindent`: every line but the first indented by `spaces`. */
function indentFollowingLines(text: string, spaces: number): string {
  const [first, ...rest] = text.split("\n");
  return [first, ...rest.map((line) => " ".repeat(spaces) + line)].join("\n");
}

/** Node's `util.inspect` hook, named without importing Node, so the package stays browser-safe. */
const inspectCustom = Symbol.for("nodejs.util.inspect.custom");

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
        throw new Error(`${owner}: cannot point property ${String(key)} at the converted ${replacement.describe()}: it is read-only`);
      }
    } else if (Array.isArray(value) || isPlainObject(value)) {
      repoint(owner, value, replacements, visited);
    }
  }
}

/** The user's function behind each scoping wrapper, so that moving a forward to another module rescopes it. */
const unwrappedForwards = new WeakMap<Function, Function>();

/**
 * Called after each forward of the module it is registered on, with the arguments and the
 * output (PyTorch's `register_forward_hook`); a value it returns replaces the output.
 */
export type ForwardHook = (module: AnyModule, args: unknown[], output: unknown) => unknown;

/** What `registerForwardHook` returns, as PyTorch's handle. */
export interface HookHandle {
  /** Detaches the hook: later forwards no longer call it (PyTorch's `handle.remove()`). */
  remove(): void;
}

/**
 * `forward` run inside the scope of `module`, then `hooks`. It is called with the `this` it was
 * called on (the proxy, where a subclass's private fields live); the path is read from the bare
 * object, which keeps the proxy off the hot path.
 */
function scopedForward(module: AnyModule, forward: Function, hooks: ReadonlySet<ForwardHook>): Function {
  const original = unwrappedForwards.get(forward) ?? forward;
  const scoped = function (this: unknown, ...args: unknown[]): unknown {
    const scope = scopeFrom(currentScope(), module.path);
    let output = scope === "" ? original.apply(this, args) : withScope(scope, () => original.apply(this, args));
    for (const hook of hooks) output = hook(this instanceof Module ? this : module, args, output) ?? output;
    return output;
  };
  unwrappedForwards.set(scoped, original);
  return scoped;
}

/** A class-field `forward = ...` or `module.forward = ...`, wrapped so that it runs in the module's scope. */
function defineWrappingForward(target: AnyModule, descriptor: PropertyDescriptor, hooks: ReadonlySet<ForwardHook>): boolean {
  if (typeof descriptor.value !== "function") {
    const got = descriptor.get !== undefined || descriptor.set !== undefined ? "an accessor" : describeValue(descriptor.value);
    throw new TypeError(`${target.constructor.name}: forward must be a function, got ${got}`);
  }
  return Reflect.defineProperty(target, "forward", { ...descriptor, value: scopedForward(target, descriptor.value, hooks) });
}

/**
 * What assigning to a module's attribute registers as a parameter: a float leaf that requires
 * gradients, the counterpart of PyTorch's `nn.Parameter` (`randn([3, 4], { requiresGrad: true })`).
 */
function isParameterLike(value: unknown): value is Tensor {
  return value instanceof Tensor && value.isLeaf && value.requiresGrad && isFloat(value.dtype);
}

/** The registered entries of a registry; null marks a slot cleared by assigning null, as PyTorch's None. */
function present<T>(registry: ReadonlyMap<string, T | null>): [string, T][] {
  return [...registry].filter((entry): entry is [string, T] => entry[1] !== null);
}

const isContainer = (value: unknown): value is object => Array.isArray(value) || isPlainObject(value);

/**
 * The first Module or parameter inside `value` (an array or plain object, looked into as deep
 * as they nest) that is not `registered`, with where it is (`layers[0]`, `heads.query`).
 */
function findUnregistered(
  value: object,
  where: string,
  registered: (item: AnyModule | Tensor) => boolean,
  visited = new Set<object>(),
): { where: string; item: AnyModule | Tensor } | undefined {
  if (visited.has(value)) return undefined;
  visited.add(value);
  for (const [key, item] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${where}[${key}]` : `${where}.${key}`;
    if ((item instanceof Module || isParameterLike(item)) && !registered(item)) return { where: at, item };
    if (isContainer(item)) {
      const found = findUnregistered(item, at, registered, visited);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * The base of every layer, following torch.nn.Module: parameters, buffers and children are
 * registered in construction order, which fixes the order of `namedParameters()`,
 * `namedBuffers()` and the keys of `stateDict()`.
 *
 * As in PyTorch, assigning an attribute registers it: `this.fc1 = new Linear(3, 4)` a child,
 * `this.scale = ones([4], { requiresGrad: true })` a parameter (a float leaf that requires
 * gradients is what PyTorch's nn.Parameter is here), in assignment order, in one namespace with
 * `registerModule` / `registerParameter` / `registerBuffer` (for names made at run time; they
 * define the attribute too). Assigning again replaces in place; null (or undefined) clears the
 * slot as PyTorch's None (printed as `None`, skipped everywhere else); `delete` removes it. A
 * registered buffer assigned a tensor is updated. A value already registered here under another
 * name stays a plain attribute (an alias, as `runningMean` for `running_mean`), where PyTorch
 * would register it twice. Modules and parameters inside plain arrays or objects are refused:
 * nothing would register them. `#private` fields are never registered.
 *
 * Parameters are leaf tensors that require gradients, named by their full path
 * (`rnn.weight_ih_l0`) so graph exports show them; buffers are named the same way. `forward()`
 * runs inside the module's scope, so every node it builds is tagged with the module path.
 */
export abstract class Module<Args extends unknown[] = [Tensor], Output = Tensor> {
  /** Dropout and similar layers behave differently while training; see `train()` / `eval()`. */
  training = true;
  private readonly ownParameters = new Map<string, Tensor | null>();
  private readonly ownBuffers = new Map<string, Tensor | null>();
  /** The keys of own buffers registered with `persistent: false`, which the state dict leaves out. */
  private readonly nonPersistentBuffers = new Set<string>();
  private readonly ownChildren = new Map<string, AnyModule | null>();
  private readonly forwardHooks = new Set<ForwardHook>();
  /**
   * The attributes holding arrays or plain objects, which namedModules() looks into again: what
   * is put in them after the assignment is not seen being assigned.
   */
  private readonly containerKeys = new Set<string>();
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
    // keeps the tagging. The same trap sees every attribute assignment (class fields and
    // `this.x = ...` both define a property), which registers modules and parameters. Only
    // definitions and deletions are trapped: reads, the hot path of every forward, go straight through.
    Object.defineProperty(this, "forward", { value: scopedForward(this, this.forward, this.forwardHooks), writable: true, configurable: true });
    return new Proxy(this, {
      defineProperty: (target, key, descriptor) => target.defineAttribute(key, descriptor),
      deleteProperty: (target, key) => target.deleteAttribute(key),
    });
  }

  /** The proxy's trap for every property defined on the module (called on the bare object). */
  private defineAttribute(key: string | symbol, descriptor: PropertyDescriptor): boolean {
    if (key === "forward") return defineWrappingForward(this, descriptor, this.forwardHooks);
    if (typeof key !== "string") return Reflect.defineProperty(this, key, descriptor);
    if ("value" in descriptor) this.assignAttribute(key, descriptor.value);
    if (isContainer(descriptor.value)) this.containerKeys.add(key);
    else this.containerKeys.delete(key);
    return Reflect.defineProperty(this, key, descriptor);
  }

  /** PyTorch's `__delattr__`: a registered name leaves its registry with the attribute. */
  private deleteAttribute(key: string | symbol): boolean {
    if (typeof key === "string") {
      this.unregister(key);
      this.containerKeys.delete(key);
    }
    return Reflect.deleteProperty(this, key);
  }

  private unregister(key: string): void {
    this.ownParameters.delete(key);
    this.ownBuffers.delete(key);
    this.nonPersistentBuffers.delete(key);
    this.ownChildren.delete(key);
  }

  /** The registry holding `key`, if any. */
  private registryOf(key: string): Map<string, Tensor | AnyModule | null> | undefined {
    return [this.ownParameters, this.ownBuffers, this.ownChildren].find((registry) => registry.has(key));
  }

  /** Whether `value` is registered here under some name. */
  private holds(value: unknown): boolean {
    if (value instanceof Module) return [...this.ownChildren.values()].includes(value);
    return value instanceof Tensor && [...this.ownParameters.values(), ...this.ownBuffers.values()].includes(value);
  }

  /**
   * PyTorch's `__setattr__`, in its order of checks: a parameter registers (leaving the buffers
   * and children); a parameter's name takes only a parameter or null; a module registers
   * (leaving the parameters and buffers); a child's name takes only a module or null; a buffer's
   * name takes a tensor (the buffer updated) or null. Anything else is a plain attribute, unless
   * it hides modules or parameters in an array or plain object.
   */
  private assignAttribute(key: string, value: unknown): void {
    const owner = this.constructor.name;
    const registry = this.registryOf(key);
    // The same value again (a field initialized from registerModule, to() pointing a field at the
    // tensor it registered), or a second name for a registered value: nothing to register.
    if (registry === undefined ? this.holds(value) : registry.get(key) === value) return;
    const cleared = value === null || value === undefined;
    if (isParameterLike(value)) {
      if (registry !== this.ownParameters) this.unregister(key);
      this.setParameter(key, value);
    } else if (registry === this.ownParameters) {
      if (!cleared) throw new TypeError(`${owner}: cannot assign ${describeValue(value)} as parameter '${key}' (a float leaf tensor with requiresGrad: true, or null, expected)`);
      this.ownParameters.set(key, null);
    } else if (value instanceof Module) {
      if (registry !== this.ownChildren) this.unregister(key);
      this.setChild(key, value);
    } else if (registry === this.ownChildren) {
      if (!cleared) throw new TypeError(`${owner}: cannot assign ${describeValue(value)} as child module '${key}' (a Module or null expected)`);
      this.ownChildren.set(key, null);
    } else if (registry === this.ownBuffers) {
      if (cleared) this.ownBuffers.set(key, null);
      else this.setBuffer(key, value);
    } else if (isContainer(value)) {
      this.refuseHidden(key, value, () => Module.registeredIn(this.walk()));
    }
  }

  /**
   * Throws when `value`, the attribute `key`, holds a Module or parameter registered neither
   * here (the usual case: Sequential's layers, an RNN's weights) nor in the tree `inTree` lists
   * (asked only then).
   */
  private refuseHidden(key: string, value: object, inTree: () => Set<unknown>): void {
    let own: Set<unknown> | undefined;
    const registered = (item: unknown) =>
      (own ??= new Set([...this.ownChildren.values(), ...this.ownParameters.values(), ...this.ownBuffers.values()])).has(item) || inTree().has(item);
    const found = findUnregistered(value, key, registered);
    if (found === undefined) return;
    const container = Array.isArray(value) ? "a plain array" : "a plain object";
    const isModule = found.item instanceof Module;
    const what = isModule ? `a Module (${found.item.constructor.name})` : `a parameter (${describeValue(found.item)})`;
    const fix = isModule
      ? `hold modules in a ModuleList or ModuleDict (this.${key} = new ModuleList([...])), or register each with registerModule(name, module)`
      : "give each parameter an attribute of its own, or register it with registerParameter(name, tensor)";
    throw new TypeError(
      `${this.constructor.name}: attribute '${key}' holds ${what} at ${found.where} inside ${container}, where it is not registered: ` +
        `parameters(), stateDict() and optimizers would not see it. As PyTorch needs nn.ModuleList for this, ${fix}`,
    );
  }

  private setParameter(key: string, parameter: Tensor): void {
    parameter.requiresGrad = true;
    parameter.name = joinPath(this.modulePath, key);
    this.ownParameters.set(key, parameter);
  }

  private setBuffer(key: string, buffer: unknown): void {
    if (!(buffer instanceof Tensor) || !buffer.isLeaf || buffer.frozen) {
      throw new TypeError(`${this.constructor.name}: buffer '${key}' must be a leaf tensor that is not a shared constant, got ${describeValue(buffer)}`);
    }
    buffer.name = joinPath(this.modulePath, key);
    this.ownBuffers.set(key, buffer);
  }

  private setChild(key: string, child: AnyModule): void {
    this.ownChildren.set(key, child);
    child.setPath(joinPath(this.modulePath, key));
  }

  /** Makes a registered value an attribute, as PyTorch's `__getattr__` finds it (the trap sees it registered already). */
  private defineRegistered(key: string, value: Tensor | AnyModule): void {
    Reflect.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
  }

  /** The module's full path: its scope and the prefix of its parameter names. */
  get path(): string {
    return this.modulePath;
  }

  /**
   * The module's computation; call it as `module.call(...)` or `module.forward(...)` (both scope the nodes it
   * builds).
   */
  abstract forward(...args: Args): Output;

  /**
   * PyTorch's `extra_repr`: this module's options as its printed form shows them between the
   * parentheses (`in_features=3, out_features=4, bias=True`); "" by default. Override it in your
   * own modules; it may span lines.
   */
  extraRepr(): string {
    return "";
  }

  /**
   * PyTorch's `repr(module)`: the class name, `extraRepr()`, and each child on its own line as
   * `(key): ...`, indented by nesting (a cleared slot as `None`). `String(module)` and Node's
   * `console.log` / `util.inspect` print this too.
   */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra === "" ? [] : extra.split("\n");
    const childLines = [...this.ownChildren].map(([key, child]) => `(${key}): ${indentFollowingLines(child === null ? "None" : child.toString(), 2)}`);
    const lines = [...extraLines, ...childLines];
    const name = this.constructor.name;
    if (lines.length === 0) return `${name}()`;
    if (extraLines.length === 1 && childLines.length === 0) return `${name}(${extraLines[0]})`;
    return `${name}(\n  ${lines.join("\n  ")}\n)`;
  }

  /** What Node's `console.log` and `util.inspect` print: `toString()`, PyTorch's module repr. */
  [inspectCustom](): string {
    return this.toString();
  }

  /** PyTorch's `register_forward_hook`: `hook` runs after every forward of this module until the handle's `remove()`. */
  registerForwardHook(hook: ForwardHook): HookHandle {
    if (typeof hook !== "function") throw new TypeError(`${this.constructor.name}.registerForwardHook: hook must be a function, got ${describeValue(hook)}`);
    // A handle of its own per registration, so that registering one function twice runs it twice and removes once.
    const entry: ForwardHook = (module, args, output) => hook(module, args, output);
    this.forwardHooks.add(entry);
    return { remove: () => this.forwardHooks.delete(entry) };
  }

  /** PyTorch's `module(...)`, the same as `forward(...)`. */
  call(...args: Args): Output {
    return this.forward(...args);
  }

  /** Makes a float leaf a parameter of this module: it will require gradients and be named by its path. */
  registerParameter(key: string, parameter: Tensor): Tensor {
    checkKey(this.constructor.name, "parameter", key);
    this.checkFree(key);
    if (!(parameter instanceof Tensor) || !parameter.isLeaf || !isFloat(parameter.dtype)) {
      throw new TypeError(`${this.constructor.name}: parameter '${key}' must be a float leaf tensor, got ${describeValue(parameter)}`);
    }
    this.setParameter(key, parameter);
    this.defineRegistered(key, parameter);
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
    this.setBuffer(key, buffer);
    if (!persistent) this.nonPersistentBuffers.add(key);
    this.defineRegistered(key, buffer);
    return buffer;
  }

  /** Adds a child under `key`; its path (and its parameters' names) become `<this path>.<key>`. */
  registerModule<M extends AnyModule>(key: string, child: M): M {
    checkKey(this.constructor.name, "module", key);
    this.checkFree(key);
    if (!(child instanceof Module)) throw new TypeError(`${this.constructor.name}: child '${key}' must be a Module`);
    this.setChild(key, child);
    this.defineRegistered(key, child);
    return child;
  }

  /**
   * A name registers once (stricter than PyTorch's register_*, which replace: assign the attribute
   * to replace), and not over another attribute or method (`training`, `forward`), as PyTorch's
   * "already exists". A class field declared but not yet assigned holds undefined and is free.
   */
  private checkFree(key: string): void {
    const declaredOnly = Object.hasOwn(this, key) && Reflect.get(this, key) === undefined && this.registryOf(key) === undefined;
    if (key in this && !declaredOnly) throw new Error(`${this.constructor.name}: attribute '${key}' already exists`);
  }

  private setPath(path: string): void {
    this.modulePath = path;
    for (const [key, parameter] of present(this.ownParameters)) parameter.name = joinPath(path, key);
    for (const [key, buffer] of present(this.ownBuffers)) buffer.name = joinPath(path, key);
    for (const [key, child] of present(this.ownChildren)) child.setPath(joinPath(path, key));
  }

  /** The direct children with their keys, in registration order (PyTorch's `named_children()`). */
  namedChildren(): [string, AnyModule][] {
    return present(this.ownChildren);
  }

  /** The direct children, in registration order. */
  children(): AnyModule[] {
    return this.namedChildren().map(([, child]) => child);
  }

  /**
   * This module and every descendant, depth first, keyed by path relative to this module ("" for
   * itself). Throws if one of them holds a Module or parameter in a plain array or object (put
   * there after the assignment, where the assignment could not see it).
   */
  namedModules(): [string, AnyModule][] {
    const walked = this.walk();
    let inTree: Set<unknown> | undefined;
    for (const [, module] of walked) {
      for (const key of module.containerKeys) {
        const value: unknown = Reflect.get(module, key);
        if (isContainer(value)) module.refuseHidden(key, value, () => (inTree ??= Module.registeredIn(walked)));
      }
    }
    return walked;
  }

  /** The modules of a walk and their parameters and buffers: what may sit in their arrays and plain objects. */
  private static registeredIn(walked: [string, AnyModule][]): Set<unknown> {
    return new Set(walked.flatMap(([, module]) => [module, ...module.ownParameters.values(), ...module.ownBuffers.values()]));
  }

  /** namedModules() without the check. */
  private walk(): [string, AnyModule][] {
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
    return firstOfEach(this.collect((module) => present(module.ownParameters)));
  }

  /** Every parameter, in the order of `namedParameters()` (PyTorch's `parameters()`). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, parameter]) => parameter);
  }

  /** PyTorch's `named_buffers()`: every buffer, persistent or not, in the order of `namedParameters()`; shared ones once. */
  namedBuffers(): [string, Tensor][] {
    return firstOfEach(this.collect((module) => present(module.ownBuffers)));
  }

  /** Every buffer, in the order of `namedBuffers()`. */
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
      ...present(module.ownParameters),
      ...present(module.ownBuffers).filter(([key]) => !module.nonPersistentBuffers.has(key)),
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

  /** `train(false)`: dropout off, batch norm on its running statistics. */
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
    for (const child of this.children()) child.apply(fn);
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
        for (const [key, t] of present(registry)) registry.set(key, convert(t));
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
