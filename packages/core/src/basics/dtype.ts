import { OpError } from "./errors";
import { track } from "./liveness";

/** Element types. Floats carry values; int32 carries class indices and positions for gather-like ops. */
export type DType = "float32" | "float64" | "int32";
export type FloatDType = "float32" | "float64";
export type TypedArray = Float32Array | Float64Array | Int32Array;

export const dtypes: readonly DType[] = ["float32", "float64", "int32"];

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype !== "int32";
}

const arrayOf = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;

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
  return "int32";
}

/** PyTorch's promotion among the dtypes we have: float64 wins, then float32; int32 stays int32 only with itself. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "float64" || b === "float64") return "float64";
  return "float32";
}

export function assertDType(value: unknown, where: string): DType {
  if (value === "float32" || value === "float64" || value === "int32") return value;
  throw new OpError(where, `unknown dtype ${JSON.stringify(value)}; expected one of ${dtypes.join(", ")}`);
}
