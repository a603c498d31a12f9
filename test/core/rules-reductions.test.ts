/**
 * The reductions' and scans' own forward-mode and vmap rules (ops-property.test.ts checks their
 * values, which the fallbacks also pass): vmap builds one node of the op, with no per-sample
 * slices; jvp builds the tangent by the rule, not by the transposed VJP; and the edge cases the
 * random suite does not reach, each against an explicit loop or formula.
 */
import { describe, expect, it, vi } from "vitest";
import { apply, type Attrs, type BuiltinOpName, builtinOps, func, type OpDef, stack, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";

const sizeOfShape = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** Values on a coarse grid (so ties occur), different for each seed. */
function gridValues(shape: readonly number[], seed: number): Tensor {
  const data = Array.from({ length: sizeOfShape(shape) }, (_, i) => (((i + 1) * 7 + seed * 5) % 11) / 2 - 2.5);
  return tensor(data, { shape, dtype: "float64" });
}

const op = (name: BuiltinOpName) => builtinOps[name] as OpDef<Attrs>;

interface BatchCase {
  readonly label: string;
  readonly name: BuiltinOpName;
  readonly attrs: Attrs;
  /** One sample's input shapes. */
  readonly shapes: readonly (readonly number[])[];
  /** Each input's batch dim, or null for an input shared by every sample. */
  readonly inDims: readonly (number | null)[];
  readonly size: number;
}

const batchCases: BatchCase[] = [
  { label: "sum over a dim", name: "sum", attrs: { dims: [1] }, shapes: [[2, 4]], inDims: [0], size: 3 },
  { label: "sum with the batch at the last dim", name: "sum", attrs: { dims: [0] }, shapes: [[2, 4]], inDims: [2], size: 3 },
  { label: "sum over no dims, keepdim", name: "sum", attrs: { dims: [], keepdim: true }, shapes: [[2, 3]], inDims: [1], size: 2 },
  { label: "sum over an empty dim", name: "sum", attrs: { dims: [1] }, shapes: [[2, 0]], inDims: [0], size: 3 },
  { label: "sum of a 0-d sample", name: "sum", attrs: {}, shapes: [[]], inDims: [0], size: 4 },
  { label: "max over two dims, keepdim", name: "max", attrs: { dims: [0, 2], keepdim: true }, shapes: [[2, 3, 2]], inDims: [1], size: 2 },
  { label: "min over every dim", name: "min", attrs: {}, shapes: [[3, 2]], inDims: [0], size: 1 },
  { label: "prod over a dim", name: "prod", attrs: { dims: [1] }, shapes: [[2, 3]], inDims: [2], size: 3 },
  { label: "any over a dim", name: "any", attrs: { dims: [0] }, shapes: [[3, 2]], inDims: [0], size: 2 },
  { label: "all over every dim", name: "all", attrs: {}, shapes: [[3, 2]], inDims: [1], size: 2 },
  { label: "argmax along a dim", name: "argmax", attrs: { dim: 1 }, shapes: [[2, 5]], inDims: [0], size: 3 },
  { label: "argmax of the flattened sample, keepdim", name: "argmax", attrs: { keepdim: true }, shapes: [[2, 3]], inDims: [1], size: 3 },
  { label: "argmin of the flattened sample", name: "argmin", attrs: {}, shapes: [[3, 2]], inDims: [2], size: 2 },
  { label: "argmin of a 0-d sample", name: "argmin", attrs: {}, shapes: [[]], inDims: [0], size: 3 },
  { label: "cumsum from the end", name: "cumsum", attrs: { dim: 1, reverse: true }, shapes: [[2, 4]], inDims: [2], size: 3 },
  { label: "cumsum of a 0-d sample", name: "cumsum", attrs: { dim: 0 }, shapes: [[]], inDims: [0], size: 3 },
  { label: "linearScan, both batched", name: "linearScan", attrs: { dim: 0, initial: 0.5 }, shapes: [[4, 2], [4, 2]], inDims: [0, 1], size: 2 },
  { label: "linearScan, a batched, b shared", name: "linearScan", attrs: { dim: 1, reverse: true }, shapes: [[2, 3], [2, 3]], inDims: [0, null], size: 3 },
  { label: "linearScan, a shared, b batched", name: "linearScan", attrs: { dim: 1, initial: -1 }, shapes: [[2, 3], [2, 3]], inDims: [null, 2], size: 3 },
  { label: "linearScan of 0-d samples", name: "linearScan", attrs: { dim: 0, initial: 2 }, shapes: [[], []], inDims: [0, null], size: 3 },
  { label: "cummaxIndices with ties", name: "cummaxIndices", attrs: { dim: 0 }, shapes: [[6, 2]], inDims: [1], size: 2 },
  { label: "cumminIndices from the end", name: "cumminIndices", attrs: { dim: 1, reverse: true }, shapes: [[2, 6]], inDims: [0], size: 2 },
  { label: "argsort descending with ties", name: "argsort", attrs: { dim: 0, descending: true }, shapes: [[7, 2]], inDims: [2], size: 2 },
  { label: "argsort of a 0-d sample, batch of one", name: "argsort", attrs: { dim: 0 }, shapes: [[]], inDims: [0], size: 1 },
];

describe.each(batchCases)("vmap of $name: $label", ({ name, attrs, shapes, inDims, size }) => {
  const samples = Array.from({ length: size }, (_, k) => shapes.map((shape, i) => gridValues(shape, k * shapes.length + i)));
  // A shared input is the first sample's, for every sample.
  const perSample = samples.map((s) => s.map((x, i) => (inDims[i] === null ? samples[0][i] : x)));
  // Batched arguments are leaves, so that every node in vmap's result is the rule's.
  const leaf = (x: Tensor) => tensor(x.data(), { shape: x.shape, dtype: x.dtype });
  const args = shapes.map((_, i) => (inDims[i] === null ? samples[0][i] : leaf(stack(samples.map((s) => s[i]), inDims[i]!))));
  const mapped = func.vmap((...xs: Tensor[]) => apply(op(name), xs, attrs), { inDims: [...inDims] })(...args) as Tensor;

  it("is one node of the op, with no per-sample slices", () => {
    const ops = topologicalOrder([mapped]).map((n) => n.op);
    expect(ops.filter((o) => o === name), `${name} nodes in ${ops.join(", ")}`).toHaveLength(1);
    expect(ops.filter((o) => o === "slice" || o === "concat"), `vmap of ${name} built ${ops.join(", ")}`).toEqual([]);
  });

  it("equals the op applied to each sample in a loop", () => {
    const expected = stack(perSample.map((inputs) => apply(op(name), inputs, attrs)), 0);
    expect(mapped.shape).toEqual(expected.shape);
    expect(mapped.dtype).toBe(expected.dtype);
    assertClose(mapped, expected, { atol: 0, rtol: 0, label: `vmap of ${name} ${JSON.stringify(attrs)}` });
  });
});

/**
 * The tangent of fn (built on op `name`) at `primals` along `tangents`, with the op's VJP watched:
 * the op's own forward rule never runs it, the fallback (its VJP transposed) does.
 */
function watchedJvp(name: BuiltinOpName, fn: (...xs: Tensor[]) => Tensor, primals: readonly Tensor[], tangents: readonly Tensor[]): Tensor {
  const watched = vi.spyOn(op(name) as { vjp: (...args: never[]) => unknown }, "vjp");
  try {
    const tangent = func.jvp(fn, primals, tangents).tangents as Tensor;
    expect(watched, `jvp of ${name} ran its VJP (the transposed fallback)`).not.toHaveBeenCalled();
    return tangent;
  } finally {
    watched.mockRestore();
  }
}

const tangentOf = (name: BuiltinOpName, attrs: Attrs, inputs: readonly Tensor[], tangents: readonly Tensor[]) =>
  watchedJvp(name, (...xs) => apply(op(name), xs, attrs), inputs, tangents);

describe("jvp rules", () => {
  it("jvp of sum is a sum of the tangent (the op is linear)", () => {
    const [x, t] = [gridValues([2, 3], 0), gridValues([2, 3], 1)];
    const tangent = tangentOf("sum", { dims: [0] }, [x], [t]);
    expect(tangent.op).toBe("sum");
    expect(tangent.inputs[0]).toBe(t);
  });

  it("jvp of cumsum is a cumsum of the tangent", () => {
    const [x, t] = [gridValues([2, 3], 0), gridValues([2, 3], 1)];
    const tangent = tangentOf("cumsum", { dim: 1, reverse: true }, [x], [t]);
    expect(tangent.op).toBe("cumsum");
    expect(tangent.inputs[0]).toBe(t);
    expect(tangent.attrs).toEqual({ dim: 1, reverse: true });
  });

  it.each(["max", "min"] as const)("jvp of %s is the mean of the tangents at tied extrema, the transpose of its VJP", (name) => {
    const x = tensor([1, 3, 3, 2, -1, -1, 0, 3], { shape: [2, 4], dtype: "float64" });
    const t = tensor([10, 20, 40, 80, 1, 2, 4, 8], { shape: [2, 4], dtype: "float64" });
    const tangent = tangentOf(name, { dims: [1] }, [x], [t]);
    expect([tangent.op, tangent.inputs[0].op]).toEqual(["div", "sum"]);
    assertClose(tangent, tensor(name === "max" ? [30, 8] : [10, 1.5], { dtype: "float64" }), { atol: 0, rtol: 0, label: `jvp of ${name} with ties` });
    // ⟨J t, u⟩ = ⟨t, Jᵀ u⟩ for the VJP's tie handling, u arbitrary.
    const u = tensor([0.5, -3], { dtype: "float64" });
    const [pulled] = func.vjp((y: Tensor) => apply(op(name), [y], { dims: [1] }), x).pullback(u);
    const dot = (a: Tensor, b: Tensor) => Array.from(a.data()).reduce((s, v, i) => s + v * b.data()[i], 0);
    expect(dot(tangent, u)).toBeCloseTo(dot(t, pulled), 12);
  });

  it("jvp of prod is exact where elements are zero: Σ t_i · the product of the others, by a loop", () => {
    const x = tensor([0, 2, 3, 0, 0, 5, 1.5, -2, 4], { shape: [3, 3], dtype: "float64" });
    const t = tensor([1, -1, 2, 0.5, 3, -2, 1, 1, 1], { shape: [3, 3], dtype: "float64" });
    const tangent = tangentOf("prod", { dims: [1] }, [x], [t]);
    expect(tangent.op).toBe("sum");
    const xs = Array.from(x.data());
    const ts = Array.from(t.data());
    const expected = [0, 1, 2].map((row) =>
      [0, 1, 2].reduce((total, i) => total + ts[row * 3 + i] * [0, 1, 2].reduce((p, j) => (j === i ? p : p * xs[row * 3 + j]), 1), 0),
    );
    assertClose(tangent, tensor(expected, { dtype: "float64" }), { atol: 1e-15, rtol: 0, label: "jvp of prod with zeros" });
  });

  it.each([false, true])("jvp of linearScan (reverse %s) is a linearScan of the tangents, equal to the differentiated recurrence", (reverse) => {
    const n = 5;
    const [a, b, da, db] = [0, 1, 2, 3].map((seed) => gridValues([n], seed));
    const initial = 0.75;
    const tangent = tangentOf("linearScan", { dim: 0, reverse, initial }, [a, b], [da, db]);
    expect(tangent.op).toBe("linearScan");
    expect(tangent.inputs[0]).toBe(a);
    // h_i = a_i h_(i-1) + b_i, so dh_i = da_i h_(i-1) + a_i dh_(i-1) + db_i, from h = initial, dh = 0.
    const [av, bv, dav, dbv] = [a, b, da, db].map((v) => Array.from(v.data()));
    const expected = Array<number>(n);
    let [h, dh] = [initial, 0];
    for (let step = 0; step < n; step++) {
      const i = reverse ? n - 1 - step : step;
      dh = dav[i] * h + av[i] * dh + dbv[i];
      h = av[i] * h + bv[i];
      expected[i] = dh;
    }
    assertClose(tangent, tensor(expected, { dtype: "float64" }), { atol: 1e-12, rtol: 1e-12, label: "jvp of linearScan" });
  });

  it("jvp of linearScan with only one tangent gives the other input no tangent", () => {
    const [a, b, da, db] = [0, 1, 2, 3].map((seed) => gridValues([2, 3], seed));
    const attrs = { dim: 1, initial: 1 };
    const onlyA = watchedJvp("linearScan", (y) => apply(op("linearScan"), [y, b], attrs), [a], [da]);
    const onlyB = watchedJvp("linearScan", (y) => apply(op("linearScan"), [a, y], attrs), [b], [db]);
    const both = tangentOf("linearScan", attrs, [a, b], [da, db]);
    expect([onlyA.op, onlyB.op]).toEqual(["linearScan", "linearScan"]);
    // The recurrence is linear in its driving term, so the two parts add up to the whole.
    assertClose(onlyA.add(onlyB), both, { atol: 1e-12, rtol: 1e-12, label: "jvp of linearScan by parts" });
  });
});
