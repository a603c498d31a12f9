/**
 * int32 arithmetic as PyTorch's: it wraps around at 2^32, in the evaluator's kernels and in the
 * compiler's fused loops alike. References are exact BigInt arithmetic reduced to 32 bits, so they
 * share no code with the formulas they check. (Values against PyTorch itself: conventions.test.ts.)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile, OpError, type Tensor, tensor } from "@gradgraph/core";

const int32Arb = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const wrap = (value: bigint): number => Number(BigInt.asIntN(32, value));
const ints = (values: readonly number[]): Tensor => tensor(values, { dtype: "int32" });

/** base^exponent one wrapping multiplication at a time; negative exponents give 1/base^|exponent| truncated. */
function powReference(base: number, exponent: number): number {
  if (exponent < 0) return Math.abs(base) === 1 ? base ** exponent : 0;
  let result = 1n;
  for (let i = 0; i < exponent; i++) result = BigInt.asIntN(32, result * BigInt(base));
  return Number(result);
}

function expectValues(t: Tensor, expected: readonly number[], label: string): void {
  expect(t.dtype, label).toBe("int32");
  expect(Array.from(t.data()), `${label}, evaluated`).toEqual(expected);
  expect(Array.from(compile({ outputs: [t] }).run()[0]), `${label}, compiled`).toEqual(expected);
}

describe("int32 products and powers wrap around", () => {
  const rowsArb = fc.array(fc.tuple(int32Arb, int32Arb, fc.integer({ min: -3, max: 70 })), { minLength: 1, maxLength: 24 });

  it("mul and pow keep the low 32 bits of the exact result, evaluated and in one fused loop", () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const [a, b, e] = [0, 1, 2].map((k) => ints(rows.map((row) => row[k])));
        const products = rows.map(([x, y]) => wrap(BigInt(x) * BigInt(y)));
        const powers = rows.map(([x, , n]) => powReference(x, n));
        expectValues(a.mul(b), products, "a * b");
        expectValues(a.pow(e), powers, "a ** e");
        expectValues(a.mul(b).add(a.pow(e)), products.map((p, i) => wrap(BigInt(p) + BigInt(powers[i]))), "a * b + a ** e");
      }),
      { numRuns: 60 },
    );
  });

  it("(2^31 - 1)^2 is 1, and 2^31 is -2^31", () => {
    expectValues(ints([2 ** 31 - 1]).mul(ints([2 ** 31 - 1])), [1], "(2^31 - 1) * (2^31 - 1)");
    expectValues(ints([2]).pow(ints([31])), [-(2 ** 31)], "2 ** 31");
  });
});

describe("int32 to negative powers", () => {
  it("are refused for a number exponent, as PyTorch refuses them", () => {
    const build = () => ints([2, 3]).pow(-1);
    expect(build).toThrow(OpError);
    expect(build).toThrow("pow: Integers to negative integer powers are not allowed (int32 base [2], exponent -1)");
  });

  it("give 1/base^|exponent| truncated for a tensor exponent, as PyTorch computes them", () => {
    expectValues(ints([2, 1, -1, -1, 0]).pow(ints([-1, -5, -3, -4, -1])), [0, 1, -1, 1, 0], "int32 ** negative int32");
  });

  it("a fractional number exponent promotes to float32, as in PyTorch", () => {
    const root = ints([4]).pow(0.5);
    expect(root.dtype).toBe("float32");
    expect(Array.from(root.data())).toEqual([2]);
  });
});
