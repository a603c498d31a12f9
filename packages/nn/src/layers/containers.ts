/**
 * torch.nn.ModuleList and ModuleDict: modules held as registered children, so their parameters
 * and buffers are the container's (state-dict keys `0.weight` and `name.weight`, as PyTorch's)
 * and train/eval, to(), apply() reach them. They have no forward: the module that owns one calls
 * its modules as it sees fit. Item assignment, insertion and deletion replace, renumber or remove
 * children as PyTorch's do (ModuleList's set/insert/pop, ModuleDict's set/pop/clear).
 */
import { type AnyModule, Module, type ModuleOptions } from "../module";
import { checkInteger, describeValue, readOptions } from "../validation";

/** PyTorch's error for calling a container. */
function notCallable(owner: string): never {
  throw new TypeError(`Module [${owner}] is missing the required "forward" function`);
}

function checkModule(owner: string, what: string, value: unknown): asserts value is AnyModule {
  if (!(value instanceof Module)) throw new TypeError(`${owner}: ${what} must be a Module, got ${describeValue(value)}`);
}

/** torch.nn.ModuleList: modules in order, registered as children "0", "1", .... */
export class ModuleList<M extends AnyModule = AnyModule> extends Module<[], never> implements Iterable<M> {
  private readonly items: M[] = [];

  constructor(modules: Iterable<M> = [], options?: ModuleOptions) {
    super(readOptions("ModuleList", options, ["name"]));
    this.extend(modules);
  }

  /** The number of modules held. */
  get length(): number {
    return this.items.length;
  }

  /** The module at `index`; negative indices count from the end, as Python's. */
  at(index: number): M {
    checkInteger("ModuleList.at", "index", index);
    const module = this.items.at(index);
    if (module === undefined) throw new RangeError(`ModuleList: index ${index} is out of range for ${this.items.length} modules`);
    return module;
  }

  /** Adds `module` at the end, as child `String(length)`. */
  append(module: M): this {
    checkModule("ModuleList.append", "module", module);
    this.items.push(this.registerModule(String(this.items.length), module));
    return this;
  }

  /** Puts `module` in place of the one at `index` (negative counts from the end), as `list[i] = module`. */
  set(index: number, module: M): this {
    checkModule("ModuleList.set", "module", module);
    const position = this.position("ModuleList.set", index);
    this.items[position] = module;
    (this as unknown as Record<string, unknown>)[String(position)] = module;
    return this;
  }

  /**
   * Inserts `module` before `index` and renumbers the children after it, as `list.insert(i, module)`;
   * `index` is read as Python's list.insert reads it (negative from the end, clamped to the ends).
   */
  insert(index: number, module: M): this {
    checkInteger("ModuleList.insert", "index", index);
    checkModule("ModuleList.insert", "module", module);
    const n = this.items.length;
    const position = index < 0 ? Math.max(0, n + index) : Math.min(index, n);
    this.renumber(() => this.items.splice(position, 0, module));
    return this;
  }

  /** Removes the module at `index` (the last by default) and renumbers the children after it, as `list.pop(i)` or `del list[i]`. */
  pop(index = -1): M {
    const position = this.position("ModuleList.pop", index);
    let removed!: M;
    this.renumber(() => ([removed] = this.items.splice(position, 1)));
    return removed;
  }

  /** Appends each of `modules` in order. */
  extend(modules: Iterable<M>): this {
    if (modules === null || typeof (modules as Partial<Iterable<M>>)[Symbol.iterator] !== "function") {
      throw new TypeError(`ModuleList.extend: expected an iterable of modules, got ${describeValue(modules)}`);
    }
    for (const module of modules) this.append(module);
    return this;
  }

  /** The modules in order. */
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }

  private position(owner: string, index: number): number {
    checkInteger(owner, "index", index);
    const position = index < 0 ? this.items.length + index : index;
    if (position < 0 || position >= this.items.length) throw new RangeError(`${owner}: index ${index} is out of range for ${this.items.length} modules`);
    return position;
  }

  /** Children are named by position, so a change of positions registers them all again, in order. */
  private renumber(change: () => void): void {
    for (let position = 0; position < this.items.length; position++) delete (this as unknown as Record<string, unknown>)[String(position)];
    change();
    this.items.forEach((module, position) => this.registerModule(String(position), module));
  }

  forward(): never {
    return notCallable("ModuleList");
  }
}

/** torch.nn.ModuleDict: modules by name, registered as children of that name, in insertion order. */
export class ModuleDict<M extends AnyModule = AnyModule> extends Module<[], never> {
  private readonly items = new Map<string, M>();

  constructor(modules: Record<string, M> | Iterable<readonly [string, M]> = [], options?: ModuleOptions) {
    super(readOptions("ModuleDict", options, ["name"]));
    this.update(modules);
  }

  /** The number of modules held. */
  get size(): number {
    return this.items.size;
  }

  /** Whether a module is held under `key`. */
  has(key: string): boolean {
    return this.items.has(key);
  }

  /** The module named `key`; a missing key is an error, as Python's KeyError. */
  get(key: string): M {
    const module = this.items.get(key);
    if (module === undefined) throw new RangeError(`ModuleDict: no module named ${describeValue(key)} (keys are ${[...this.items.keys()].join(", ")})`);
    return module;
  }

  /** Puts `module` under `key`, as `dict[key] = module`: a key already held keeps its place. */
  set(key: string, module: M): this {
    checkModule("ModuleDict.set", `module '${key}'`, module);
    if (this.items.has(key)) (this as unknown as Record<string, unknown>)[key] = module;
    else this.registerModule(key, module);
    this.items.set(key, module);
    return this;
  }

  /** Removes the module under `key` and returns it, as `dict.pop(key)` (and `del dict[key]`). */
  pop(key: string): M {
    const module = this.get(key);
    delete (this as unknown as Record<string, unknown>)[key];
    this.items.delete(key);
    return module;
  }

  /** Removes every module, as `dict.clear()`. */
  clear(): this {
    for (const key of this.keys()) this.pop(key);
    return this;
  }

  /** PyTorch's update: adds every entry of a record or of [key, module] pairs, in order. */
  update(modules: Record<string, M> | Iterable<readonly [string, M]>): this {
    if (modules === null || typeof modules !== "object") {
      throw new TypeError(`ModuleDict.update: expected a record of modules or [key, module] pairs, got ${describeValue(modules)}`);
    }
    const entries = Symbol.iterator in modules ? modules : Object.entries(modules);
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new TypeError(`ModuleDict.update: expected [key, module] pairs, got ${describeValue(entry)}`);
      this.set(entry[0], entry[1]);
    }
    return this;
  }

  /** The keys, in insertion order. */
  keys(): string[] {
    return [...this.items.keys()];
  }

  /** The modules, in insertion order. */
  values(): M[] {
    return [...this.items.values()];
  }

  /** The keys and modules, in insertion order. */
  entries(): [string, M][] {
    return [...this.items];
  }

  forward(): never {
    return notCallable("ModuleDict");
  }
}
