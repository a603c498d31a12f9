import type { DType, TypedArray } from "../basics/dtype";
import { formatShape, type Shape, sizeOf } from "../basics/shape";
import type { Attrs } from "./attrs";
import type { TensorMethods } from "../api/methods";
import type { AnyOpDef, OpDef } from "./registry";

/** Where a tensor is accepted, so is a JS number (a scalar of the tensor's dtype). */
export type TensorLike = Tensor | number;

/** A node's consumers: a short list, or once there are many, lists keyed by op and attributes (see ir/graph.ts). */
type Consumers = Tensor[] | Map<string, Tensor[]>;

let nextId = 0;
/** Bumped whenever a leaf's data changes; derived values cached under an older epoch are stale. */
let leafEpoch = 0;

export function currentEpoch(): number {
  return leafEpoch;
}

/** Leaves' arrays were written (assign, compiled updates): every cached derived value is stale. */
export function markLeavesWritten(): void {
  leafEpoch++;
}

// The methods are declared with the API layer that installs them; only their types are seen here.
export interface Tensor extends TensorMethods {}

/**
 * A lazy tensor: a node of the graph IR. Building one runs only its shape rule; values are
 * computed when asked for. This file holds the node itself; the methods users call on it
 * (`add`, `data`, `backward`, ...) are installed by the API layer (`api/methods.ts`), so the IR
 * depends on nothing above it.
 */
export class Tensor {
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
  private leafData: TypedArray | undefined;
  private cachedData: TypedArray | undefined;
  private cachedEpoch = -1;
  private requiresGradFlag: boolean;

  constructor(
    /** The op that computes this node; undefined for leaves (constants and placeholders). */
    readonly def: AnyOpDef | undefined,
    /** The op's name, or "constant" / "placeholder" for leaves. */
    readonly op: string,
    readonly inputs: readonly Tensor[],
    /** Canonical attributes (see OpDef.canonicalize). */
    readonly attrs: Attrs,
    readonly shape: Shape,
    readonly dtype: DType,
    /** Module path and time step that built this node, e.g. `rnn.l0.t2`. */
    readonly scope: string | undefined,
    requiresGrad: boolean,
    /** @internal the attributes as a canonical string, for interning. */
    readonly attrsKey: string,
  ) {
    this.requiresGradFlag = requiresGrad;
  }

  get isLeaf(): boolean {
    return this.def === undefined;
  }

  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  /** Only leaves can start requiring gradients; derived nodes inherit it from their inputs when built. */
  set requiresGrad(value: boolean) {
    if (!this.isLeaf) throw new Error("requiresGrad can only be set on leaf tensors (constants and parameters)");
    if (value && this.dtype === "int32") throw new Error("only float tensors can require gradients, got int32");
    this.requiresGradFlag = value;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  /** The data a leaf holds (undefined for an unfed placeholder). */
  get leafValue(): TypedArray | undefined {
    return this.leafData;
  }

  /** The value the last evaluation kept for this node, if still valid. */
  get cachedValue(): TypedArray | undefined {
    if (this.isLeaf) return this.leafData;
    return this.cachedEpoch === leafEpoch ? this.cachedData : undefined;
  }

  /** @internal the evaluator keeps requested values here. */
  cache(data: TypedArray): void {
    this.cachedData = data;
    this.cachedEpoch = leafEpoch;
  }

  /** @internal gives a leaf its data (the caller marks leaves written when values change). */
  setLeafData(data: TypedArray): void {
    this.leafData = data;
  }

  /** Drops this node's cached value; later use is an error. For long-lived programs that build many graphs. */
  release(): void {
    this.released = true;
    this.cachedData = undefined;
    if (this.op !== "constant") this.leafData = undefined;
  }

  toString(): string {
    const name = this.name === undefined ? "" : ` '${this.name}'`;
    return `Tensor(${this.op}${name}, ${formatShape(this.shape)}, ${this.dtype})`;
  }
}

/** Whether `node` is computed by `def`; narrows its attributes to that op's. */
export function isNodeOf<A extends Attrs>(node: Tensor, def: OpDef<A>): node is Tensor & { readonly attrs: A } {
  return node.def === def;
}
