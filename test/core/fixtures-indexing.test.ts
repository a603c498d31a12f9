/**
 * PyTorch parity for indexing (test/fixtures/indexing.json, written by make_indexing.py): x[...]
 * with numbers, slices and index tensors, indexPut, scatter, scatterAdd, scatterReduce, indexAdd,
 * take, takeAlongDim, maskedFill, maskedSelect and nonzero, with repeated and negative indices,
 * ties and zeros: outputs and vector-Jacobian products in float64, through the function and the
 * Tensor method alike.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import { evaluate, grad, type Tensor, tensor } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";
import { FLOAT64 } from "../helpers/fixtures";

type FixtureNumber = number | "NaN";
interface FixtureTensor {
  shape: number[];
  data: FixtureNumber[];
  dtype?: "int64";
}
/** A gradgraph argument: a literal, an input by name, or a list or object of those. */
type Argument = number | string | boolean | null | { tensor: string } | Argument[] | { [key: string]: Argument };

interface IndexingCase {
  id: string;
  op: string;
  torch: string;
  inputs: Record<string, FixtureTensor>;
  call: Argument[];
  output: FixtureTensor | FixtureTensor[];
  grad_output?: FixtureTensor;
  grads?: Record<string, FixtureTensor>;
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/indexing.json", import.meta.url), "utf8")) as { count: number; cases: IndexingCase[] };

const values = (t: FixtureTensor) => ({ shape: t.shape, data: t.data.map((v) => (v === "NaN" ? NaN : v)) });

/** The case's inputs as leaves: index tensors int32, the rest float64, requiring grad where PyTorch's gradient is recorded. */
function leavesOf(c: IndexingCase): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(c.inputs).map(([name, t]) => [
      name,
      t.dtype === "int64" ? tensor(t.data as number[], { shape: t.shape, dtype: "int32" }) : tensor(values(t).data, { shape: t.shape, dtype: "float64", requiresGrad: name in (c.grads ?? {}) }),
    ]),
  );
}

function resolve(argument: Argument, leaves: Record<string, Tensor>): unknown {
  if (Array.isArray(argument)) return argument.map((a) => resolve(a, leaves));
  if (argument === null || typeof argument !== "object") return argument;
  if (typeof argument.tensor === "string") return leaves[argument.tensor];
  return Object.fromEntries(Object.entries(argument).map(([key, a]) => [key, resolve(a, leaves)]));
}

type Call = (...args: unknown[]) => Tensor | Tensor[];
const functionOf = (op: string): Call => {
  const fn = (F as unknown as Record<string, Call>)[op];
  if (typeof fn !== "function") throw new Error(`no gradgraph function '${op}'`);
  return fn;
};

/** Output tensors against the fixture's: same dtype (int64 indices are int32 here), shape and values. */
function expectOutputs(actual: Tensor | Tensor[], expected: FixtureTensor | FixtureTensor[], label: string): void {
  const [outputs, fixtures] = Array.isArray(expected) ? [actual as Tensor[], expected] : [[actual as Tensor], [expected]];
  expect(outputs).toHaveLength(fixtures.length);
  outputs.forEach((output, k) => {
    expect(output.dtype, `${label} ${k}: dtype`).toBe(fixtures[k].dtype === "int64" ? "int32" : "float64");
    assertClose({ shape: output.shape, data: output.data() }, values(fixtures[k]), { ...FLOAT64, label: `${label} ${k}` });
  });
}

it("reads every case of indexing.json", () => {
  expect(fixture.cases).toHaveLength(fixture.count);
  expect(new Set(fixture.cases.map((c) => c.id)).size).toBe(fixture.count);
});

describe.each(fixture.cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
  it(`${c.torch}: output and vector-Jacobian products match PyTorch`, () => {
    const leaves = leavesOf(c);
    const args = c.call.map((a) => resolve(a, leaves));
    const output = functionOf(c.op)(...args);
    expectOutputs(output, c.output, "output");
    if (c.grads === undefined) return;
    const names = Object.keys(c.grads);
    const upstream = tensor(values(c.grad_output!).data, { shape: c.grad_output!.shape, dtype: "float64" });
    const grads = evaluate(grad(output as Tensor, names.map((name) => leaves[name]), upstream));
    names.forEach((name, i) => assertClose({ shape: leaves[name].shape, data: grads[i] }, values(c.grads![name]), { ...FLOAT64, label: `grad of ${name}` }));
  });

  it("the Tensor method gives the same values", () => {
    const leaves = leavesOf(c);
    const [self, ...rest] = c.call.map((a) => resolve(a, leaves));
    const method = (self as unknown as Record<string, Call>)[c.op];
    expect(typeof method, `Tensor.${c.op}`).toBe("function");
    expectOutputs(method.apply(self, rest), c.output, "method output");
  });
});
