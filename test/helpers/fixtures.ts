/** Shared by the core and nn tests: reading the PyTorch fixtures in test/fixtures/. */
import { readFileSync } from "node:fs";
import { type DType, type Tensor, tensor } from "@gradgraph/core";
import { type Comparable, type Tolerance, assertClose } from "@gradgraph/core/testing";

export type FixtureTensor = { shape: number[]; data: number[]; dtype?: string };

export function loadFixture<T>(file: string): T[] {
  return JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), "utf8")).cases;
}

/** A fixture tensor as a gradgraph leaf: int64 class indices become int32, floats take `dtype`. */
export function fromFixture(t: FixtureTensor, dtype: DType, options: { requiresGrad?: boolean; name?: string } = {}): Tensor {
  return tensor(t.data, { shape: t.shape, dtype: t.dtype === "int64" ? "int32" : dtype, ...options });
}

/** Float64 results against PyTorch's float64 fixtures: a few ulps of accumulated rounding. */
export const FLOAT64 = { atol: 1e-10, rtol: 1e-9 } as const satisfies Tolerance;

/** `assertClose` with the label as a fourth argument, the form test/core/compile.test.ts calls. */
export function expectClose(actual: Comparable, expected: Comparable, tolerance: Tolerance, label: string): void {
  assertClose(actual, expected, { ...tolerance, label });
}
