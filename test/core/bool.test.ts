/**
 * bool tensors behave as PyTorch 1.13's (each expectation is what torch printed for the same
 * expression): comparisons give them, arithmetic promotes them, sums count them in int32 (int64
 * in PyTorch), and casts to bool treat NaN and any nonzero as true.
 */
import { describe, expect, it } from "vitest";
import { all, any, compile, logicalAnd, sum, tensor, where } from "@gradgraph/core";

const values = (t: { dtype: string; data(): ArrayLike<number> }) => [t.dtype, ...Array.from(t.data())];

describe("bool tensors", () => {
  const a = tensor([true, false, true]);
  const b = tensor([true, true, false]);

  it("come from booleans and from comparisons", () => {
    expect(a.dtype).toBe("bool");
    expect(values(tensor([1]).eq(tensor([1])))).toEqual(["bool", 1]);
    expect(values(tensor([0, NaN, 2]).isnan())).toEqual(["bool", 0, 1, 0]);
  });

  it("add as or and multiply as and; subtraction is refused", () => {
    expect(values(a.add(b))).toEqual(["bool", 1, 1, 1]);
    expect(values(a.mul(b))).toEqual(["bool", 1, 0, 0]);
    expect(() => a.sub(b)).toThrow("sub: Subtraction, the `-` operator, with a bool tensor is not supported");
  });

  it("promote to the other operand's dtype, an integer to int32 and any other number to float32", () => {
    expect(a.add(1).dtype).toBe("int32");
    expect(values(a.mul(1.5))).toEqual(["float32", 1.5, 0, 1.5]);
    expect(values(a.mul(tensor([2, 3, 4], { dtype: "float64" })))).toEqual(["float64", 2, 0, 4]);
  });

  it("sum and cumsum count in int32", () => {
    expect(values(sum(a))).toEqual(["int32", 2]);
    expect(values(a.cumsum(0))).toEqual(["int32", 1, 1, 2]);
  });

  it("cast to bool as nonzero, NaN included, and back as 1 and 0", () => {
    expect(values(tensor([0, NaN, 2]).cast("bool"))).toEqual(["bool", 0, 1, 1]);
    expect(values(a.cast("float32"))).toEqual(["float32", 1, 0, 1]);
  });

  it("select in where, and reduce with any and all (the empty any false, the empty all true)", () => {
    expect(values(where(a, tensor([1, 1, 1]), tensor([2, 2, 2])))).toEqual(["float32", 1, 2, 1]);
    expect(values(logicalAnd(tensor([0, NaN, 2]), tensor([1, 1, 0], { dtype: "int32" })))).toEqual(["bool", 0, 1, 0]);
    expect(values(all(tensor([[true, false], [true, true]]), 1))).toEqual(["bool", 0, 1]);
    expect(values(any(tensor([], { dtype: "bool" })))).toEqual(["bool", 0]);
    expect(values(all(tensor([], { dtype: "bool" })))).toEqual(["bool", 1]);
  });

  it("compile like any other dtype, a fused loop storing 1 and 0", () => {
    const x = tensor([-1, 0.5, 2, NaN]);
    const mask = x.gt(0).logicalOr(x.isnan());
    const [compiled] = compile({ inputs: [], outputs: [mask.add(mask)] }).run([]);
    expect(Array.from(compiled)).toEqual([0, 1, 1, 1]);
    expect(compiled).toBeInstanceOf(Uint8Array);
  });

  it("cannot require gradients nor be differentiated", () => {
    expect(() => tensor([true], { requiresGrad: true })).toThrow("tensor: only float tensors can require gradients, got bool");
  });
});
