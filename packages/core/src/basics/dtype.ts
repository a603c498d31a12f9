import { OpError } from "./errors";
import { track } from "./liveness";

/**
 * Element types. Floats carry values; int32 carries class indices and positions for gather-like
 * ops; bool (one byte, 0 or 1) is what comparisons give, as in PyTorch.
 */
export type DType = "float32" | "float64" | "int32" | "bool";
/** The dtypes that hold fractions and take gradients. */
export type FloatDType = "float32" | "float64";
/**
 * The array a tensor's values are held in: Float32Array, Float64Array, Int32Array, or Uint8Array (bool, 0 and
 * 1).
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Every dtype gradgraph has. */
export const dtypes: readonly DType[] = ["float32", "float64", "int32", "bool"];

/** Whether `dtype` is float32 or float64. */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === "float32" || dtype === "float64";
}

const arrayOf = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } as const;

/** Every array the library computes into or keeps is made here (so liveness tracking sees it). */
export function allocate(dtype: DType, size: number): TypedArray {
  const array = new arrayOf[dtype](size);
  track("buffers", array);
  return array;
}

/** A fresh copy of `array`, as `allocate` makes it. */
export function copyOf(array: TypedArray): TypedArray {
  const copy = allocate(dtypeOf(array), array.length);
  copy.set(array);
  return copy;
}

export function dtypeOf(array: TypedArray): DType {
  if (array instanceof Float32Array) return "float32";
  if (array instanceof Float64Array) return "float64";
  return array instanceof Uint8Array ? "bool" : "int32";
}

/**
 * PyTorch's promotion among the dtypes we have: float64 wins, then float32; int32 stays int32
 * only with itself or bool; bool gives way to anything.
 */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "bool" || b === "bool") return a === "bool" ? b : a;
  if (a === "float64" || b === "float64") return "float64";
  return "float32";
}

export function assertDType(value: unknown, where: string): DType {
  if (value === "float32" || value === "float64" || value === "int32" || value === "bool") return value;
  throw new OpError(where, `unknown dtype ${JSON.stringify(value)}; expected one of ${dtypes.join(", ")}`);
}
