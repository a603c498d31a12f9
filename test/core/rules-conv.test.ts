/**
 * The forward-mode and vmap rules of the convolution ops (conv, convTranspose, convWeightBackward)
 * are really used: vmap gives one node of the op (no per-sample slices), jvp gives the op applied
 * to the tangents (not the transposed VJP). Values are checked against the op applied sample by
 * sample and against the bilinear form's own algebra, on layouts the random suite rarely reaches:
 * groups, a shared input with batched weights, batched biases, a batch at the last dim, a
 * size-1 batch, an empty N.
 */
import { describe, expect, it } from "vitest";
import { apply, type Attrs, buildStats, type BuiltinOpName, builtinOps, func, type OpDef, reshape, stack, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";

const product = (shape: readonly number[]) => shape.reduce((p, s) => p * s, 1);

/** Deterministic values in [-1, 1], different for each `seed`. */
const values = (shape: readonly number[], seed: number) =>
  tensor(Array.from({ length: product(shape) }, (_, i) => Math.sin(1.3 * i + 2.9 * seed + 0.4)), { shape: [...shape], dtype: "float64" });

const opsIn = (y: Tensor) => topologicalOrder([y]).map((node) => node.op);
const count = (y: Tensor, op: string) => opsIn(y).filter((o) => o === op).length;

/** Sample b of `x` batched at `dim`. */
const sampleAt = (x: Tensor, dim: number, b: number) => x.select(dim, b);

type ConvOpName = "conv" | "convTranspose" | "convWeightBackward";

/** The registered op itself, not its convenience builder. */
const applyOp = (name: ConvOpName, xs: readonly Tensor[], attrs: Attrs) => apply(builtinOps[name as BuiltinOpName] as OpDef<Attrs>, xs, attrs);

type Layout = { name: string; op: ConvOpName; shapes: number[][]; attrs: Attrs };

/** One sample's operands of each op, with groups, strides and a bias where the op takes one. */
const layouts: Layout[] = [
  { name: "conv 2-D, groups 2, bias", op: "conv", shapes: [[2, 4, 5, 6], [6, 2, 2, 3], [6]], attrs: { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 } },
  { name: "conv 1-D, no bias", op: "conv", shapes: [[3, 2, 7], [3, 2, 3]], attrs: { stride: 2, padding: 1, dilation: 1, groups: 1 } },
  { name: "convTranspose 2-D, groups 2, bias", op: "convTranspose", shapes: [[2, 4, 3, 2], [4, 3, 2, 2], [6]], attrs: { stride: [2, 1], padding: [1, 0], outputPadding: [1, 0], groups: 2 } },
  { name: "convTranspose 1-D, no bias", op: "convTranspose", shapes: [[2, 3, 4], [3, 2, 3]], attrs: { stride: 3, padding: 1, dilation: 2 } },
  { name: "convWeightBackward 2-D, groups 2", op: "convWeightBackward", shapes: [[2, 4, 5, 4], [2, 6, 2, 2]], attrs: { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2, kernelSize: [2, 3] } },
  { name: "convWeightBackward 1-D", op: "convWeightBackward", shapes: [[3, 2, 7], [3, 3, 4]], attrs: { stride: 2, padding: 1, dilation: 1, groups: 1, kernelSize: [3] } },
];

const build = ({ op, attrs }: Layout) => (...xs: Tensor[]) => applyOp(op, xs, attrs);

/** Every way of batching some operands (each batched or not, at least one). */
const batchings = (operands: number) =>
  Array.from({ length: 2 ** operands - 1 }, (_, k) => Array.from({ length: operands }, (_, i) => ((k + 1) >> i) % 2 === 1));

describe.each(layouts)("vmap of $name", (layout) => {
  it.each(batchings(layout.shapes.length).map((batched) => [batched.map((b) => (b ? "B" : "-")).join(""), batched] as const))(
    "batched %s is one node of the op, equal to the op sample by sample",
    (_, batched) => {
      const size = 3;
      const inputs = layout.shapes.map((shape, i) => (batched[i] ? values([size, ...shape], i) : values(shape, i)));
      const mapped = func.vmap(build(layout), { inDims: batched.map((b) => (b ? 0 : null)) })(...inputs) as Tensor;
      expect(count(mapped, layout.op), `${layout.op} nodes in vmap of ${layout.name}`).toBe(1);
      expect(count(mapped, "slice"), `slices in vmap of ${layout.name}`).toBe(0);
      const perSample = Array.from({ length: size }, (_, b) => build(layout)(...inputs.map((x, i) => (batched[i] ? sampleAt(x, 0, b) : x))));
      assertClose(mapped, stack(perSample, 0), { atol: 1e-12, rtol: 1e-12, label: `vmap of ${layout.name}` });
    },
  );

  it("batched at the last dim, with a size-1 batch, equals the op on the one sample", () => {
    const inputs = layout.shapes.map((shape, i) => values([...shape, 1], i));
    const lastDims = layout.shapes.map((shape) => shape.length);
    const mapped = func.vmap(build(layout), { inDims: lastDims })(...inputs) as Tensor;
    expect(count(mapped, layout.op)).toBe(1);
    const sample = build(layout)(...inputs.map((x, i) => sampleAt(x, lastDims[i], 0)));
    assertClose(mapped, stack([sample], 0), { atol: 1e-12, rtol: 1e-12, label: `vmap at the last dim of ${layout.name}` });
  });
});

describe("vmap with an empty N", () => {
  it("conv of batched empty inputs and batched weights gives empty samples of the right shape", () => {
    const x = values([2, 0, 2, 5], 0);
    const w = values([2, 3, 2, 2], 1);
    const mapped = func.vmap((a, b) => applyOp("conv", [a, b], {}))(x, w) as Tensor;
    expect(mapped.shape).toEqual([2, 0, 3, 4]);
    expect(count(mapped, "conv")).toBe(1);
  });

  it("convWeightBackward of empty samples is zeros", () => {
    const x = values([2, 0, 4, 5], 0);
    const g = values([2, 0, 2, 4], 1);
    const mapped = func.vmap((a, b) => applyOp("convWeightBackward", [a, b], { groups: 2, kernelSize: [2] }))(x, g) as Tensor;
    expect(mapped.shape).toEqual([2, 2, 2, 2]);
    expect(Array.from(mapped.data())).toEqual(new Array<number>(16).fill(0));
  });
});

describe("per-sample gradients: vmap(grad(loss), { inDims: [null, 0] })", () => {
  it("are one grouped convWeightBackward, equal to each sample's gradient", () => {
    const w = values([4, 2, 3, 3], 0);
    const xs = values([5, 1, 2, 6, 6], 1);
    const loss = (weight: Tensor, x: Tensor) => applyOp("conv", [x, weight], { padding: 1 }).square().sum();
    const perSample = func.vmap(func.grad(loss), { inDims: [null, 0] })(w, xs) as Tensor;
    expect(count(perSample, "convWeightBackward")).toBe(1);
    expect(count(perSample, "slice")).toBe(0);
    const expected = stack(Array.from({ length: 5 }, (_, b) => func.grad(loss)(w, sampleAt(xs, 0, b)) as Tensor), 0);
    assertClose(perSample, expected, { atol: 1e-12, rtol: 1e-12, label: "per-sample gradients of a conv" });
  });
});

describe("forward mode", () => {
  const tangentOf = (layout: Layout, moving: readonly number[]) => {
    const inputs = layout.shapes.map((shape, i) => values(shape, i));
    const fn = (...xs: Tensor[]) => build(layout)(...inputs.map((x, i) => (moving.includes(i) ? xs[moving.indexOf(i)] : x)));
    const tangents = moving.map((i) => values(layout.shapes[i], 10 + i));
    return { inputs, tangents, tangent: func.jvp(fn, moving.map((i) => inputs[i]), tangents).tangents as Tensor };
  };

  /** Nodes built by `run`: the transposed-VJP fallback builds the VJP's nodes too, a rule only the tangent's. */
  const nodesBuilt = (run: () => unknown) => {
    const before = buildStats.nodes;
    run();
    return buildStats.nodes - before;
  };

  it.each(layouts)("jvp of $name in one operand builds what a one-node linear op's jvp builds: the op of the tangent", (layout) => {
    const { inputs, tangents, tangent } = tangentOf(layout, [0]);
    expect(tangent.op).toBe(layout.op);
    expect(tangent.inputs).toEqual([tangents[0], inputs[1]]);
    const x = values(layout.shapes[0], 20);
    const dx = values(layout.shapes[0], 21);
    const linear = nodesBuilt(() => func.jvp((a) => reshape(a, [-1]), [x], [dx]));
    const others = inputs.slice(1);
    expect(nodesBuilt(() => func.jvp((a) => build(layout)(a, ...others), [x], [dx])), `nodes built by jvp of ${layout.name}`).toBe(linear);
  });

  it.each(layouts)("jvp of $name in every operand is one op per product term, and linear in the tangents", (layout) => {
    const all = layout.shapes.map((_, i) => i);
    const { inputs, tangents, tangent } = tangentOf(layout, all);
    expect(count(tangent, layout.op)).toBe(2);
    // The bias's tangent rides on the first product term rather than being broadcast and added.
    if (inputs.length === 3) expect(topologicalOrder([tangent]).some((node) => node.op === layout.op && node.inputs[2] === tangents[2])).toBe(true);
    // Bilinear plus an affine bias, f(x + t·dx, w + t·dw, b + t·db) is quadratic in t: its central
    // difference at t = ±1 is the tangent exactly (up to rounding), the t² terms cancelling.
    const f = build(layout);
    const along = (t: number) => f(...inputs.map((x, i) => x.add(tangents[i].mul(t))));
    assertClose(tangent, along(1).sub(along(-1)).div(2), { atol: 1e-12, rtol: 1e-12, label: `jvp of ${layout.name}` });
  });

  it("jvp of a conv in its bias alone is the bias's tangent on every output position", () => {
    const layout = layouts[0];
    const { tangents, tangent } = tangentOf(layout, [2]);
    expect(opsIn(tangent)).not.toContain("conv");
    const [n, o, h, w] = tangent.shape;
    const bias = Array.from(tangents[0].data());
    const expected = tensor(Array.from({ length: n * o * h * w }, (_, i) => bias[Math.floor(i / (h * w)) % o]), { shape: tangent.shape, dtype: "float64" });
    assertClose(tangent, expected, { atol: 0, rtol: 0, label: "jvp of conv in its bias" });
  });
});
