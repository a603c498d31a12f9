import type { DType, TypedArray } from "../dtype";
import type { Attrs } from "../ir/attrs";
import type { Shape } from "../shape";
import type { Tensor } from "../tensor";

/** What a shape rule sees and returns: shapes and dtypes, never data. */
export interface TensorMeta {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** What a kernel sees: realized input data, row-major. */
export interface Value extends TensorMeta {
  readonly data: TypedArray;
}

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

export interface OpDef<A extends Attrs = Attrs> {
  readonly name: string;
  /** How many tensor inputs, or "variadic" (concat). */
  readonly arity: number | "variadic";
  /** The shape and dtype rule. Runs when the node is built, so it validates and throws OpError. */
  infer(inputs: readonly TensorMeta[], attrs: A): TensorMeta;
  /** The CPU kernel: returns a fresh array of the inferred shape. */
  kernel(inputs: readonly Value[], attrs: A, out: TensorMeta): TypedArray;
  /** Gradients, or an explicit statement that none flow through this op (comparisons, sign). */
  readonly vjp: Vjp<A> | "nondifferentiable";
  /** Elementwise ops give their scalar formula over `a`, `b`, `c` so kernels and fused loops are generated. */
  readonly elementwise?: { readonly expr: string };
}

const registry = new Map<string, OpDef<any>>();

/** Registers an op under its name. Built-in ops go through this too; a name can be taken only once. */
export function registerOp<A extends Attrs>(def: OpDef<A>): OpDef<A> {
  if (!/^[A-Za-z_][\w.]*$/.test(def.name)) {
    throw new Error(`registerOp: op name ${JSON.stringify(def.name)} must be an identifier`);
  }
  if (registry.has(def.name)) throw new Error(`registerOp: an op named '${def.name}' is already registered`);
  if (def.arity !== "variadic" && !(Number.isInteger(def.arity) && def.arity >= 0)) {
    throw new Error(`registerOp: '${def.name}' arity must be a non-negative integer or "variadic"`);
  }
  registry.set(def.name, def);
  return def;
}

export function getOp(name: string): OpDef<any> {
  const def = registry.get(name);
  if (def === undefined) {
    throw new Error(`unknown op '${name}': register it with registerOp before building or loading graphs that use it`);
  }
  return def;
}

export function isRegistered(def: OpDef<any>): boolean {
  return registry.get(def.name) === def;
}

export function registeredOps(): OpDef<any>[] {
  return [...registry.values()];
}
