/**
 * A number where PyTorch takes one in place of a tensor (x.add(2), x.pow(0.5), x.eq(2),
 * where(c, x, 0), x.clamp(1), x.maskedFill(m, 2.5), x.lerp(y, 0.5)) gives PyTorch's result: its
 * dtype (Python numbers do not promote a tensor's dtype, but a float one makes an int32 tensor
 * float32) and its values against test/fixtures/scalar-operands.json: bit for bit, but for float32
 * results of formulas of more than one step (lerp), which gradgraph rounds once from double and
 * PyTorch at each step, so they may differ in the last bit.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as G from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";
import { type FixtureTensor, loadFixture } from "../helpers/fixtures";

interface ScalarCase {
  id: string;
  call: string;
  dtype: G.DType;
  scalar: number;
  input: G.NestedArray;
  result: FixtureTensor & { dtype: G.DType };
}

/** gradgraph's spelling of each call the generator made in PyTorch. */
const calls: Record<string, (x: G.Tensor, s: number) => G.Tensor> = {
  whereOther: (x, s) => G.where(x.gt(0), x, s),
  whereInput: (x, s) => G.where(x.gt(0), s, x),
  whereBoth: (x, s) => G.where(x.gt(0), s, 1),
  maskedFill: (x, s) => x.maskedFill(x.gt(0), s),
  clampMin: (x, s) => x.clamp(s),
  clampMax: (x, s) => x.clamp(undefined, s),
  lerp: (x, s) => x.lerp(x.flip(1), s),
};

const methodCall = (name: string) => (x: G.Tensor, s: number) => (x as unknown as Record<string, (s: number) => G.Tensor>)[name](s);

const cases = loadFixture<ScalarCase>("scalar-operands.json");

describe("numbers in place of tensors, as PyTorch 1.13 takes them", () => {
  it("covers every call the fixture holds", () => {
    expect(cases.length).toBeGreaterThan(200);
  });

  it.each(cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const x = G.tensor(c.input, { dtype: c.dtype });
    const result = (calls[c.call] ?? methodCall(c.call))(x, c.scalar);
    expect(result.dtype).toBe(c.result.dtype);
    expect(result.shape).toEqual(c.result.shape);
    const values = c.result.data.map(Number); // NaN and ±Infinity are written as strings
    if (c.call === "lerp" && c.dtype === "float32") {
      assertClose({ shape: result.shape, data: result.data() }, { shape: c.result.shape, data: values }, { atol: 0, rtol: 2 ** -23 });
    } else {
      expect(Array.from(result.data())).toEqual(c.result.dtype === "float32" ? values.map((v) => Math.fround(v)) : values);
    }
  });
});

describe("a number is the tensor full of it", () => {
  const scalarMethods = ["add", "sub", "mul", "div", "pow", "floorDivide", "remainder", "fmod", "copysign", "eq", "ne", "lt", "le", "gt", "ge"];
  it.each(scalarMethods)("x.%s(s) equals the same call on full(x.shape, s), element for element", (name) => {
    const values = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 12 });
    const scalars = fc.oneof(fc.integer({ min: -4, max: 4 }), fc.double({ min: -8, max: 8, noNaN: true }));
    fc.assert(
      fc.property(values, scalars, (data, s) => {
        const x = G.tensor(data, { dtype: "float64" });
        const byNumber = methodCall(name)(x, s);
        const byTensor = (x as unknown as Record<string, (other: G.Tensor) => G.Tensor>)[name](G.full(x.shape, s, { dtype: "float64" }));
        expect(byNumber.dtype).toBe(byTensor.dtype);
        expect(Array.from(byNumber.data())).toEqual(Array.from(byTensor.data()));
      }),
      { numRuns: 30 },
    );
  });
});
