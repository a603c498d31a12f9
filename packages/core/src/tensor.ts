import { type DType, type TypedArray, allocate } from "./dtype";
import { OpError } from "./errors";
import type { Attrs } from "./ir/attrs";
import type { Consumers } from "./ir/graph";
import { evaluate } from "./exec/evaluate";
import { backward } from "./autodiff/backward";
import * as F from "./functional";
import { formatShape, type Shape, sameShape, sizeOf } from "./shape";

export type TensorLike = Tensor | number;
export type NestedArray = number | NestedArray[];

let nextId = 0;
/** Bumped whenever a leaf's data changes; derived values cached under an older epoch are stale. */
let leafEpoch = 0;

export function currentEpoch(): number {
  return leafEpoch;
}

/** @internal compiled programs call this after writing new values into leaves' arrays in place. */
export function markLeavesWritten(): void {
  leafEpoch++;
}

/**
 * A lazy tensor: a node of the graph IR. Building one runs only its shape rule; values are
 * computed when asked for (`data()`, `toArray()`, `item()`), by the evaluator.
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
    readonly op: string,
    readonly inputs: readonly Tensor[],
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
    return this.op === "constant" || this.op === "placeholder";
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

  /** @internal */
  setLeafData(data: TypedArray): void {
    this.leafData = data;
  }

  /**
   * Replaces a leaf's values in place (parameter updates, feeding a placeholder). Values cached for
   * derived nodes become stale and are recomputed on the next request.
   */
  assign(value: Tensor | TypedArray | NestedArray): this {
    if (!this.isLeaf) throw new Error(`assign: only leaf tensors can be assigned, this is the output of '${this.op}'`);
    if (this.frozen) throw new Error("assign: this is a shared constant and cannot change");
    let data: TypedArray;
    if (value instanceof Tensor) {
      if (!sameShape(value.shape, this.shape) || value.dtype !== this.dtype) {
        throw new OpError(
          "assign",
          `expected ${this.dtype} ${formatShape(this.shape)}, got ${value.dtype} ${formatShape(value.shape)}`,
        );
      }
      data = value.data().slice();
    } else {
      const flat = ArrayBuffer.isView(value) ? (value as TypedArray) : F.flattenNested(value, "assign").values;
      if (flat.length !== this.size) {
        throw new OpError("assign", `expected ${this.size} values for shape ${formatShape(this.shape)}, got ${flat.length}`);
      }
      data = allocate(this.dtype, this.size);
      data.set(flat);
    }
    this.leafData = data;
    leafEpoch++;
    return this;
  }

  /** Drops this node's cached value; later use is an error. For long-lived programs that build many graphs. */
  release(): void {
    this.released = true;
    this.cachedData = undefined;
    if (this.op !== "constant") this.leafData = undefined;
  }

  /** Realizes the value (running only the kernels it needs) and returns its flat row-major data. */
  data(): TypedArray {
    return evaluate([this])[0];
  }

  toArray(): NestedArray {
    return F.nest(this.data(), this.shape);
  }

  item(): number {
    if (this.size !== 1) throw new Error(`item: a Tensor with ${this.size} elements cannot be converted to a number`);
    return this.data()[0];
  }

  /** Accumulates d(this)/d(leaf) into `.grad` of every leaf created with requiresGrad (PyTorch style). */
  backward(gradOutput?: Tensor): void {
    backward(this, gradOutput);
  }

  toString(): string {
    const name = this.name === undefined ? "" : ` '${this.name}'`;
    return `Tensor(${this.op}${name}, ${formatShape(this.shape)}, ${this.dtype})`;
  }

  add(other: TensorLike): Tensor { return F.add(this, other); }
  sub(other: TensorLike): Tensor { return F.sub(this, other); }
  mul(other: TensorLike): Tensor { return F.mul(this, other); }
  div(other: TensorLike): Tensor { return F.div(this, other); }
  pow(other: TensorLike): Tensor { return F.pow(this, other); }
  maximum(other: TensorLike): Tensor { return F.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return F.minimum(this, other); }
  eq(other: TensorLike): Tensor { return F.eq(this, other); }
  ne(other: TensorLike): Tensor { return F.ne(this, other); }
  lt(other: TensorLike): Tensor { return F.lt(this, other); }
  le(other: TensorLike): Tensor { return F.le(this, other); }
  gt(other: TensorLike): Tensor { return F.gt(this, other); }
  ge(other: TensorLike): Tensor { return F.ge(this, other); }
  neg(): Tensor { return F.neg(this); }
  exp(): Tensor { return F.exp(this); }
  log(): Tensor { return F.log(this); }
  sqrt(): Tensor { return F.sqrt(this); }
  abs(): Tensor { return F.abs(this); }
  sign(): Tensor { return F.sign(this); }
  tanh(): Tensor { return F.tanh(this); }
  sigmoid(): Tensor { return F.sigmoid(this); }
  relu(): Tensor { return F.relu(this); }
  matmul(other: Tensor): Tensor { return F.matmul(this, other); }
  transpose(dim0: number, dim1: number): Tensor { return F.transpose(this, dim0, dim1); }
  /** The matrix transpose of a 2-D tensor (PyTorch's `.T` for 2-D). */
  get T(): Tensor { return F.transpose(this, 0, 1); }
  permute(...dims: number[]): Tensor { return F.permute(this, dims); }
  reshape(...shape: number[]): Tensor { return F.reshape(this, shape); }
  view(...shape: number[]): Tensor { return F.reshape(this, shape); }
  flatten(): Tensor { return F.reshape(this, [-1]); }
  expand(...shape: number[]): Tensor { return F.expand(this, shape); }
  squeeze(dim?: number): Tensor { return F.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return F.unsqueeze(this, dim); }
  slice(dim: number, start: number, end?: number, step?: number): Tensor { return F.slice(this, dim, start, end, step); }
  /** `x.select(dim, i)`: index `i` along `dim`, dropping that dim (PyTorch's `x[..., i, ...]`). */
  select(dim: number, index: number): Tensor { return F.select(this, dim, index); }
  sum(dim?: number | number[], keepdim = false): Tensor { return F.sum(this, dim, keepdim); }
  mean(dim?: number | number[], keepdim = false): Tensor { return F.mean(this, dim, keepdim); }
  max(dim?: number | number[], keepdim = false): Tensor { return F.max(this, dim, keepdim); }
  softmax(dim: number): Tensor { return F.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return F.logSoftmax(this, dim); }
  gather(dim: number, index: Tensor): Tensor { return F.gather(this, dim, index); }
  indexSelect(dim: number, index: Tensor): Tensor { return F.indexSelect(this, dim, index); }
  cast(dtype: DType): Tensor { return F.cast(this, dtype); }
  detach(): Tensor { return F.detach(this); }
}
