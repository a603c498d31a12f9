/**
 * The forward-mode and vmap rules of the view and layout ops are really used: vmap builds one
 * node of the op (not one per sample) and jvp builds the op on the tangent without calling the
 * op's VJP (the transposed fallback, which for these ops can build the very same graph). Values are checked against an explicit loop over the samples
 * (checkVmap), central finite differences (checkJvp), and linearity: J·t of a linear op is the op
 * applied to t.
 */
import { describe, expect, it, vi } from "vitest";
import * as F from "@gradgraph/core";
import { evaluate, func, getOp, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";
import { assertClose, checkJvp, checkVmap } from "@gradgraph/core/testing";

const seq = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + offset));
const f64 = (shape: number[], offset = 0) => tensor(seq(shape.reduce((a, b) => a * b, 1), offset), { shape, dtype: "float64" });
const values = (t: Tensor) => Array.from(evaluate([t])[0]);
const countOf = (root: Tensor, op: string) => topologicalOrder([root]).filter((n) => n.op === op).length;

interface RuleCase {
  readonly op: string;
  readonly fn: (...xs: Tensor[]) => Tensor;
  /** One sample's inputs; vmap cases batch them (with a batch of 3) at `inDims`. */
  readonly inputs: readonly Tensor[];
  readonly inDims?: readonly (number | null)[];
  /** Affine rather than linear (a nonzero fill): J·t is not the op of t. */
  readonly affine?: true;
}

const cases: readonly RuleCase[] = [
  { op: "expand", fn: (x) => F.expand(x, [2, 4, 3]), inputs: [f64([4, 1])] },
  { op: "permute", fn: (x) => F.permute(x, [2, 0, 1]), inputs: [f64([2, 3, 4])] },
  { op: "reshape", fn: (x) => F.reshape(x, [3, -1]), inputs: [f64([2, 3, 2])] },
  { op: "slice", fn: (x) => F.slice(x, -1, 1, 5, 2), inputs: [f64([2, 6])] },
  { op: "sliceBackward", fn: (g) => F.sliceBackward(g, 1, 1, 2, 6), inputs: [f64([2, 3])] },
  { op: "transpose", fn: (x) => F.transpose(x, 0, -1), inputs: [f64([2, 3, 4])] },
  { op: "concat", fn: (a, b) => F.concat([a, b], 1), inputs: [f64([2, 3]), f64([2, 1], 1)] },
  { op: "flip", fn: (x) => F.flip(x, [0, -1]), inputs: [f64([3, 4])] },
  { op: "roll", fn: (x) => F.roll(x, [1, -2], [0, 1]), inputs: [f64([3, 4])] },
  { op: "pad", fn: (x) => F.pad(x, [1, 2, 0, 1], "constant", 0.5), inputs: [f64([2, 3])], affine: true },
  { op: "pad", fn: (x) => F.pad(x, [2, -1], "reflect"), inputs: [f64([2, 4])] },
  { op: "padBackward", fn: (g) => F.padBackward(g, [1, 2], "circular"), inputs: [f64([2, 7])] },
];

/** The inputs with a batch of `size` added at `inDims` (default 0). */
function batchedInputs({ inputs, inDims }: RuleCase, size: number): Tensor[] {
  return inputs.map((x, i) => {
    const dim = inDims?.[i] ?? 0;
    if (inDims?.[i] === null) return x;
    const rank = x.shape.length + 1;
    const at = dim < 0 ? dim + rank : dim;
    return f64([...x.shape.slice(0, at), size, ...x.shape.slice(at)], i + 2);
  });
}

function expectOneNode(c: RuleCase, size = 3): void {
  const inDims = c.inDims ?? c.inputs.map(() => 0);
  const xs = batchedInputs(c, size);
  const y = func.vmap(c.fn, { inDims })(...xs) as Tensor;
  const nodes = countOf(y, c.op);
  expect(nodes, `vmap of ${c.op} at inDims ${JSON.stringify(inDims)}: expected one ${c.op} node for the batch, got ${nodes}`).toBe(1);
  expect(y.op, `vmap of ${c.op}: the result should be the ${c.op} node, got ${y.op}`).toBe(c.op);
  checkVmap(c.fn, xs, { inDims: [...inDims] });
}

describe("batching rules of the view and layout ops", () => {
  for (const c of cases) it(`vmap of ${c.op} is one ${c.op} node and equals the loop`, () => expectOneNode(c));

  it("vmap of detach is one detach node", () => expectOneNode({ op: "detach", fn: (x) => F.detach(x), inputs: [f64([2, 3])] }));

  it("batch at the last dim", () => {
    expectOneNode({ op: "slice", fn: (x) => F.slice(x, 0, 1, 3), inputs: [f64([4, 2])], inDims: [-1] });
    expectOneNode({ op: "roll", fn: (x) => F.roll(x, 1, 1), inputs: [f64([2, 3])], inDims: [-1] });
    expectOneNode({ op: "expand", fn: (x) => F.expand(x, [5, 2, 3]), inputs: [f64([1, 3])], inDims: [-1] });
  });

  it("concat of a batched input with a shared one, either way round", () => {
    const base = { op: "concat", fn: (a: Tensor, b: Tensor) => F.concat([a, b], -1), inputs: [f64([2, 3]), f64([2, 2], 1)] };
    expectOneNode({ ...base, inDims: [0, null] });
    expectOneNode({ ...base, inDims: [null, 1] });
  });

  it("a batch of one", () => {
    for (const c of cases) {
      const inDims = c.inDims ?? c.inputs.map(() => 0);
      checkVmap(c.fn, batchedInputs(c, 1), { inDims: [...inDims] });
    }
  });

  it("empty sample dims", () => {
    expectOneNode({ op: "reshape", fn: (x) => F.reshape(x, [0, 2]), inputs: [f64([2, 0])] });
    expectOneNode({ op: "concat", fn: (a, b) => F.concat([a, b], 0), inputs: [f64([0, 3]), f64([2, 3])] });
    expectOneNode({ op: "pad", fn: (x) => F.pad(x, [1, 1]), inputs: [f64([0, 2])] });
    expectOneNode({ op: "slice", fn: (x) => F.slice(x, 1, 2, 2), inputs: [f64([2, 3])] });
  });

  it("nested vmap batches an already batched node again", () => {
    const inner = func.vmap((x: Tensor) => F.flip(F.transpose(x, 0, 1), 0));
    const y = func.vmap(inner as (x: Tensor) => Tensor)(f64([2, 3, 4, 5])) as Tensor;
    expect(countOf(y, "flip"), "nested vmap of flip: expected one flip node").toBe(1);
    const loop = F.stack([0, 1].map((i) => F.stack([0, 1, 2].map((j) => F.flip(F.transpose(f64([2, 3, 4, 5]).select(0, i).select(0, j), 0, 1), 0)))));
    expect(values(y), "nested vmap of transpose and flip against the double loop").toEqual(values(loop));
  });
});

describe("forward-mode rules of the view and layout ops", () => {
  for (const c of cases) {
    it(`jvp of ${c.op} is a ${c.op} of the tangent, as finite differences give`, () => {
      const tangents = c.inputs.map((x, i) => f64([...x.shape], 5 + i));
      const vjpCalls = vi.spyOn(getOp(c.op) as { vjp: (...args: never[]) => unknown }, "vjp");
      let tangent: Tensor;
      let calls: number;
      try {
        tangent = func.jvp(c.fn, c.inputs, tangents).tangents as Tensor;
        calls = vjpCalls.mock.calls.length;
      } finally {
        vjpCalls.mockRestore();
      }
      expect(calls, `jvp of ${c.op}: expected its forward rule, not its VJP transposed; the VJP was called ${calls} times`).toBe(0);
      const standIns = countOf(tangent, "standIn");
      expect(standIns, `jvp of ${c.op}: expected no standIn (the transposed fallback), got ${standIns}`).toBe(0);
      expect(tangent.op, `jvp of ${c.op}: the tangent should be a ${c.op} node, got ${tangent.op}`).toBe(c.op);
      checkJvp(c.fn, c.inputs);
    });
  }

  it("linear ops: J·t is the op applied to t", () => {
    for (const c of cases.filter((c) => c.affine === undefined)) {
      const tangents = c.inputs.map((x, i) => f64([...x.shape], 5 + i));
      const { tangents: t } = func.jvp(c.fn, c.inputs, tangents);
      assertClose(values(t as Tensor), values(c.fn(...tangents)), { atol: 0, rtol: 0, label: `jvp of ${c.op} against ${c.op} of the tangent` });
    }
  });

  it("pad with a nonzero fill is affine: the tangent's border is zero, the fill does not move", () => {
    const x = f64([2, 2]);
    const t = tensor([1, 2, 3, 4], { shape: [2, 2], dtype: "float64" });
    const { tangents } = func.jvp((v: Tensor) => F.pad(v, [1, 0], "constant", 7), [x], [t]);
    expect(values(tangents as Tensor), "jvp of pad(value 7): the tangent padded with zeros").toEqual([0, 1, 2, 0, 3, 4]);
  });

  it("concat with one input's tangent zero keeps the other's block", () => {
    const [a, b] = [f64([2]), f64([3], 1)];
    const fn = (u: Tensor) => F.concat([u, b]);
    const { tangents } = func.jvp(fn, [a], [tensor([1, -1], { dtype: "float64" })]);
    expect(values(tangents as Tensor), "jvp of concat in its first input only").toEqual([1, -1, 0, 0, 0]);
  });
});
