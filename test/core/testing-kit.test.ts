/** The test kit itself: its generators produce what they promise, and its checks can fail. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apply, detach, matmul, registerOp, sizeOf, type Tensor, tensor } from "@gradgraph/core";
import {
  assertClose,
  broadcastPairArb,
  checkGrad,
  checkGradGrad,
  GradCheckError,
  matmulPairArb,
  shapeArb,
  tensorArb,
} from "@gradgraph/core/testing";

/** NumPy's rule, written out: aligned from the right, sizes equal or one of them 1. */
function broadcasts(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const [x, y] = [a[a.length - i], b[b.length - i]];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error, but none was thrown");
}

describe("arbitraries", () => {
  it("shapeArb respects rank and size bounds", () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, maxRank: 3, minDim: 2, maxDim: 5 }), (shape) => {
        expect(shape.length).toBeGreaterThanOrEqual(1);
        expect(shape.length).toBeLessThanOrEqual(3);
        expect(shape.every((d) => Number.isInteger(d) && d >= 2 && d <= 5)).toBe(true);
      }),
    );
  });

  it("broadcastPairArb gives shapes that broadcast, with different ranks and size-1 dims among them", () => {
    const pairs = fc.sample(broadcastPairArb({ maxRank: 4, maxDim: 3 }), { numRuns: 300, seed: 1 });
    expect(pairs.every(([a, b]) => broadcasts(a, b))).toBe(true);
    expect(pairs.some(([a, b]) => a.length !== b.length)).toBe(true);
    expect(pairs.some(([a, b]) => a.some((d, i) => d === 1 && b[b.length - a.length + i] > 1))).toBe(true);
  });

  it("matmulPairArb gives operands torch.matmul accepts: vectors, matrices and broadcast batches", () => {
    const pairs = fc.sample(matmulPairArb({ maxBatchRank: 2, maxDim: 3 }), { numRuns: 300, seed: 2 });
    for (const [a, b] of pairs) {
      const contracted = b.length === 1 ? b[0] : b[b.length - 2];
      expect(a[a.length - 1]).toBe(contracted);
      expect(broadcasts(a.slice(0, -2), b.slice(0, -2))).toBe(true);
      expect(() => matmul(tensor(new Float32Array(sizeOf(a)), { shape: a }), tensor(new Float32Array(sizeOf(b)), { shape: b }))).not.toThrow();
    }
    for (const [ra, rb] of [[1, 1], [1, 2], [2, 1], [3, 2], [2, 4]]) {
      expect(pairs.some(([a, b]) => a.length === ra && b.length === rb)).toBe(true);
    }
  });

  it("tensorArb gives tensors of the shape and dtype asked for, within bounds and away from 0 when asked", () => {
    fc.assert(
      fc.property(
        shapeArb({ maxRank: 3 }).chain((shape) => fc.tuple(fc.constant(shape), tensorArb(shape, { dtype: "float64", min: -3, max: 2, minAbs: 0.5 }))),
        ([shape, x]) => {
          expect([x.shape, x.dtype]).toEqual([shape, "float64"]);
          expect(Array.from(x.data()).every((v) => v >= -3 && v <= 2 && Math.abs(v) >= 0.5)).toBe(true);
        },
      ),
    );
    const [indices] = fc.sample(tensorArb([50], { dtype: "int32", min: 0, max: 4 }), { numRuns: 1, seed: 3 });
    expect(indices.dtype).toBe("int32");
    expect(Array.from(indices.data()).every((v) => Number.isInteger(v) && v >= 0 && v <= 4)).toBe(true);
  });
});

describe("assertClose", () => {
  it("accepts values within atol + rtol·|expected| and compares tensors, nested arrays, typed arrays and numbers", () => {
    assertClose(tensor([[1, 2], [3, 4]], { dtype: "float64" }), [[1, 2], [3, 4 + 1e-8]], { atol: 0, rtol: 1e-8 });
    assertClose(new Float64Array([1, 2]), { shape: [2], data: [1, 2.5] }, { atol: 0.5, rtol: 0 });
    assertClose(0.1 + 0.2, 0.3);
    assertClose([NaN], [NaN], { equalNaN: true });
  });

  it("reports the shape, the index and both values of a mismatch", () => {
    const error = thrown(() => assertClose(tensor([[1, 2, 3], [4, 5, 6]]), [[1, 2, 3], [4, 5, 7]], { atol: 1e-3, rtol: 0, label: "layer output" }));
    expect(error.message).toContain("assertClose (layer output): 1 of 6 elements differ (shape [2, 3], atol 0.001, rtol 0)");
    expect(error.message).toContain("first at [1, 2]: actual 6, expected 7");
    expect(thrown(() => assertClose([1, 2], [[1, 2]])).message).toBe("assertClose: shapes differ: actual [2], expected [1, 2]");
    expect(() => assertClose([NaN], [NaN])).toThrow(/1 of 1 elements differ/);
  });

  it("matches an infinity only with the same infinity, whatever the rtol", () => {
    assertClose([Infinity, -Infinity], [Infinity, -Infinity], { rtol: 1e-3 });
    expect(() => assertClose([5], [Infinity], { rtol: 1e-3 })).toThrow(/1 of 1 elements differ/);
    expect(() => assertClose([Infinity], [-Infinity], { rtol: 1 })).toThrow(/1 of 1 elements differ/);
    expect(() => assertClose([Infinity], [1e308], { rtol: 1 })).toThrow(/1 of 1 elements differ/);
  });
});

describe("checkGrad and checkGradGrad", () => {
  // x ↦ x², first with a correct VJP, then with mistakes that only the checks can see.
  const square = (name: string, vjp: (g: Tensor, x: Tensor) => Tensor) =>
    registerOp({
      name,
      arity: 1,
      infer: ([x]) => x,
      kernel: ([x]) => x.data.map((v) => v * v),
      vjp: (g, { inputs: [x] }) => [vjp(g, x)],
    });
  const goodSquare = square("kitTest.square", (g, x) => g.mul(x).mul(2));
  // Right everywhere except at flat index 4, so a check that summed the outputs would still see it,
  // but one that ignored some output elements might not.
  const mask = tensor([1, 1, 1, 1, 0, 1], { shape: [2, 3], dtype: "float64" });
  const oneWrongElement = square("kitTest.squareOneWrongElement", (g, x) => g.mul(x).mul(2).mul(mask));
  // The right first derivative, but blind to its own dependence on x.
  const frozenDerivative = square("kitTest.squareFrozenDerivative", (g, x) => g.mul(detach(x)).mul(2));
  const x = tensor([0.5, -1, 2, 0.25, 1.5, -0.75], { shape: [2, 3], dtype: "float64", name: "w" });

  it("passes a correct gradient and returns what it compared", () => {
    checkGrad((t) => apply(goodSquare, [t]), [x]);
    checkGradGrad((t) => apply(goodSquare, [t]), [x]);
    // A scalar output is contracted with 1, so the report holds the gradient itself: 2x.
    const report = checkGrad((t) => apply(goodSquare, [t]).sum(), [x]);
    expect(report.inputs).toHaveLength(1);
    assertClose(report.inputs[0].analytic, [1, -2, 4, 0.5, 3, -1.5], { atol: 0, rtol: 0 });
    assertClose(report.inputs[0].numeric, [1, -2, 4, 0.5, 3, -1.5], { atol: 1e-8, rtol: 0 });
    expect(report.inputs[0].maxAbsDiff).toBeLessThan(1e-8);
  });

  it("names the input and the element whose gradient is wrong", () => {
    const error = thrown(() => checkGrad((t) => apply(oneWrongElement, [t]), [x]));
    expect(error).toBeInstanceOf(GradCheckError);
    expect(error.message).toContain("input 0 'w' (float64 [2, 3]): 1 of 6 elements differ");
    expect(error.message).toMatch(/at \[1, 1\]: analytic 0, numeric /);
  });

  it("sees a wrong second derivative that the first-order check cannot", () => {
    checkGrad((t) => apply(frozenDerivative, [t]), [x]);
    expect(() => checkGradGrad((t) => apply(frozenDerivative, [t]), [x])).toThrow(/checkGradGrad: the derivative of the gradient differs/);
  });

  it("differentiates only the requested inputs and passes int32 inputs through", () => {
    const index = tensor([2, 0], { dtype: "int32" });
    const report = checkGrad((t, i) => t.reshape(-1).indexSelect(0, i), [x, index]);
    expect(report.inputs.map((r) => r.input)).toEqual([0]);
    expect(() => checkGrad((t) => t, [index], { wrt: [0] })).toThrow(/input 0 is int32/);
  });
});
