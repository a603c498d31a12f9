/**
 * One property suite that every built-in op runs through: (a) the shape rule against the kernel and
 * a plain-JS reference (float64 and float32), (b) the gradient against central finite differences in
 * float64 (or: no gradient flows), (c) the second-order gradient against finite differences of the
 * gradient. Ops are applied directly (`apply(builtinOps[name], inputs, attrs)`), so each sample
 * exercises the registered op itself, not the convenience builder in front of it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apply, type Attrs, type BuiltinOpName, builtinOps, type DType,
  isFloat, evaluate, func, grad, type OpDef, stack, type Tensor, tensor } from "@gradgraph/core";
import { assertClose, checkGrad, checkGradGrad, checkJvp } from "@gradgraph/core/testing";
import { cases, type OpCase, type OpSample, sizeOf, toRef } from "./op-cases";

// ---------------------------------------------------------------------------------------------
// The suite

const floatInputs = (inputs: readonly Tensor[]) => inputs.flatMap((x, i) => (isFloat(x.dtype) ? [i] : []));

function wrtOf(c: OpCase<any>, sample: OpSample): number[] {
  if (c.nondifferentiable) return [];
  return c.wrt?.(sample) ?? floatInputs(sample.inputs);
}

/** A copy in float32 (float inputs only), to run the same sample through the float32 kernels. */
const asFloat32 = (x: Tensor) => (x.dtype === "float64" ? tensor(x.data(), { shape: x.shape, dtype: "float32" }) : x);

/** Fresh leaves that require grad, so the test also sees whether the op marks its output as differentiable. */
const requiringGrad = (x: Tensor) => (isFloat(x.dtype) ? tensor(x.data(), { shape: x.shape, dtype: x.dtype, requiresGrad: true }) : x);

/** A nonzero upstream gradient (integral, so it also fits an int32 output; 1 and 0 for a bool one). */
const upstreamLike = (output: Tensor) =>
  tensor(Array.from({ length: output.size }, (_, i) => (i % 2 === 0 ? 1 : output.dtype === "bool" ? 0 : -2)), { shape: output.shape, dtype: output.dtype });

const opNames = Object.keys(builtinOps).sort();

/**
 * Sample k of a batch made from one sample's input: its elements rotated by k places, so every
 * sample holds the same values (in the op's domain, indices in range) at other positions.
 */
function rotated(x: Tensor, k: number): Tensor {
  const data = Array.from(x.data());
  const shift = data.length === 0 ? 0 : k % data.length;
  return tensor([...data.slice(shift), ...data.slice(0, shift)], { shape: x.shape, dtype: x.dtype });
}

/** A batch size, and for each input its batch dim or null (unbatched); at least one input is batched. */
const batchingArb = (sample: OpSample) =>
  fc.record({
    size: fc.integer({ min: 1, max: 3 }),
    dims: fc
      .tuple(...sample.inputs.map((x) => fc.option(fc.integer({ min: 0, max: x.shape.length }), { nil: null })))
      .filter((dims) => dims.some((d) => d !== null)),
  });

it("every built-in op states its forward-mode and batching rules, or is elementwise (both derived)", () => {
  const missing = opNames.filter((name) => {
    const def = builtinOps[name as BuiltinOpName] as OpDef<Attrs>;
    return def.elementwise === undefined && (def.batch === undefined || (def.vjp !== "nondifferentiable" && def.jvp === undefined));
  });
  expect(missing).toEqual([]);
});

it("the property suite has a case for every built-in op, and no others", () => {
  expect(Object.keys(cases).sort()).toEqual(opNames);
});

describe.each(Object.keys(cases) as BuiltinOpName[])("op %s", (name) => {
  const def = builtinOps[name] as OpDef<Attrs>;
  const c = cases[name];
  const build = (attrs: Attrs) => (...xs: Tensor[]) => apply(def, xs, attrs);

  it("shape rule, kernel output and a plain-JS reference agree (float64 and float32)", () => {
    fc.assert(
      fc.property(c.sample, ({ inputs, attrs }) => {
        for (const [xs, tolerance] of [
          [inputs, { atol: 1e-12, rtol: 1e-12 }],
          [inputs.map(asFloat32), { atol: 1e-5, rtol: 1e-5 }],
        ] as const) {
          const node = apply(def, xs, attrs);
          expect(node.op).toBe(name);
          const expected = c.reference(xs.map(toRef), attrs);
          expect(node.shape).toEqual(expected.shape);
          expect(node.dtype).toBe(c.outputDType ?? (attrs.dtype as DType | undefined) ?? xs[floatInputs(xs).at(-1) ?? 0].dtype);
          const data = node.data();
          expect(data.length).toBe(sizeOf(node.shape));
          assertClose({ shape: node.shape, data }, expected, { ...tolerance, label: `${name} ${node.dtype}` });
        }
      }),
      { numRuns: 50 },
    );
  });

  it(c.nondifferentiable ? "no gradient flows" : "gradient matches central finite differences in float64", () => {
    fc.assert(
      fc.property(c.sample, (sample) => {
        const wrt = wrtOf(c, sample);
        if (wrt.length > 0) checkGrad(build(sample.attrs), sample.inputs, { ...c.gradCheck, wrt });
        const blocked = floatInputs(sample.inputs).filter((i) => !wrt.includes(i));
        if (blocked.length === 0) return;
        const xs = sample.inputs.map(requiringGrad);
        const output = apply(def, xs, sample.attrs);
        if (c.nondifferentiable) expect(output.requiresGrad).toBe(false);
        const grads = evaluate(grad(output, blocked.map((i) => xs[i]), upstreamLike(output)));
        grads.forEach((g) => expect(g.every((v) => v === 0)).toBe(true));
      }),
      { numRuns: 30 },
    );
  });

  it(c.nondifferentiable ? "forward mode gives no tangent" : "forward-mode tangent matches central finite differences in float64", () => {
    fc.assert(
      fc.property(c.sample, (sample) => {
        const wrt = wrtOf(c, sample);
        if (wrt.length > 0) checkJvp(build(sample.attrs), sample.inputs, { ...c.gradCheck, wrt });
        const moving = c.nondifferentiable ? floatInputs(sample.inputs) : [];
        const output = apply(def, sample.inputs, sample.attrs);
        if (moving.length === 0 || !isFloat(output.dtype)) return;
        const fn = (...xs: Tensor[]) => apply(def, sample.inputs.map((x, i) => (moving.includes(i) ? xs[moving.indexOf(i)] : x)), sample.attrs);
        const { tangents } = func.jvp(fn, moving.map((i) => sample.inputs[i]), moving.map((i) => upstreamLike(sample.inputs[i])));
        expect((tangents as Tensor).data().every((v) => v === 0)).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it("vmap equals a loop over the samples, batched at random dims of random inputs", () => {
    fc.assert(
      fc.property(c.sample.chain((sample) => fc.tuple(fc.constant(sample), batchingArb(sample))), ([{ inputs, attrs }, { size, dims }]) => {
        const samples = Array.from({ length: size }, (_, k) => inputs.map((x) => rotated(x, k)));
        const batchedInputs = inputs.map((x, i) => (dims[i] === null ? x : stack(samples.map((s) => s[i]), dims[i]!)));
        const perSample = samples.map((s) => apply(def, s.map((x, i) => (dims[i] === null ? inputs[i] : x)), attrs));
        const expected = stack(perSample, 0);
        const mapped = func.vmap(build(attrs), { inDims: dims })(...batchedInputs) as Tensor;
        expect(mapped.shape).toEqual(expected.shape);
        expect(mapped.dtype).toBe(expected.dtype);
        assertClose(mapped, expected, { atol: 1e-12, rtol: 1e-12, equalNaN: true, label: `vmap of ${name}` });
      }),
      { numRuns: 20 },
    );
  });

  if (!c.nondifferentiable) {
    it("second-order gradient matches finite differences of the gradient", () => {
      fc.assert(
        fc.property(c.sample, (sample) => {
          const wrt = wrtOf(c, sample);
          if (wrt.length > 0) checkGradGrad(build(sample.attrs), sample.inputs, { ...c.gradCheck, wrt });
        }),
        { numRuns: 20 },
      );
    });
  }
});
