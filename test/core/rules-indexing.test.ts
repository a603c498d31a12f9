/**
 * The forward-mode and vmap rules of the indexing ops (gather, indexSelect, indexAdd, scatter,
 * scatterAdd, scatterReduce, advancedIndex, indexPut): that the rules themselves are used (one
 * node of the op for a whole batch, a linear op's tangent the op on the tangents), and the cases the
 * random property suite rarely draws: batched indices with an unbatched source and the reverse,
 * the batch at the last dim, a batch of one, empty index dims, NumPy's non-adjacent layout.
 * Values are checked against an explicit loop over the samples (checkVmap) and central finite
 * differences (checkJvp).
 */
import { describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import { func, getOp, grad, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";
import { checkJvp, checkVmap } from "@gradgraph/core/testing";

const seq = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + offset) * 2);
const f64 = (shape: number[], offset = 0) => tensor(seq(shape.reduce((a, b) => a * b, 1), offset), { shape, dtype: "float64" });
const i32 = (values: number[], shape = [values.length]) => tensor(values, { shape, dtype: "int32" });
const ops = (root: Tensor) => topologicalOrder([root]).map((n) => n.op);
const count = (root: Tensor, op: string) => ops(root).filter((name) => name === op).length;
const exact = { atol: 0, rtol: 0 };

/** vmap(fn) built from the op's own rule: one node of `op` for the whole batch (the per-sample fallback builds one per sample and a concat), and the loop's values. */
function expectOneNodeBatch(op: string, fn: (...args: Tensor[]) => Tensor, inputs: Tensor[], inDims: (number | null)[]): Tensor {
  const batched = func.vmap(fn, { inDims })(...inputs) as Tensor;
  expect(count(batched, op), `vmap of ${op}: ${ops(batched).join(", ")}`).toBe(1);
  expect(ops(batched)).not.toContain("concat");
  checkVmap(fn, inputs, { inDims, ...exact });
  return batched;
}

/** The ops of the tangent's graph, leaves left out: for a linear op its own rule gives the op alone (the transposed VJP, its gradient's gradient). */
function tangentOps(fn: (...args: Tensor[]) => Tensor, primals: Tensor[], tangents: Tensor[]): string[] {
  const { tangents: t } = func.jvp(fn, primals, tangents);
  return ops(t as Tensor).filter((op) => op !== "constant");
}

it("every indexing op has a forward-mode rule and a batched (not per-sample) vmap rule of its own", () => {
  for (const name of ["gather", "indexSelect", "indexAdd", "scatter", "scatterAdd", "scatterReduce", "advancedIndex", "indexPut"]) {
    const def = getOp(name);
    expect(def.jvp, `${name}.jvp`).toBeDefined();
    expect(typeof def.batch, `${name}.batch`).toBe("function");
  }
});

describe("gather", () => {
  const index = i32([2, 0, 1, 1, 0, 2], [2, 3]);
  const gatherDim1 = (x: Tensor, i: Tensor) => F.gather(x, 1, i);

  it("vmap is one gather node, batched x, batched index or both, at any batch dim", () => {
    const x = f64([2, 4]);
    const batchedX = f64([5, 2, 4]);
    const batchedIndex = i32([0, 1, 2, 3, 0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 1, 2, 2, 2].slice(0, 18), [3, 2, 3]);
    expectOneNodeBatch("gather", gatherDim1, [batchedX, index], [0, null]);
    expectOneNodeBatch("gather", gatherDim1, [x, batchedIndex], [null, 0]);
    expectOneNodeBatch("gather", gatherDim1, [f64([3, 2, 4]), batchedIndex], [0, 0]);
    // The batch at the last dim of both.
    expectOneNodeBatch("gather", gatherDim1, [f64([2, 4, 3]), F.permute(batchedIndex, [1, 2, 0])], [2, 2]);
  });

  it("an unbatched source is read as it is, not expanded per sample", () => {
    const table = f64([2, 4]);
    const batchedIndex = i32([0, 1, 2, 3, 3, 2, 1, 0, 0, 0, 1, 1], [2, 2, 3]);
    const batched = func.vmap(gatherDim1, { inDims: [null, 0] })(table, batchedIndex) as Tensor;
    const gatherNode = topologicalOrder([batched]).find((n) => n.op === "gather")!;
    expect(gatherNode.inputs[0]).toBe(table);
  });

  it("a batch of one and an index with an empty dim", () => {
    expectOneNodeBatch("gather", gatherDim1, [f64([1, 2, 4]), index], [0, null]);
    expectOneNodeBatch("gather", gatherDim1, [f64([2, 4]), i32([], [3, 2, 0])], [null, 0]);
  });

  it("jvp is a gather of the tangent", () => {
    const x = f64([2, 4]);
    expect(tangentOps((v) => F.gather(v, 1, index), [x], [f64([2, 4], 1)])).toEqual(["gather"]);
    checkJvp((v) => F.gather(v, 1, index), [x]);
  });
});

describe("indexSelect (an embedding lookup)", () => {
  const lookup = (table: Tensor, ids: Tensor) => F.indexSelect(table, 0, ids);
  const table = f64([5, 3]);
  const ids = i32([4, 0, 0, 2, 1, 3], [2, 3]);

  it("per-sample ids into one table: one indexSelect reading the table itself", () => {
    const batched = expectOneNodeBatch("indexSelect", lookup, [table, ids], [null, 0]);
    expect(topologicalOrder([batched]).find((n) => n.op === "indexSelect")!.inputs[0]).toBe(table);
  });

  it("per-sample tables with shared ids, and both batched", () => {
    expectOneNodeBatch("indexSelect", lookup, [f64([2, 5, 3]), i32([1, 4])], [0, null]);
    expectOneNodeBatch("gather", lookup, [f64([2, 5, 3]), ids], [0, 0]);
    // Along the last dim, the table batched at its last dim.
    const columns = (x: Tensor, i: Tensor) => F.indexSelect(x, 1, i);
    expectOneNodeBatch("indexSelect", columns, [f64([3, 5]), ids], [null, 0]);
    expectOneNodeBatch("gather", columns, [f64([3, 5, 2]), i32([4, 0, 3, 1, 1, 2], [3, 2])], [2, 1]);
  });

  it("a batch of one and no ids", () => {
    expectOneNodeBatch("indexSelect", lookup, [table, i32([3, 1], [1, 2])], [null, 0]);
    expectOneNodeBatch("indexSelect", lookup, [table, i32([], [2, 0])], [null, 0]);
  });

  it("vmap of the lookup's gradient (per-sample ids, shared table) has no per-sample nodes", () => {
    const tableGrad = (t: Tensor, i: Tensor) => grad(F.sum(F.square(lookup(t, i))), [t])[0];
    const batched = func.vmap(tableGrad, { inDims: [null, 0] })(table, ids) as Tensor;
    expect(ops(batched)).not.toContain("concat");
    checkVmap(tableGrad, [table, ids], { inDims: [null, 0], ...exact });
  });

  it("jvp is an indexSelect of the tangent", () => {
    const fn = (t: Tensor) => lookup(t, i32([4, 0, 4]));
    expect(tangentOps(fn, [table], [f64([5, 3], 2)])).toEqual(["indexSelect"]);
    checkJvp(fn, [table]);
  });
});

describe("indexAdd", () => {
  const addRows = (base: Tensor, i: Tensor, src: Tensor) => F.indexAdd(base, 0, i, src);

  it("vmap: batched base or src with shared indices is one indexAdd; per-sample indices one scatterAdd", () => {
    expectOneNodeBatch("indexAdd", addRows, [f64([2, 4, 3]), i32([1, 1, 3]), f64([3, 3])], [0, null, null]);
    expectOneNodeBatch("indexAdd", addRows, [f64([4, 3]), i32([1, 1, 3]), f64([3, 3, 2])], [null, null, 2]);
    expectOneNodeBatch("scatterAdd", addRows, [f64([4, 3]), i32([1, 1, 3, 0, 2, 0], [2, 3]), f64([3, 3])], [null, 0, null]);
    expectOneNodeBatch("scatterAdd", addRows, [f64([4, 3, 2]), i32([1, 1, 3, 0, 2, 0], [3, 2]), f64([2, 3, 3])], [2, 1, 0]);
  });

  it("jvp: base's tangent alone when src has none; checked against finite differences", () => {
    const base = f64([4, 3]);
    const src = f64([3, 3], 1);
    const baseTangent = f64([4, 3], 2);
    const { tangents } = func.jvp((b) => addRows(b, i32([1, 1, 3]), src), [base], [baseTangent]);
    expect(tangents).toBe(baseTangent);
    checkJvp((b, s) => addRows(b, i32([1, 1, 3]), s), [base, src]);
    expect(tangentOps((b, s) => addRows(b, i32([1, 1, 3]), s), [base, src], [baseTangent, f64([3, 3], 3)])).toEqual(["indexAdd"]);
  });
});

describe("scatter, scatterAdd, scatterReduce", () => {
  const index = i32([2, 0, 1, 1, 0, 2], [2, 3]);

  it("vmap is one node of the op, batched at the last dim, with shared or per-sample indices", () => {
    const batchedIndex = i32([0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 1, 2], [2, 2, 3]);
    for (const [op, fn] of [
      ["scatter", (x: Tensor, i: Tensor, s: Tensor) => F.scatter(x, 1, i, s)],
      ["scatterAdd", (x: Tensor, i: Tensor, s: Tensor) => F.scatterAdd(x, 1, i, s)],
      ["scatterReduce", (x: Tensor, i: Tensor, s: Tensor) => F.scatterReduce(x, 1, i, s, "amax", { includeSelf: false })],
    ] as const) {
      expectOneNodeBatch(op, fn, [f64([2, 4, 3]), index, f64([2, 3])], [2, null, null]);
      expectOneNodeBatch(op, fn, [f64([2, 4]), batchedIndex, f64([2, 3, 2])], [null, 0, 2]);
    }
  });

  it("jvp of scatterAdd and scatter applies the op to the tangents", () => {
    const [x, src] = [f64([2, 4]), f64([2, 3], 1)];
    const tangents = [f64([2, 4], 2), f64([2, 3], 3)];
    expect(tangentOps((a, s) => F.scatterAdd(a, 1, index, s), [x, src], tangents)).toEqual(["scatterAdd"]);
    expect(tangentOps((a, s) => F.scatter(a, 1, index, s), [x, src], tangents)).toEqual(["scatter"]);
    checkJvp((a, s) => F.scatter(a, 1, index, s), [x, src]);
  });

  it("jvp of every reduction matches finite differences, with and without x's own values", () => {
    // Distinct values away from zero: no ties for amax/amin, no zero factor for prod.
    const x = tensor([0.5, -1.25, 2.5, 1.75, -0.75, 3.25, 1.5, -2.5], { shape: [2, 4], dtype: "float64" });
    const src = tensor([1.1, -0.6, 2.2, 0.9, -1.9, 2.7], { shape: [2, 3], dtype: "float64" });
    const spread = i32([2, 2, 1, 3, 0, 3], [2, 3]);
    for (const reduce of ["sum", "prod", "mean", "amax", "amin"] as const) {
      for (const includeSelf of [true, false]) {
        const fn = (a: Tensor, s: Tensor) => F.scatterReduce(a, 1, spread, s, reduce, { includeSelf });
        checkJvp(fn, [x, src]);
      }
    }
  });
});

describe("advancedIndex and indexPut", () => {
  const adjacent = (x: Tensor, i: Tensor, j: Tensor) => F.advancedIndex(x, [null, i, j]);
  const apart = (x: Tensor, i: Tensor, j: Tensor) => F.advancedIndex(x, [i, null, j]);
  const i = i32([0, -1, 2, 1], [2, 2]);
  const j = i32([3, 0]);

  it("vmap is one advancedIndex node, for NumPy's adjacent and apart layouts, the batch on x, an index or all", () => {
    const batchedJ = i32([3, 0, 1, 2, 2, 2], [3, 2]);
    for (const fn of [adjacent, apart]) {
      expectOneNodeBatch("advancedIndex", fn, [f64([3, 3, 4, 4]), i, j], [0, null, null]);
      expectOneNodeBatch("advancedIndex", fn, [f64([3, 3, 4, 4]), i, batchedJ], [null, null, 0]);
      expectOneNodeBatch("advancedIndex", fn, [f64([3, 4, 4, 3]), i, batchedJ], [3, null, 0]);
      expectOneNodeBatch("advancedIndex", fn, [f64([3, 4, 4, 1]), i, i32([1, 0], [1, 2])], [3, null, 0]);
    }
  });

  it("an unbatched x with batched indices is read as it is", () => {
    const x = f64([3, 3, 4, 4]);
    const batched = func.vmap(apart, { inDims: [null, null, 0] })(x, i, i32([3, 0, 1, 2], [2, 2])) as Tensor;
    expect(topologicalOrder([batched]).find((n) => n.op === "advancedIndex")!.inputs[0]).toBe(x);
  });

  it("indexPut for a batch is one node, written over and accumulated", () => {
    const batchedJ = i32([3, 0, 1, 2], [2, 2]);
    for (const accumulate of [false, true]) {
      const put = (x: Tensor, v: Tensor, a: Tensor, b: Tensor) => F.indexPut(x, [a, null, b], v, accumulate);
      const putAdjacent = (x: Tensor, v: Tensor, a: Tensor, b: Tensor) => F.indexPut(x, [null, a, b], v, accumulate);
      const distinct = i32([0, 1, 2, 0], [2, 2]);
      expectOneNodeBatch("indexPut", put, [f64([3, 4, 4]), f64([2, 2, 4]), distinct, batchedJ], [null, null, null, 0]);
      expectOneNodeBatch("indexPut", put, [f64([3, 4, 4, 2]), f64([2, 2, 4]), distinct, j], [3, null, null, null]);
      expectOneNodeBatch("indexPut", putAdjacent, [f64([4, 3, 4]), f64([4, 2, 2, 2], 1), distinct, batchedJ], [null, 3, null, 0]);
    }
  });

  it("jvp is the op on the tangents; an accumulating indexPut gives x's tangent alone when values have none", () => {
    const x = f64([3, 3, 4]);
    const fn = (v: Tensor) => F.advancedIndex(v, [i, null, j]);
    expect(tangentOps(fn, [x], [f64([3, 3, 4], 1)])).toEqual(["advancedIndex"]);
    checkJvp(fn, [x]);
    const values = f64([2, 2, 3], 2);
    const xTangent = f64([3, 3, 4], 3);
    expect(func.jvp((v) => F.indexPut(v, [i, null, j], values, true), [x], [xTangent]).tangents).toBe(xTangent);
    checkJvp((v, w) => F.indexPut(v, [i32([0, 2, 1, 1], [2, 2]), null, j], w), [x, values]);
  });
});
