import { OpError } from "./errors";

/** Element types. Floats carry values; int32 carries class indices and positions for gather-like ops. */
export type DType = "float32" | "float64" | "int32";
export type FloatDType = "float32" | "float64";
export type TypedArray = Float32Array | Float64Array | Int32Array;

export const dtypes: readonly DType[] = ["float32", "float64", "int32"];

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype !== "int32";
}

export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
  }
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
