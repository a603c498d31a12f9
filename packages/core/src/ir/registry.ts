import type { DType, TypedArray } from "../basics/dtype";
import type { Formula } from "../basics/formula";
import type { Shape } from "../basics/shape";
import type { Window } from "../basics/window";
import type { Attrs } from "./attrs";
import { checkOpDef } from "./contract";
import type { OnnxMapping } from "./onnx";
import type { Tensor } from "./tensor";

/** What a shape rule sees and returns: shapes and dtypes, never data. */
export interface TensorMeta {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** What a kernel sees: realized input data, row-major. */
export interface Value extends TensorMeta {
  readonly data: TypedArray;
}

/**
 * What a VJP is given besides the output's gradient: the node's inputs, output and attributes, and which
 * inputs need gradients.
 */
export interface VjpContext<A extends Attrs> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: A;
  /** needs[i] is false when nobody asked for input i's gradient, so its graph need not be built. */
  readonly needs: readonly boolean[];
}

/**
 * The vector-Jacobian product: given the gradient `g` of the output, the gradients of the inputs,
 * built from registered ops so that they are graphs too. `null` means "no contribution".
 */
export type Vjp<A extends Attrs> = (g: Tensor, ctx: VjpContext<A>) => readonly (Tensor | null)[];

/** What a JVP rule is given besides the inputs' tangents: the node's inputs, output and attributes. */
export interface JvpContext<A extends Attrs> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: A;
}

/**
 * The Jacobian-vector product: the output's tangent from the inputs' tangents (`null` for a zero
 * one, never all of them), built from registered ops; `null` for a zero result.
 */
export type Jvp<A extends Attrs> = (tangents: readonly (Tensor | null)[], ctx: JvpContext<A>) => Tensor | null;

/**
 * An op's forward-mode rule. Besides a `Jvp`: "linear", the op is linear in its float inputs
 * taken together (slice, concat, sum, gather in its source), so the output's tangent is the op
 * applied to their tangents, zeros for the missing ones; "multilinear", linear in each float
 * input alone (matmul), so the tangent is the sum over the inputs with a tangent of the op with
 * that one input replaced by it. Elementwise ops need no rule: their Jacobian, once the operands
 * are broadcast, is diagonal, so their VJP applied to a tangent is their JVP (autodiff/forward.ts).
 */
export type JvpRule<A extends Attrs> = Jvp<A> | "linear" | "multilinear";

/** What a batching rule is given: the node's inputs with the batch added, and how to build the op again. */
export interface BatchContext<A extends Attrs> {
  /** The inputs: a batched one has the batch as dim 0 (shape `[size, ...sample shape]`), the others are as the node has them. */
  readonly inputs: readonly Tensor[];
  readonly batched: readonly boolean[];
  /** The batch size. */
  readonly size: number;
  /** The node being batched: its shape, dtype and attributes are one sample's. */
  readonly node: Tensor & { readonly attrs: A };
  /** This op applied to `inputs` with canonical `attrs` (the node's, with dims moved for the batch). */
  rebuild(inputs: readonly Tensor[], attrs: A): Tensor;
}

/**
 * A `vmap` batching rule: the node computed for every sample at once, as one tensor with the
 * batch as dim 0. "loop" applies the op to each sample and stacks the results: exact, and one
 * node per sample, for ops whose batched form has no cheaper op (see autodiff/vmap.ts).
 */
export type BatchRule<A extends Attrs> = ((ctx: BatchContext<A>) => Tensor) | "loop";

/**
 * A view op's meaning: the window of the input's array that the output is (same data, other
 * offsets and strides). Undefined when the output is no window of this input (a reshape of a
 * non-contiguous view); the compiler then copies the input first. A dense input always has one.
 */
export type ViewRule<A extends Attrs> = (input: Window, attrs: A, out: TensorMeta) => Window | undefined;

/**
 * An elementwise op's meaning: `expr` computed on JS doubles and stored into the result's dtype,
 * except for results of a dtype that gives a formula of its own, where doubles would not compute
 * that dtype's arithmetic: int32 products and powers wrap (doubles lose their low bits), integer
 * division floors and refuses zero, float32 rounds after every step of a multi-step routine.
 */
export interface ElementwiseRule extends Formula, Partial<Readonly<Record<DType, Formula>>> {
  /**
   * The formula is the sum of its two operands (a + b, in either order): the compiler may add
   * matrix products into one output (gemm's accumulate mode, the same bits) instead of storing each.
   */
  readonly addition?: true;
}

/** Each rule's bool formula, made once: its value stored as 0 or 1 (nonzero and NaN are true, as a cast to bool gives). */
const boolFormulas = new WeakMap<ElementwiseRule, Formula>();

/**
 * The formula that computes results of `dtype`; kernels and fused loops both ask this. A bool
 * result without a formula of its own is the rule's value made 0 or 1, so that add of two
 * bools is their or and mul their and, as PyTorch's are.
 */
export function formulaFor(rule: ElementwiseRule, dtype: DType): Formula {
  const own = rule[dtype];
  if (own !== undefined || dtype !== "bool") return own ?? rule;
  let formula = boolFormulas.get(rule);
  if (formula === undefined) boolFormulas.set(rule, (formula = { ...rule, expr: `((${rule.expr}) !== 0 ? 1 : 0)` }));
  return formula;
}

/** A reduction's meaning: over `dims(attrs)`, fold the values from `identity` with `combine`. */
export interface ReductionRule<A extends Attrs> {
  /** The dims folded, for the node's attributes. */
  dims(attrs: A): readonly number[];
  readonly identity: number;
  /** The fold as a formula over the running value `acc` and the next value `v`. */
  readonly combine: string;
}

/**
 * A placement op's meaning: the output is zeros (when `zeroFill`) with input i's values written
 * into `windows[i]` of it (concat: side by side; the gradient of a slice: into the slice).
 */
export interface Placement {
  readonly zeroFill: boolean;
  readonly windows: readonly Window[];
}
/** Where a placement op writes each input into its output (see `Placement`). */
export type PlacementRule<A extends Attrs> = (inputs: readonly TensorMeta[], attrs: A, out: TensorMeta) => Placement;

/**
 * An op: the shape rule, the kernel and the gradient, and what the compiler needs to know about
 * it, at most one of: an elementwise formula, a view rule, a reduction rule, a placement rule,
 * or being a (batched) matrix product. An op with none of them runs its kernel in compiled code too.
 */
export interface OpDef<A extends Attrs = Attrs> {
  readonly name: string;
  /** How many tensor inputs, or "variadic" (concat). */
  readonly arity: number | "variadic";
  /**
   * Validates attributes as written (wrong types, unknown names, out-of-range dims) and returns
   * their one canonical form (dims normalized, defaults filled), which is all that the shape
   * rule, kernel, gradient, interning and JSON ever see. Ops without attributes omit it.
   */
  canonicalize?(inputs: readonly TensorMeta[], attrs: Attrs): A;
  /** The shape and dtype rule. Runs when the node is built, so it validates and throws OpError. */
  infer(inputs: readonly TensorMeta[], attrs: A): TensorMeta;
  /** The CPU kernel: returns an array of the inferred shape (it may be an input's array, unchanged). */
  kernel(inputs: readonly Value[], attrs: A, out: TensorMeta): TypedArray;
  /** Gradients, or an explicit statement that none flow through this op (comparisons, sign). */
  readonly vjp: Vjp<A> | "nondifferentiable";
  /**
   * The forward-mode rule (see `JvpRule`). Elementwise and nondifferentiable ops need none; an op
   * without one (a user's) gets J·t from its VJP transposed, exact at about twice the cost.
   */
  readonly jvp?: JvpRule<A>;
  /**
   * How `vmap` batches the op (see `BatchRule`). Elementwise ops need none: batched operands get
   * size-1 dims after the batch and broadcast. An op without one (a user's) runs sample by sample.
   */
  readonly batch?: BatchRule<A>;
  /** Elementwise ops give their scalar formula over `a`, `b`, `c`, so kernels and fused loops are generated. */
  readonly elementwise?: ElementwiseRule;
  readonly view?: ViewRule<A>;
  readonly reduction?: ReductionRule<A>;
  readonly placement?: PlacementRule<A>;
  /** out[..., i, j] = Σ_k a[..., i, k]·b[..., k, j] over broadcast batch dims: compiled to gemm on operands read in place. */
  readonly matrixProduct?: true;
  /** How the op is written in ONNX (`@gradgraph/onnx` exports it); an op without one cannot be exported. */
  readonly onnx?: OnnxMapping<A>;
}

/**
 * A definition whose attribute type is erased. Every node carries the canonical attributes its
 * own definition produced, so reading them back through that definition is always well typed.
 */
export type AnyOpDef = OpDef<any>;

const registry = new Map<string, AnyOpDef>();
/** Each registered definition's number, in registration order (part of every intern key). */
const numbers = new Map<AnyOpDef, number>();

/** Registers an op under its name. Built-in ops go through this too; a name can be taken only once. */
export function registerOp<A extends Attrs>(def: OpDef<A>): OpDef<A> {
  checkOpDef(def);
  if (registry.has(def.name)) throw new Error(`registerOp: an op named '${def.name}' is already registered`);
  registry.set(def.name, def);
  numbers.set(def, numbers.size + 1);
  return def;
}

/** The registered op of this name; throws naming the op if there is none. */
export function getOp(name: string): AnyOpDef {
  const def = registry.get(name);
  if (def === undefined) {
    throw new Error(`unknown op '${name}': register it with registerOp before building or loading graphs that use it`);
  }
  return def;
}

export function isRegistered(def: AnyOpDef): boolean {
  return numbers.has(def);
}

/** @internal the number of a registered definition (0 for one that is not). */
export function opNumber(def: AnyOpDef): number {
  return numbers.get(def) ?? 0;
}

/** Every registered op, built-in and user-defined. */
export function registeredOps(): AnyOpDef[] {
  return [...registry.values()];
}
