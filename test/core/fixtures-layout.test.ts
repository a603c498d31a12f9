/**
 * PyTorch parity for layout and creation (test/fixtures/layout.json, written by make_layout.py):
 * the layout ops and composites with their vector-Jacobian products in float64, evaluated and
 * compiled; the creation functions bit for bit in float32, float64 and int32; the random ones
 * after the same seed, with the generator's next draws; and PyTorch's errors.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import { compile, type DType, evaluate, grad, manualSeed, OpError, rand, type Tensor, tensor } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";

type FixtureNumber = number | "NaN" | "Infinity" | "-Infinity";
interface FixtureTensor {
  dtype: DType;
  shape: number[];
  data: FixtureNumber[];
}
type Argument = number | string | boolean | null | { tensor: string } | { dtype: DType } | Argument[];

interface LayoutCase {
  id: string;
  /** The gradgraph function, called with `call` (an input as `{ tensor: name }`, null for an argument left out). */
  fn: string;
  call: Argument[];
  inputs?: Record<string, FixtureTensor>;
  output?: FixtureTensor;
  outputs?: FixtureTensor[];
  grad_outputs?: FixtureTensor[];
  grads?: Record<string, FixtureTensor>;
  /** Random cases: torch.manual_seed(seed) before the call, and torch.rand(4) after it. */
  seed?: number;
  after?: FixtureTensor;
  /** Values within this many units in the last place (JS's pow, log, sin, cos are not glibc's). */
  ulps?: number;
  error?: string;
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/layout.json", import.meta.url), "utf8")) as { count: number; cases: LayoutCase[] };

const specials: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
const decode = (v: FixtureNumber) => (typeof v === "string" ? specials[v] : v);
const load = (t: FixtureTensor) => tensor(t.data.map(decode), { shape: t.shape, dtype: t.dtype });

function argument(a: Argument, inputs: Record<string, Tensor>): unknown {
  if (a === null) return undefined;
  if (Array.isArray(a)) return a.map((v) => argument(v, inputs));
  if (typeof a === "object" && "tensor" in a) return inputs[a.tensor];
  return typeof a === "string" && a in specials ? specials[a] : a;
}

function call(c: LayoutCase, inputs: Record<string, Tensor>): Tensor | Tensor[] {
  const fn = (F as unknown as Record<string, (...args: unknown[]) => Tensor | Tensor[]>)[c.fn];
  if (typeof fn !== "function") throw new Error(`no gradgraph function '${c.fn}'`);
  return fn(...c.call.map((a) => argument(a, inputs)));
}

const loadInputs = (c: LayoutCase) => Object.fromEntries(Object.entries(c.inputs ?? {}).map(([name, t]) => [name, load(t)]));

/** Bit for bit (any NaN equals any NaN), or within `ulps` units in the last place of the expected value. */
function expectValues(actual: ArrayLike<number>, expected: FixtureTensor, label: string, ulps = 0): void {
  expect(actual.length, `${label}: length`).toBe(expected.data.length);
  const mantissaBits = expected.dtype === "float32" ? 23 : 52;
  expected.data.forEach((raw, i) => {
    const [a, e] = [actual[i], decode(raw)];
    if (Object.is(a, e) || (a !== a && e !== e)) return;
    const ulp = e === 0 ? 2 ** -1074 : 2 ** (Math.floor(Math.log2(Math.abs(e))) - mantissaBits);
    if (!(Math.abs(a - e) <= ulps * ulp)) expect.fail(`${label}[${i}]: got ${a}, PyTorch ${e}`);
  });
}

function expectTensor(actual: Tensor, expected: FixtureTensor, label: string, ulps = 0): void {
  expect(actual.dtype, `${label}: dtype`).toBe(expected.dtype);
  expect(actual.shape, `${label}: shape`).toEqual(expected.shape);
  expectValues(actual.data(), expected, label, ulps);
}

/** einsum sums products in its own order (PyTorch's is bmm's); everything else here copies values or sums exact ones. */
const float64Sums = { atol: 1e-12, rtol: 1e-12 };

/**
 * PyTorch's message without its prefix (`einsum(): `, `torch.meshgrid: `, `Argument #4: `) and
 * final period: gradgraph's OpError says the same after naming its op, its first letter perhaps
 * in lower case.
 */
const pytorchText = (message: string) => message.replace(/^(([\w.]+\(\)|torch\.\w+|\w+|Argument #\d+): )+/, "").replace(/\.$/, "");
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The cases whose values or errors were checked, and how many gradients were. */
const ran = new Set<string>();
let gradientsChecked = 0;

it("reads every case of layout.json", () => {
  expect(fixture.cases).toHaveLength(fixture.count);
  expect(new Set(fixture.cases.map((c) => c.id)).size).toBe(fixture.count);
});

describe.each(fixture.cases.map((c) => [c.id, c] as const))("%s", (id, c) => {
  if (c.error !== undefined) {
    it("fails as PyTorch fails", () => {
      const build = () => call(c, loadInputs(c));
      expect(build).toThrow(OpError);
      expect(build).toThrow(new RegExp(escaped(pytorchText(c.error!)), "i"));
      ran.add(id);
    });
    return;
  }

  if (c.seed !== undefined) {
    it("draws PyTorch's values after the same seed, and leaves the generator where PyTorch does", () => {
      const inputs = loadInputs(c);
      manualSeed(c.seed!);
      expectTensor(call(c, inputs) as Tensor, c.output!, "output", c.ulps);
      expectTensor(rand([4]), c.after!, "the draw after it");
      ran.add(id);
    });
    return;
  }

  it("gives PyTorch's values, evaluated and compiled", () => {
    const result = call(c, loadInputs(c));
    const outputs = Array.isArray(result) ? result : [result];
    const expected = c.outputs ?? [c.output!];
    expect(outputs).toHaveLength(expected.length);
    const compiled = compile({ outputs }).run();
    outputs.forEach((y, i) => {
      if (c.fn === "einsum") {
        expect(y.shape).toEqual(expected[i].shape);
        assertClose({ shape: y.shape, data: y.data() }, { shape: expected[i].shape, data: expected[i].data.map(decode) }, { ...float64Sums, label: "output" });
        assertClose({ shape: y.shape, data: compiled[i] }, { shape: expected[i].shape, data: expected[i].data.map(decode) }, { ...float64Sums, label: "compiled" });
        return;
      }
      expectTensor(y, expected[i], `output ${i}`, c.ulps);
      expectValues(compiled[i], expected[i], `compiled output ${i}`, c.ulps);
    });
    ran.add(id);
  });

  if (c.grads === undefined) return;
  it("gives PyTorch's vector-Jacobian products", () => {
    const inputs = loadInputs(c);
    const names = Object.keys(c.grads!);
    const result = call(c, inputs);
    const outputs = Array.isArray(result) ? result : [result];
    // The VJP of several outputs: d/dx of sum_i <output_i, grad_output_i>.
    const loss = outputs.map((y, i) => y.mul(load(c.grad_outputs![i])).sum()).reduce((a, b) => a.add(b));
    const grads = evaluate(grad(loss, names.map((name) => inputs[name])));
    names.forEach((name, i) => {
      const expected = c.grads![name];
      if (c.fn === "einsum") {
        assertClose({ shape: inputs[name].shape, data: grads[i] }, { shape: expected.shape, data: expected.data.map(decode) }, { ...float64Sums, label: `grad of ${name}` });
      } else {
        expectValues(grads[i], expected, `grad of ${name}`);
      }
    });
    gradientsChecked++;
  });
});

afterAll(() => {
  // Every case ran (a case of a kind this file does not read would be left out silently).
  expect(fixture.cases.filter((c) => !ran.has(c.id)).map((c) => c.id)).toEqual([]);
  expect(gradientsChecked).toBe(fixture.cases.filter((c) => c.grads !== undefined).length);
});
