/**
 * The forward-mode and vmap rules of diagonal, diagonalBackward, tril, triu, unfold,
 * unfoldBackward and matmul are really used (not the transposed-VJP or per-sample fallbacks),
 * and are exact on the layouts the random property suite rarely reaches: the batch at the last
 * dim, one operand batched and the other not, 1-D matmul operands, a batch of one, empty dims.
 * Truth is a loop applying the op to each sample, and linearity (the tangent of a linear op is
 * the op of the tangent; of matmul, ta·b + a·tb).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import * as F from "@gradgraph/core";
import { apply, type Attrs, type BuiltinOpName, builtinOps, func, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";

/** Deterministic, distinct values (no ties, no zeros), as a leaf. */
function leaf(shape: number[], seed = 1): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: size }, (_, i) => Math.sin(seed * 7.3 + i * 1.7) * 3 + 0.01 * i), { shape, dtype: "float64" });
}

const op = (name: BuiltinOpName, attrs: Attrs = {}) => (...xs: Tensor[]) => apply(builtinOps[name], xs, attrs);
const opsIn = (root: Tensor) => topologicalOrder([root]).map((n) => n.op);

/**
 * An argument of the vmapped function: its samples (stacked at `dim`) or one tensor shared by all.
 */
type Arg = { samples: Tensor[]; dim: number } | { shared: Tensor };

/**
 * vmap(fn) on the stacked arguments equals fn applied to each sample, stacked; and its graph
 * holds one node of `name` and none of the loop's per-sample slices.
 */
function expectBatchedOnce(name: BuiltinOpName, fn: (...xs: Tensor[]) => Tensor, args: Arg[]): void {
  const size = args.flatMap((a) => ("samples" in a ? [a.samples.length] : []))[0];
  // Leaves, so that the stacking is no part of the graph looked at.
  const stacked = args.map((a) => ("samples" in a ? F.stack(a.samples, a.dim) : a.shared)).map((x) => tensor(x.data(), { shape: x.shape, dtype: x.dtype }));
  const inDims = args.map((a) => ("samples" in a ? a.dim : null));
  const batched = func.vmap(fn, { inDims })(...stacked) as Tensor;
  const loop = F.stack(Array.from({ length: size }, (_, b) => fn(...args.map((a) => ("samples" in a ? a.samples[b] : a.shared)))), 0);
  assertClose(batched, loop, { label: `vmap of ${name} against a loop over ${size} samples` });
  const ops = opsIn(batched);
  expect(ops.filter((o) => o === name), `vmap of ${name}: one ${name} node for the batch, graph ${ops.join(" ")}`).toHaveLength(1);
  expect(ops, `vmap of ${name}: no per-sample slices (the "loop" fallback)`).not.toContain("slice");
}

/** func.jvp through fn never runs `name`'s VJP (the transposed fallback would) and gives `expected`. */
function expectJvpWithoutVjp(name: BuiltinOpName, fn: (...xs: Tensor[]) => Tensor, primals: Tensor[], tangents: Tensor[], expected: Tensor): Tensor {
  const vjp = vi.spyOn(builtinOps[name] as { vjp: (...args: never[]) => unknown }, "vjp");
  const tangent = func.jvp(fn, primals, tangents).tangents as Tensor;
  assertClose(tangent, expected, { label: `jvp of ${name}` });
  expect(vjp, `jvp of ${name} ran its VJP: the transposed fallback, not the op's rule`).not.toHaveBeenCalled();
  return tangent;
}

afterEach(() => vi.restoreAllMocks());

describe("forward mode", () => {
  const linearCases: [BuiltinOpName, Attrs, number[]][] = [
    ["diagonal", { offset: -1, dim1: 2, dim2: 0 }, [3, 2, 4]],
    ["diagonalBackward", { offset: 1, dim1: 1, dim2: 0, size1: 3, size2: 2 }, [2, 1]],
    ["tril", { diagonal: -1 }, [2, 3, 3]],
    ["triu", { diagonal: 1 }, [3, 4]],
    ["unfold", { dim: 1, size: 2, step: 1 }, [2, 4, 3]],
    ["unfoldBackward", { dim: 0, size: 3, step: 2, length: 5 }, [2, 2, 3]],
  ];
  it.each(linearCases)("jvp of %s is the op applied to the tangent, without its VJP", (name, attrs, shape) => {
    const [x, t] = [leaf(shape, 1), leaf(shape, 2)];
    const tangent = expectJvpWithoutVjp(name, op(name, attrs), [x], [t], op(name, attrs)(t));
    // Interned: the very node of the op built on the tangent.
    expect(tangent).toBe(op(name, attrs)(t));
  });

  it("jvp of matmul is ta·b + a·tb, without its VJP", () => {
    const [a, b, ta, tb] = [leaf([2, 3, 4], 1), leaf([4, 2], 2), leaf([2, 3, 4], 3), leaf([4, 2], 4)];
    const expected = F.add(F.matmul(ta, b), F.matmul(a, tb));
    const tangent = expectJvpWithoutVjp("matmul", F.matmul, [a, b], [ta, tb], expected);
    expect(opsIn(tangent).filter((o) => o === "matmul")).toHaveLength(2);
  });

  it("jvp of matmul with one tangent zero is one product", () => {
    const [a, b, tb] = [leaf([3, 4], 1), leaf([4, 2], 2), leaf([4, 2], 3)];
    // a is a constant of fn, so the rule sees a null tangent for it.
    const tangent = expectJvpWithoutVjp("matmul", (y: Tensor) => F.matmul(a, y), [b], [tb], F.matmul(a, tb));
    expect(tangent).toBe(F.matmul(a, tb));
  });
});

describe("vmap", () => {
  const samples = (shape: number[], count = 3, seed = 1) => Array.from({ length: count }, (_, b) => leaf(shape, seed + 10 * b));

  it.each([0, 1, 3])("diagonal with the batch at dim %i (3 is the last)", (dim) => {
    expectBatchedOnce("diagonal", op("diagonal", { offset: 1, dim1: 2, dim2: 0 }), [{ samples: samples([3, 2, 4]), dim }]);
  });

  it("diagonal of empty planes and of a diagonal past the corner", () => {
    expectBatchedOnce("diagonal", op("diagonal", { offset: 0, dim1: 0, dim2: 1 }), [{ samples: samples([0, 3]), dim: 1 }]);
    expectBatchedOnce("diagonal", op("diagonal", { offset: 5, dim1: 0, dim2: 1 }), [{ samples: samples([2, 3]), dim: 0 }]);
  });

  it.each([0, 2])("diagonalBackward with the batch at dim %i, dims given in reverse order", (dim) => {
    expectBatchedOnce("diagonalBackward", op("diagonalBackward", { offset: -1, dim1: 2, dim2: 0, size1: 3, size2: 2 }), [{ samples: samples([2, 2]), dim }]);
  });

  it.each(["tril", "triu"] as const)("%s with the batch last, of one sample and of empty matrices", (name) => {
    expectBatchedOnce(name, op(name, { diagonal: -1 }), [{ samples: samples([2, 3, 4]), dim: 3 }]);
    expectBatchedOnce(name, op(name, { diagonal: 2 }), [{ samples: samples([3, 3], 1), dim: 0 }]);
    expectBatchedOnce(name, op(name, { diagonal: 0 }), [{ samples: samples([2, 0, 3]), dim: 1 }]);
  });

  it.each([0, 1, 2])("unfold with the batch at dim %i, overlapping windows", (dim) => {
    expectBatchedOnce("unfold", op("unfold", { dim: 1, size: 3, step: 1 }), [{ samples: samples([2, 5]), dim }]);
  });

  it("unfold of empty windows and unfoldBackward with the batch last", () => {
    expectBatchedOnce("unfold", op("unfold", { dim: 0, size: 0, step: 2 }), [{ samples: samples([3, 2]), dim: 2 }]);
    expectBatchedOnce("unfoldBackward", op("unfoldBackward", { dim: 1, size: 2, step: 1, length: 4 }), [{ samples: samples([2, 3, 2]), dim: 3 }]);
  });

  describe("matmul", () => {
    it("both operands batched, the batch in different places", () => {
      expectBatchedOnce("matmul", F.matmul, [{ samples: samples([2, 3]), dim: 2 }, { samples: samples([3, 4], 3, 5), dim: 0 }]);
    });

    it("a batched matrix times a shared batch of matrices (the batch lines up with neither's batch dims)", () => {
      expectBatchedOnce("matmul", F.matmul, [{ samples: samples([2, 3]), dim: 0 }, { shared: leaf([5, 3, 4], 9) }]);
      expectBatchedOnce("matmul", F.matmul, [{ shared: leaf([5, 2, 3], 9) }, { samples: samples([3, 4], 4), dim: 1 }]);
    });

    it("batched matrices or vectors times a shared matrix are one product of all their rows", () => {
      const shared = leaf([3, 4], 9);
      const batched = func.vmap((x: Tensor) => F.matmul(x, shared))(leaf([5, 2, 2, 3])) as Tensor;
      const product = topologicalOrder([batched]).find((n) => n.op === "matmul")!;
      expect(product.inputs.map((x) => x.shape), "the rows of the 5 samples' [2, 2, 3] times [3, 4]").toEqual([[20, 3], [3, 4]]);
      expectBatchedOnce("matmul", F.matmul, [{ samples: samples([2, 2, 3]), dim: 2 }, { shared }]);
      expectBatchedOnce("matmul", F.matmul, [{ samples: samples([3], 1), dim: 0 }, { shared }]);
    });

    it("a shared matrix times batched vectors is one product of the vectors side by side", () => {
      const shared = leaf([2, 3], 9);
      const batched = func.vmap((v: Tensor) => F.matmul(shared, v))(leaf([5, 3])) as Tensor;
      const product = topologicalOrder([batched]).find((n) => n.op === "matmul")!;
      expect(product.inputs.map((x) => x.shape), "[2, 3] times the 5 vectors as columns").toEqual([[2, 3], [3, 5]]);
      expectBatchedOnce("matmul", F.matmul, [{ shared }, { samples: samples([3]), dim: 1 }]);
      expectBatchedOnce("matmul", F.matmul, [{ shared }, { samples: samples([3, 1], 1), dim: 0 }]);
    });

    it("batched operands of different batch ranks broadcast as their samples do", () => {
      expectBatchedOnce("matmul", F.matmul, [{ samples: samples([2, 1, 2, 3]), dim: 0 }, { samples: samples([5, 3, 4], 3, 7), dim: 1 }]);
    });

    it("1-D operands: a batched vector on either side, two batched vectors, one sample", () => {
      expectBatchedOnce("matmul", F.matmul, [{ samples: samples([3]), dim: 0 }, { shared: leaf([3, 4], 9) }]);
      expectBatchedOnce("matmul", F.matmul, [{ shared: leaf([2, 4, 3], 9) }, { samples: samples([3]), dim: 1 }]);
      expectBatchedOnce("matmul", F.matmul, [{ samples: samples([3]), dim: 1 }, { samples: samples([3], 3, 4), dim: 0 }]);
      expectBatchedOnce("matmul", F.matmul, [{ samples: samples([2, 3], 1), dim: 0 }, { samples: samples([3], 1), dim: 0 }]);
    });

    it("an empty inner dim gives zeros", () => {
      expectBatchedOnce("matmul", F.matmul, [{ samples: samples([2, 0]), dim: 0 }, { shared: leaf([0, 3]) }]);
    });
  });

  it("vmap of jvp: per-sample tangents of a diagonal of a product", () => {
    // Both rules compose: vmap batches the tangent graph the forward rules built.
    const fn = (x: Tensor, t: Tensor) => func.jvp((y: Tensor) => F.diagonal(F.matmul(y, y)), [x], [t]).tangents as Tensor;
    expectBatchedOnce("diagonal", fn, [{ samples: samples([3, 3]), dim: 0 }, { samples: samples([3, 3], 3, 4), dim: 0 }]);
  });
});
