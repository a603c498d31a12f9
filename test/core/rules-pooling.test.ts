/**
 * The pooling and interpolation ops' own forward-mode and vmap rules are the ones used (no
 * transposed-VJP stand-in, no per-sample slices), and give what an explicit loop over the samples
 * and central finite differences give, on the layouts the random suite rarely reaches: the batch
 * at the last dim, a size-1 batch, a sample with a batch of its own (folded) or an empty one,
 * unbatched positions with a batched input and the other way round.
 */
import { describe, expect, it } from "vitest";
import { apply, type Attrs, type BuiltinOpName, buildStats, builtinOps, evaluate, func, type OpDef, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";

const opsOf = (t: Tensor) => topologicalOrder([t]).map((n) => n.op);
const valuesOf = (t: Tensor) => Array.from(evaluate([t])[0]);
const wave = (shape: readonly number[], offset = 0) => {
  const size = shape.reduce((n, d) => n * d, 1);
  return tensor(Array.from({ length: size }, (_, i) => Math.sin(i * 1.3 + offset) + 0.1 * i), { shape: [...shape], dtype: "float64" });
};
const positions = (shape: readonly number[], planeSize: number, offset = 0) => {
  const size = shape.reduce((n, d) => n * d, 1);
  return tensor(Array.from({ length: size }, (_, i) => (i * 7 + offset) % planeSize), { shape: [...shape], dtype: "int32" });
};
const build = (name: BuiltinOpName, attrs: Attrs) => (...inputs: Tensor[]) => apply(builtinOps[name] as OpDef<Attrs>, inputs, attrs);

/** Sample b of `x` along `dim`, by index arithmetic on its values (not through any op rule). */
function sampleAt(x: Tensor, dim: number, b: number): Tensor {
  const data = valuesOf(x);
  const outer = x.shape.slice(0, dim).reduce((n, d) => n * d, 1);
  const inner = x.shape.slice(dim + 1).reduce((n, d) => n * d, 1);
  const picked: number[] = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) picked.push(data[(o * x.shape[dim] + b) * inner + i]);
  return tensor(picked, { shape: x.shape.filter((_, d) => d !== dim), dtype: x.dtype });
}

type VmapCase = { name: BuiltinOpName; label: string; attrs: Attrs; inputs: Tensor[]; inDims: (number | null)[] };

const maxPool = { kernelSize: [2, 2], stride: [1, 2], padding: [1, 0], dilation: [1, 1], ceilMode: true };
const avgPool = { kernelSize: [3], stride: [2], padding: [1], ceilMode: true, countIncludePad: false, divisorOverride: null };
const linear = { mode: "linear", alignCorners: false, outputSize: [5, 3], scales: [0, 0] };
const nearest = { mode: "nearest", alignCorners: false, outputSize: [7], scales: [0] };

const vmapCases: VmapCase[] = [
  { name: "maxPoolIndices", label: "(C, H, W) samples, batch last", attrs: maxPool, inputs: [wave([2, 3, 4, 3])], inDims: [3] },
  { name: "maxPoolIndices", label: "(N, C, H, W) samples, folded", attrs: maxPool, inputs: [wave([2, 2, 1, 3, 4])], inDims: [0] },
  { name: "maxPoolValues", label: "batched x, unbatched positions", attrs: { spatialDims: 2 }, inputs: [wave([3, 2, 3, 4]), positions([2, 2, 2], 12)], inDims: [0, null] },
  { name: "maxPoolValues", label: "unbatched x, positions batched last", attrs: { spatialDims: 2 }, inputs: [wave([2, 3, 4]), positions([2, 2, 2, 3], 12)], inDims: [null, 3] },
  { name: "maxPoolBackward", label: "batched g, unbatched positions", attrs: { inputSize: [5] }, inputs: [wave([4, 2, 3]), positions([2, 3], 5)], inDims: [0, null] },
  { name: "maxPoolBackward", label: "unbatched g, batched positions", attrs: { inputSize: [5] }, inputs: [wave([2, 3]), positions([2, 3, 4], 5, 2)], inDims: [null, 2] },
  { name: "avgPool", label: "(C, L) samples, size-1 batch", attrs: avgPool, inputs: [wave([1, 2, 6])], inDims: [0] },
  { name: "avgPool", label: "(N, C, L) samples with N = 0, batch last", attrs: avgPool, inputs: [wave([0, 2, 6, 3])], inDims: [3] },
  { name: "avgPool", label: "(N, C, L) samples, folded", attrs: avgPool, inputs: [wave([3, 2, 1, 6])], inDims: [0] },
  { name: "avgPoolBackward", label: "(N, C, L) samples", attrs: { ...avgPool, inputSize: [6] }, inputs: [wave([2, 2, 3, 4])], inDims: [1] },
  { name: "adaptiveAvgPool", label: "(N, C, H, W) samples, folded", attrs: { outputSize: [2, 3] }, inputs: [wave([2, 1, 2, 5, 4])], inDims: [0] },
  { name: "adaptiveAvgPool", label: "(C, L) samples, batch last", attrs: { outputSize: [3] }, inputs: [wave([2, 5, 3])], inDims: [2] },
  { name: "adaptiveAvgPoolBackward", label: "(N, C, H, W) samples, folded", attrs: { inputSize: [5, 4] }, inputs: [wave([3, 2, 1, 2, 3])], inDims: [0] },
  { name: "interpolate", label: "bilinear, batch last", attrs: linear, inputs: [wave([2, 1, 3, 2, 2])], inDims: [4] },
  { name: "interpolate", label: "nearest 1-D, size-1 batch", attrs: nearest, inputs: [wave([1, 2, 3])], inDims: [0] },
  { name: "interpolateBackward", label: "bilinear", attrs: { ...linear, inputSize: [3, 2] }, inputs: [wave([2, 1, 2, 5, 3])], inDims: [1] },
];

describe("vmap of the pooling ops is one node of the op, equal to a loop over the samples", () => {
  it.each(vmapCases)("$name: $label", ({ name, attrs, inputs, inDims }) => {
    const fn = build(name, attrs);
    const batchDim = inDims.find((d) => d !== null)!;
    const size = inputs[inDims.indexOf(batchDim)].shape[batchDim];
    const mapped = func.vmap(fn, { inDims })(...inputs) as Tensor;
    const ops = opsOf(mapped);
    expect(ops.filter((op) => op === name), `vmap of ${name}: nodes ${ops.join(", ")}`).toHaveLength(1);
    expect(ops, `vmap of ${name} sliced samples apart: ${ops.join(", ")}`).not.toContain("slice");
    const loop = Array.from({ length: size }, (_, b) => valuesOf(fn(...inputs.map((x, i) => (inDims[i] === null ? x : sampleAt(x, inDims[i]!, b)))))).flat();
    expect(mapped.shape).toEqual([size, ...fn(...inputs.map((x, i) => (inDims[i] === null ? x : sampleAt(x, inDims[i]!, 0)))).shape]);
    expect(valuesOf(mapped), `vmap of ${name} against a loop over its ${size} samples`).toEqual(loop);
  });
});

type JvpCase = { name: BuiltinOpName; attrs: Attrs; x: Tensor; others?: Tensor[] };

const jvpCases: JvpCase[] = [
  { name: "maxPoolValues", attrs: { spatialDims: 2 }, x: wave([2, 3, 4]), others: [positions([2, 2, 2], 12)] },
  { name: "maxPoolBackward", attrs: { inputSize: [5] }, x: wave([2, 3]), others: [positions([2, 3], 5)] },
  { name: "avgPool", attrs: avgPool, x: wave([2, 2, 6]) },
  { name: "avgPoolBackward", attrs: { ...avgPool, inputSize: [6] }, x: wave([2, 4]) },
  { name: "adaptiveAvgPool", attrs: { outputSize: [2, 3] }, x: wave([2, 5, 4]) },
  { name: "adaptiveAvgPoolBackward", attrs: { inputSize: [5, 4] }, x: wave([1, 2, 2, 3]) },
  { name: "interpolate", attrs: linear, x: wave([1, 3, 2]) },
  { name: "interpolateBackward", attrs: { ...linear, inputSize: [3, 2] }, x: wave([2, 5, 3]) },
];

describe("jvp through the pooling ops is the op applied to the tangent", () => {
  it.each(jvpCases)("$name", ({ name, attrs, x, others = [] }) => {
    const fn = (v: Tensor) => build(name, attrs)(v, ...others);
    const t = wave(x.shape, 2);
    const before = buildStats.nodes;
    const { tangents } = func.jvp(fn, [x], [t]);
    // The op on the traced sample, on x and on the tangent; the transposed VJP would build a cotangent's
    // zeros, the VJP's node and its gradient besides (the same final graph for these linear ops).
    expect(buildStats.nodes - before, `nodes func.jvp built through ${name}`).toBe(3);
    const tangent = tangents as Tensor;
    expect(tangent.op, `the tangent of ${name}`).toBe(name);
    expect(tangent.inputs[0], `the tangent of ${name} is the op of the tangent`).toBe(t);
    expect(opsOf(tangent), `the tangent of ${name} used the transposed VJP`).not.toContain("standIn");
    // Central differences: exact for a linear op up to rounding.
    const h = 1e-3;
    const step = (sign: number) => valuesOf(fn(tensor(valuesOf(x).map((v, i) => v + sign * h * valuesOf(t)[i]), { shape: x.shape, dtype: "float64" })));
    const [plus, minus] = [step(1), step(-1)];
    valuesOf(tangent).forEach((v, i) => expect(v, `${name} tangent element ${i}`).toBeCloseTo((plus[i] - minus[i]) / (2 * h), 9));
  });

  it("maxPoolIndices takes no tangent: the pooled values' tangent is the tangent at the maxima", () => {
    const x = wave([1, 4, 4]);
    const t = wave([1, 4, 4], 5);
    const pooled = (v: Tensor) => {
      const indices = build("maxPoolIndices", maxPool)(v);
      return build("maxPoolValues", { spatialDims: 2 })(v, indices);
    };
    const tangent = func.jvp(pooled, [x], [t]).tangents as Tensor;
    expect(opsOf(tangent)).not.toContain("standIn");
    const indices = valuesOf(build("maxPoolIndices", maxPool)(x));
    expect(valuesOf(tangent)).toEqual(indices.map((p) => valuesOf(t)[p]));
  });
});
