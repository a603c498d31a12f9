/**
 * PyTorch parity for the reductions and scans (test/fixtures/reductions.json, written by
 * make_reductions.py): values, indices and vector-Jacobian products in float64, values in
 * float32, at ties, zeros, NaN and infinities.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import { type DType, evaluate, grad, Tensor, tensor } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";

type FixtureNumber = number | "NaN" | "Infinity" | "-Infinity";
interface FixtureTensor {
  shape: number[];
  data: FixtureNumber[];
}

interface ReductionCase {
  id: string;
  op: string;
  args: unknown[];
  inputs: { x: FixtureTensor };
  output: FixtureTensor;
  /** The output is an index (argmax, argsort), compared exactly. */
  integer?: true;
  indices?: FixtureTensor;
  float32_output: FixtureTensor;
  grad_output?: FixtureTensor;
  grads?: { x: FixtureTensor };
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/reductions.json", import.meta.url), "utf8")) as { count: number; cases: ReductionCase[] };

const specials: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
const decode = (v: unknown) => (typeof v === "string" && v in specials ? specials[v] : v);
const values = (t: FixtureTensor) => ({ shape: t.shape, data: t.data.map((v) => decode(v) as number) });
const leaf = (t: FixtureTensor, dtype: DType) => tensor(values(t).data, { shape: t.shape, dtype });

type Result = Tensor | F.ValuesAndIndices;
/** The gradgraph function the fixture names, with PyTorch's positional arguments. */
function call(c: ReductionCase, x: Tensor): { values: Tensor; indices?: Tensor } {
  const fn = (F as unknown as Record<string, (...args: unknown[]) => Result>)[c.op];
  if (typeof fn !== "function") throw new Error(`no gradgraph function '${c.op}'`);
  const result = fn(x, ...c.args.map(decode));
  return result instanceof Tensor ? { values: result } : result;
}

const float64 = { atol: 1e-10, rtol: 1e-9, equalNaN: true };
const float32 = { atol: 1e-5, rtol: 1e-5, equalNaN: true };
const exactly = { atol: 0, rtol: 0 };

it("reads every case of reductions.json", () => {
  expect(fixture.cases).toHaveLength(fixture.count);
});

describe.each(fixture.cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
  it("values, indices and the vector-Jacobian product match PyTorch in float64", () => {
    const x = leaf(c.inputs.x, "float64");
    const { values: output, indices } = call(c, x);
    assertClose({ shape: output.shape, data: output.data() }, values(c.output), { ...(c.integer ? exactly : float64), label: "output" });
    expect(indices === undefined, "indices returned where PyTorch returns them").toBe(c.indices === undefined);
    if (indices !== undefined) {
      expect(indices.dtype).toBe("int32");
      assertClose({ shape: indices.shape, data: indices.data() }, values(c.indices!), { ...exactly, label: "indices" });
    }
    if (c.grads === undefined) return;
    const [g] = evaluate(grad(output, [x], leaf(c.grad_output!, "float64")));
    assertClose({ shape: x.shape, data: g }, values(c.grads.x), { ...float64, label: "grad of x" });
  });

  it("values match PyTorch in float32", () => {
    const { values: output } = call(c, leaf(c.inputs.x, "float32"));
    assertClose({ shape: output.shape, data: output.data() }, values(c.float32_output), { ...(c.integer ? exactly : float32), label: "float32 output" });
  });
});
