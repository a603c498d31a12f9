/**
 * PyTorch parity for the elementwise math ops and activations (test/fixtures/elementwise.json,
 * written by make_elementwise.py): outputs and vector-Jacobian products in float64, outputs in
 * float32, at the points where PyTorch has conventions (kinks, bounds, round's ties, NaN, ±Infinity).
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
  /** "bool" for PyTorch's bool results (isnan, ...); float otherwise. */
  dtype?: "bool";
}

interface ElementwiseCase {
  id: string;
  op: string;
  args: (FixtureNumber | string | null)[];
  inputs: Record<string, FixtureTensor>;
  output: FixtureTensor;
  float32_output: FixtureTensor;
  grad_output?: FixtureTensor;
  grads?: Record<string, FixtureTensor>;
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/elementwise.json", import.meta.url), "utf8")) as { count: number; cases: ElementwiseCase[] };

const decode = (v: FixtureNumber | string | null) => (typeof v === "string" && v in specials ? specials[v] : v);
const specials: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
const values = (t: FixtureTensor) => ({ shape: t.shape, data: t.data.map((v) => decode(v) as number) });
const leaf = (t: FixtureTensor, dtype: DType) => tensor(values(t).data, { shape: t.shape, dtype });

type Call = (...operands: any[]) => Tensor;
/** The gradgraph function each fixture names; an argument JSON writes as null is one left out. */
const call = (c: ElementwiseCase, inputs: Tensor[]): Tensor => {
  const fn = (F as unknown as Record<string, Call>)[c.op];
  if (typeof fn !== "function") throw new Error(`no gradgraph function '${c.op}'`);
  return fn(...inputs, ...c.args.map((a) => (a === null ? undefined : decode(a))));
};

const float64 = { atol: 1e-10, rtol: 1e-9, equalNaN: true };
/** float32 kernels round a double result once; PyTorch's vectorized ones are within a few ulps. */
const float32 = { atol: 1e-6, rtol: 1e-5, equalNaN: true };

it("reads every case of elementwise.json", () => {
  expect(fixture.cases).toHaveLength(fixture.count);
});

describe.each(fixture.cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
  const names = Object.keys(c.inputs);

  it("output and vector-Jacobian products match PyTorch in float64", () => {
    const inputs = names.map((name) => leaf(c.inputs[name], "float64"));
    const output = call(c, inputs);
    expect(output.dtype).toBe(c.output.dtype ?? "float64");
    assertClose({ shape: output.shape, data: output.data() }, values(c.output), { ...float64, label: "output" });
    if (c.grads === undefined) return;
    const grads = evaluate(grad(output, inputs, leaf(c.grad_output!, "float64")));
    names.forEach((name, i) => assertClose({ shape: inputs[i].shape, data: grads[i] }, values(c.grads![name]), { ...float64, label: `grad of ${name}` }));
  });

  it("output matches PyTorch in float32", () => {
    const output = call(c, names.map((name) => leaf(c.inputs[name], "float32")));
    expect(output.dtype).toBe(c.float32_output.dtype ?? "float32");
    assertClose({ shape: output.shape, data: output.data() }, values(c.float32_output), { ...float32, label: "float32 output" });
  });
});
