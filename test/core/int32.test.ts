/**
 * int32 arithmetic as PyTorch's: it wraps around at 2^32, in the evaluator's kernels and in the
 * compiler's fused loops alike. References are exact BigInt arithmetic reduced to 32 bits, so they
 * share no code with the formulas they check. (Values against PyTorch itself: conventions.test.ts.)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apply, builtinOps, compile, OpError, sum, type Tensor, tensor } from "@gradgraph/core";

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

function expectValues(t: Tensor, expected: readonly number[], label: string, dtype = "int32"): void {
  expect(t.dtype, label).toBe(dtype);
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

describe("int32 floor division and remainder", () => {
  /** Floor division and remainder in exact integers: truncation, then one step down where the signs differ. */
  function floorDivision(a: number, b: number): [number, number] {
    const [x, y] = [BigInt(a), BigInt(b)];
    const quotient = x / y - (x % y !== 0n && x < 0n !== y < 0n ? 1n : 0n);
    return [wrap(quotient), wrap(x - y * quotient)];
  }

  it("floor toward -Infinity and give the remainder the divisor's sign, evaluated and fused", () => {
    const nonzero = int32Arb.filter((v) => v !== 0);
    const small = fc.integer({ min: -9, max: 9 }).filter((v) => v !== 0);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(int32Arb, small), fc.oneof(nonzero, small)), { minLength: 1, maxLength: 24 }), (rows) => {
        const [a, b] = [0, 1].map((k) => ints(rows.map((row) => row[k])));
        const expected = rows.map(([x, y]) => floorDivision(x, y));
        expectValues(a.floorDivide(b), expected.map(([q]) => q), "a // b");
        expectValues(a.remainder(b), expected.map(([, r]) => r), "a % b");
        expectValues(a.floorDivide(b).mul(b).add(a.remainder(b)), rows.map(([x]) => x), "(a // b) * b + a % b");
      }),
      { numRuns: 60 },
    );
  });

  it("-2^31 // -1 wraps to -2^31 with remainder 0 (PyTorch's process dies of SIGFPE there)", () => {
    expectValues(ints([-(2 ** 31)]).floorDivide(ints([-1])), [-(2 ** 31)], "-2^31 // -1");
    expectValues(ints([-(2 ** 31)]).remainder(ints([-1])), [0], "-2^31 % -1");
  });

  for (const op of ["floorDivide", "remainder"] as const) {
    it(`${op} by an int32 zero raises ZeroDivisionError when evaluated, in the evaluator and in compiled programs`, () => {
      const divisor = ints([3, 0]);
      const quotient = ints([7, 7])[op](divisor);
      const message = `${op}: ZeroDivisionError: expected nonzero int32 divisors, got 0 (float operands give ±Infinity or NaN)`;
      expect(() => quotient.data()).toThrow(OpError);
      expect(() => quotient.data()).toThrow(message);
      const program = compile({ outputs: [quotient.add(1)] });
      expect(() => program.run()).toThrow(message);
      divisor.assign([3, 2]);
      expect(Array.from(program.run()[0])).toEqual(op === "floorDivide" ? [3, 4] : [2, 2]);
    });
  }
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

describe("true division of int32", () => {
  it("gives float32, as PyTorch's: 7 / 2 is 3.5, 1 / 0 is Infinity", () => {
    expectValues(ints([7, -7, 1, -1, 0]).div(ints([2, 2, 0, 0, 0])), [3.5, -3.5, Infinity, -Infinity, NaN], "int32 / int32", "float32");
  });

  it("divides the float32 values of the operands, as PyTorch's promotion does", () => {
    // 2^24 + 1 is no float32: it becomes 2^24 before dividing.
    expectValues(ints([2 ** 24 + 1]).div(ints([1])), [2 ** 24], "(2^24 + 1) / 1", "float32");
  });

  it("the div op itself refuses int32 operands rather than truncating", () => {
    const build = () => apply(builtinOps.div, [ints([7]), ints([2])]);
    expect(build).toThrow(OpError);
    expect(build).toThrow("div: expected float tensors (true division of int32 or bool gives float32: div() casts them; floorDivide() keeps int32), got int32 [1] and int32 [1]");
  });
});

describe("int32 sums wrap around at every step, whichever loop folds them", () => {
  // Each sum passes 2^53, beyond which a double running total drops low bits that the wrapped
  // int32 result keeps. PyTorch's int32 sum (`sum(dtype=torch.int32)`) wraps: it is exact modulo 2^32.
  const rows = 3 * 2 ** 21;
  const value = 2 ** 31 - 1;
  const x = tensor(new Int32Array(rows * 2).fill(value), { shape: [rows, 2] });
  const total = (count: number) => wrap(BigInt(count) * BigInt(value));
  it.each([
    ["every dim (one running value)", () => sum(x), [total(2 * rows)]],
    ["the leading dim (one running value per column, compiled in memory order)", () => sum(x, 0), [total(rows), total(rows)]],
    ["scattered dims (the general odometer)", () => sum(x.reshape(rows, 1, 2), [0, 2]), [total(2 * rows)]],
  ])("over %s", (_what, build, expected) => expectValues(build(), expected, "sum"));
});

describe("casts to int32", () => {
  it("truncate toward zero, and give -2^31 for NaN, ±Infinity and whatever int32 cannot hold (PyTorch on x86)", () => {
    const values = [2.7, -2.7, 2 ** 31 - 0.5, -(2 ** 31) - 0.5, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 3e9, -3e9];
    const expected = [2, -2, 2 ** 31 - 1, -(2 ** 31), ...new Array<number>(7).fill(-(2 ** 31))];
    expectValues(tensor(values, { dtype: "float64" }).cast("int32"), expected, "float64 → int32");
    expectValues(tensor(values, { dtype: "float32" }).cast("int32"), [2, -2, ...new Array<number>(9).fill(-(2 ** 31))], "float32 → int32");
  });
});
