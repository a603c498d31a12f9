/**
 * PyTorch parity for the convolutions, poolings and interpolate (the "functional" cases of
 * test/fixtures/conv.json, written by make_conv.py): outputs and vector-Jacobian products for
 * input, weight and bias in float64, outputs in float32, max pooling's indices bit for bit.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import { type DType, evaluate, grad, type Tensor, tensor } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";

type FixtureNumber = number | "NaN" | "Infinity" | "-Infinity";
interface FixtureTensor {
  shape: number[];
  data: FixtureNumber[];
  dtype?: "int64";
}
interface Results {
  output: FixtureTensor;
  indices?: FixtureTensor;
}

interface FunctionalCase {
  id: string;
  kind: "functional";
  function: string;
  args: ({ tensor: string } | number | number[] | null)[];
  options: Record<string, unknown>;
  inputs: Record<string, FixtureTensor>;
  grad_output: FixtureTensor;
  /**
   * forward_grads: where upsample_nearest1d's backward sends gradients elsewhere than its forward
   * read from, the derivative of the forward (gradgraph's gradient).
   */
  float64: Results & { grads: Record<string, FixtureTensor>; forward_grads?: Record<string, FixtureTensor> };
  float32: Results;
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/conv.json", import.meta.url), "utf8")) as { count: number; cases: { id: string; kind: string }[] };
const functionalCases = fixture.cases.filter((c): c is FunctionalCase => c.kind === "functional");

const specials: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
const values = (t: FixtureTensor) => ({ shape: t.shape, data: t.data.map((v) => (typeof v === "string" ? specials[v] : v)) });
const leaf = (t: FixtureTensor, dtype: DType) => tensor(values(t).data, { shape: t.shape, dtype });

type Call = (...args: unknown[]) => Tensor | { values: Tensor; indices: Tensor };
/** gradgraph's function of the case, on its positional arguments (tensors by name, null left out) and its options. */
function call(c: FunctionalCase, inputs: Record<string, Tensor>) {
  const fn = (F as unknown as Record<string, Call>)[c.function];
  if (typeof fn !== "function") throw new Error(`no gradgraph function '${c.function}'`);
  const args = c.args.map((a) => (a === null ? undefined : typeof a === "object" && !Array.isArray(a) ? inputs[a.tensor] : a));
  const result = fn(...args, c.options);
  return result instanceof F.Tensor ? { output: result, indices: undefined } : { output: result.values, indices: result.indices };
}

const float64 = { atol: 1e-10, rtol: 1e-9, equalNaN: true };
/** PyTorch's float32 convolutions sum in another order (mkldnn); the float32 tolerance of the README. */
const float32 = { atol: 1e-5, rtol: 1e-4, equalNaN: true };

function expectIndices(actual: Tensor | undefined, expected: FixtureTensor | undefined): void {
  if (expected === undefined) return expect(actual).toBeUndefined();
  expect(actual!.dtype).toBe("int32");
  expect(actual!.shape).toEqual(expected.shape);
  expect(Array.from(actual!.data())).toEqual(expected.data);
}

const ran = new Set<string>();

it("conv.json holds its count of cases, and only kinds this file or test/nn/conv-modules.test.ts reads", () => {
  expect(fixture.cases).toHaveLength(fixture.count);
  for (const c of fixture.cases) expect(["functional", "init", "module"], c.id).toContain(c.kind);
});

describe.each(functionalCases.map((c) => [c.id, c] as const))("%s", (id, c) => {
  const names = Object.keys(c.inputs);

  it("output, indices and vector-Jacobian products match PyTorch in float64", () => {
    const inputs = Object.fromEntries(names.map((name) => [name, leaf(c.inputs[name], "float64")]));
    const { output, indices } = call(c, inputs);
    assertClose({ shape: output.shape, data: output.data() }, values(c.float64.output), { ...float64, label: "output" });
    expectIndices(indices, c.float64.indices);
    const grads = evaluate(grad(output, names.map((name) => inputs[name]), leaf(c.grad_output, "float64")));
    const expected = c.float64.forward_grads ?? c.float64.grads;
    names.forEach((name, i) => assertClose({ shape: c.inputs[name].shape, data: grads[i] }, values(expected[name]), { ...float64, label: `grad of ${name}` }));
    ran.add(id);
  });

  it("output and indices match PyTorch in float32", () => {
    const { output, indices } = call(c, Object.fromEntries(names.map((name) => [name, leaf(c.inputs[name], "float32")])));
    expect(output.dtype).toBe("float32");
    assertClose({ shape: output.shape, data: output.data() }, values(c.float32.output), { ...float32, label: "float32 output" });
    expectIndices(indices, c.float32.indices);
  });
});

it("ran every functional case", () => {
  expect([...ran].sort()).toEqual(functionalCases.map((c) => c.id).sort());
});
