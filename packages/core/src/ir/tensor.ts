import { copyOf, type DType, type TypedArray } from "../basics/dtype";
import { track } from "../basics/liveness";
import { formatShape, type Shape, sizeOf } from "../basics/shape";
import type { Attrs } from "./attrs";
import type { TensorMethods } from "../api/methods";
import type { AnyOpDef, OpDef } from "./registry";

/** Where a tensor is accepted, so is a JS number (a scalar of the tensor's dtype). */
export type TensorLike = Tensor | number;

/** A node's consumers: a short list, or once there are many, lists keyed by intern key (see ir/graph.ts). */
type Consumers = Tensor[] | Map<number, Tensor[]>;

/**
 * One value of a data leaf. Nodes built on the leaf keep the version they saw, so a tensor's value
 * is fixed when it is built, as in PyTorch; `assign` and optimizer steps make a new version.
 */
interface LeafVersion {
  /** The values. A compiled program that must write this array in place moves its readers to a copy first. */
  data: TypedArray;
  /** A node has kept this version: its array may no longer be written in place. */
  captured: boolean;
}

let nextId = 0;

// The methods are declared with the API layer that installs them; only their types are seen here.
export interface Tensor extends TensorMethods {}

/**
 * A lazy tensor: a node of the graph IR. Building one runs only its shape rule; values are
 * computed when asked for. This file holds the node itself; the methods users call on it
 * (`add`, `data`, `backward`, ...) are installed by the API layer (`api/methods.ts`), so the IR
 * depends on nothing above it.
 */
export class Tensor {
  /** A number unique to this node in the process, in creation order (interning finds a node's newest input by it). */
  readonly id = nextId++;
  /** Parameter or placeholder name, shown in exports (e.g. `rnn.weight_ih_l0`). */
  name: string | undefined;
  /** Accumulated by `backward()` on leaves that require gradients. */
  grad: Tensor | undefined;
  /** Interned scalar constants are shared, so nobody may assign to them. */
  frozen = false;
  /** Set by `release()`: the node may not be used to build or evaluate anything more. */
  released = false;
  /** @internal evaluator scratch: the value during one evaluation, and how many consumers still need it. */
  scratchValue: TypedArray | undefined;
  /** @internal */
  pendingUses = 0;
  /** @internal nodes built with this one as their newest input (see interning in ir/graph.ts). */
  consumers: Consumers | undefined;
  /** @internal graph walks mark visited nodes with their walk's number instead of keeping a Set. */
  visitMark = 0;
  /** @internal the program cache numbers the ops of the graph it describes here (-1: fed, not computed). */
  walkIndex = -1;
  /**
   * @internal the versions of this node's data-leaf inputs when it was built, by input position
   * (frozen scalars never change and placeholders are read when evaluated, so they have none).
   */
  readonly leafVersions: readonly (LeafVersion | undefined)[] | undefined;
  /** @internal depends on a placeholder, whose value is read when evaluated: such values are never cached. */
  readonly readsPlaceholder: boolean;
  private version: LeafVersion | undefined;
  private cachedData: TypedArray | undefined;
  private requiresGradFlag: boolean;

  constructor(
    /** The op that computes this node; undefined for leaves (constants and placeholders). */
    readonly def: AnyOpDef | undefined,
    /** The op's name, or "constant" / "placeholder" for leaves. */
    readonly op: string,
    /** The tensors the op computes this node from; none for leaves. */
    readonly inputs: readonly Tensor[],
    /** Canonical attributes (see OpDef.canonicalize). */
    readonly attrs: Attrs,
    /** The sizes of the dims, known as soon as the node is built (PyTorch's `x.shape`). */
    readonly shape: Shape,
    /** The element type, known as soon as the node is built. */
    readonly dtype: DType,
    /** Module path and time step that built this node, e.g. `rnn.l0.t2`. */
    readonly scope: string | undefined,
    requiresGrad: boolean,
    /** @internal a hash of op, attributes and inputs, for interning (see ir/graph.ts). */
    readonly internKey: number,
  ) {
    this.requiresGradFlag = requiresGrad;
    let versions: (LeafVersion | undefined)[] | undefined;
    let readsPlaceholder = false;
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      if (input.def !== undefined) readsPlaceholder ||= input.readsPlaceholder;
      else if (input.op === "placeholder") readsPlaceholder = true;
      else if (!input.frozen) (versions ??= new Array(inputs.length))[i] = input.keepVersion();
    }
    this.leafVersions = versions;
    this.readsPlaceholder = readsPlaceholder;
    track("nodes", this);
  }

  /**
   * Whether this tensor was created (a leaf: data, a parameter, a placeholder) rather than computed by an op.
   */
  get isLeaf(): boolean {
    return this.def === undefined;
  }

  /**
   * Whether gradients flow to this tensor: set on leaves (PyTorch's `requires_grad`), inherited by the nodes
   * built on them outside `noGrad`.
   */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  /** Only leaves can start requiring gradients; derived nodes inherit it from their inputs when built. */
  set requiresGrad(value: boolean) {
    if (!this.isLeaf) throw new Error("requiresGrad can only be set on leaf tensors (constants and parameters)");
    if (value && this.dtype !== "float32" && this.dtype !== "float64") throw new Error(`only float tensors can require gradients, got ${this.dtype}`);
    this.requiresGradFlag = value;
  }

  /** The number of dims (PyTorch's `x.dim()`). */
  get ndim(): number {
    return this.shape.length;
  }

  /** The number of elements (PyTorch's `x.numel()`). */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** The data a leaf holds now (undefined for an unfed placeholder). */
  get leafValue(): TypedArray | undefined {
    return this.version?.data;
  }

  /** @internal a leaf's current version. */
  get currentVersion(): LeafVersion | undefined {
    return this.version;
  }

  /** The value of a leaf, or the value the evaluator kept for this node: values never go stale. */
  get cachedValue(): TypedArray | undefined {
    return this.isLeaf ? this.version?.data : this.cachedData;
  }

  /** @internal the evaluator keeps requested values here (not those read from placeholders, which change). */
  cache(data: TypedArray): void {
    if (!this.readsPlaceholder) this.cachedData = data;
  }

  /** @internal a node being built keeps this leaf's current version. */
  keepVersion(): LeafVersion {
    const version = this.version!;
    version.captured = true;
    return version;
  }

  /**
   * @internal gives a leaf new values: a new version for a data leaf (nodes built before keep the
   * old one), the slot's content for a placeholder (read when evaluated).
   */
  setLeafData(data: TypedArray): void {
    if (this.op === "placeholder") {
      this.version = { data, captured: false };
      return;
    }
    this.newVersion(data);
  }

  /**
   * @internal for a compiled program that writes this leaf's array in place: nodes that kept the
   * current version get a copy of it first, so the values they were built with stay theirs.
   */
  releaseForWriting(): void {
    const version = this.version!;
    if (!version.captured) return;
    const array = version.data;
    version.data = copyOf(array);
    this.newVersion(array);
  }

  /** @internal the same values, now in `array` (a compiled program's own, which it writes in place). */
  moveLeafData(array: TypedArray): void {
    const version = this.version!;
    if (version.captured) this.newVersion(array);
    else version.data = array;
  }

  private newVersion(data: TypedArray): void {
    this.version = { data, captured: false };
    // Every node remembered here has this leaf as an input and kept the old version: none can be found again.
    this.consumers = undefined;
  }

  /** Drops this node's cached value; later use is an error. For long-lived programs that build many graphs. */
  release(): void {
    this.released = true;
    this.cachedData = undefined;
    if (this.op !== "constant") this.version = undefined;
  }

  /**
   * A short label for error messages, which never evaluates anything: `Tensor(add 'w', [2, 3], float32)`.
   * `toString()` and console.log print the values, as PyTorch does (installed by api/print.ts).
   */
  describe(): string {
    const name = this.name === undefined ? "" : ` '${this.name}'`;
    return `Tensor(${this.op}${name}, ${formatShape(this.shape)}, ${this.dtype})`;
  }
}

/** Whether `node` is computed by `def`; narrows its attributes to that op's. */
export function isNodeOf<A extends Attrs>(node: Tensor, def: OpDef<A>): node is Tensor & { readonly attrs: A } {
  return node.def === def;
}
