/**
 * PyTorch parity at the edges (test/fixtures/conventions.json, made by make_conventions.py; see
 * the fixtures README): int32 arithmetic and its overflow, true and floor division, remainders,
 * int casts of NaN and ±Infinity, pow at base 0 and maximum/minimum with NaN with their gradients,
 * empty tensors through softmax and the reductions, and PyTorch's errors. Values are compared
 * bit for bit (any NaN equals any NaN), evaluated and compiled.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import { compile, type DType, evaluate, grad, OpError, type Tensor, tensor } from "@gradgraph/core";

interface FixtureTensor {
  dtype: DType;
  shape: number[];
  /** Non-finite values are the strings "NaN", "Infinity" and "-Infinity". */
  data: (number | string)[];
}

interface ConventionCase {
  id: string;
  op: string;
  args: { exponent?: number; dtype?: DType; dim?: number | number[] | null; keepdim?: boolean };
  inputs: Record<string, FixtureTensor>;
  output?: FixtureTensor;
  error?: string;
  differentiable?: boolean;
  grad_output?: FixtureTensor;
  grads?: Record<string, FixtureTensor>;
  grad_error?: string;
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/conventions.json", import.meta.url), "utf8")) as {
  count: number;
  cases: ConventionCase[];
};

const values = (t: FixtureTensor): number[] => t.data.map(Number);
const load = (t: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(values(t), { shape: t.shape, dtype: t.dtype, requiresGrad: requiresGrad && t.dtype !== "int32" });

const binary = {
  add: F.add,
  sub: F.sub,
  mul: F.mul,
  div: F.div,
  floor_divide: F.floorDivide,
  remainder: F.remainder,
  maximum: F.maximum,
  minimum: F.minimum,
} as const;

/** The PyTorch call each fixture op names, written with gradgraph's API. */
function build(c: ConventionCase, inputs: Tensor[]): Tensor {
  const [a, b] = inputs;
  if (c.op in binary) return binary[c.op as keyof typeof binary](a, b);
  switch (c.op) {
    case "pow":
      return F.pow(a, c.args.exponent ?? b);
    case "to":
      return F.cast(a, c.args.dtype!);
    case "sum":
      // gradgraph's int32 sum stays int32: the fixture's is PyTorch's sum(dtype=torch.int32).
      expect(c.args.dtype ?? a.dtype).toBe(a.dtype);
      return F.sum(a, c.args.dim ?? undefined, c.args.keepdim);
    case "mean":
      return F.mean(a, c.args.dim ?? undefined, c.args.keepdim);
    case "amax":
      return F.amax(a, c.args.dim ?? undefined, c.args.keepdim);
    case "softmax":
      return F.softmax(a, c.args.dim as number);
    case "log_softmax":
      return F.logSoftmax(a, c.args.dim as number);
    case "logsumexp":
      return F.logSumExp(a, c.args.dim as number);
  }
  throw new Error(`no gradgraph call for fixture op '${c.op}'`);
}

/** Bitwise equality, except that any NaN equals any NaN. */
function expectSameBits(actual: ArrayLike<number>, expected: FixtureTensor, label: string): void {
  const want = values(expected);
  expect(actual.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const [a, e] = [actual[i], want[i]];
    if (!(Object.is(a, e) || (a !== a && e !== e))) expect.fail(`${label}[${i}]: got ${Object.is(a, -0) ? "-0" : a}, PyTorch ${Object.is(e, -0) ? "-0" : e}`);
  }
}

/** PyTorch's message without its `op(): ` prefix and final period: gradgraph's message says the same after naming the op. */
const pytorchText = (message: string) => message.replace(/^\w+\(\): /, "").replace(/\.$/, "");

it("reads every case of conventions.json", () => {
  expect(fixture.cases).toHaveLength(fixture.count);
  expect(new Set(fixture.cases.map((c) => c.id)).size).toBe(fixture.count);
});

describe.each(fixture.cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
  const names = Object.keys(c.inputs);

  if (c.error !== undefined) {
    it("fails as PyTorch fails, evaluated and compiled", () => {
      const run = (realize: (y: Tensor) => void) => () => realize(build(c, names.map((name) => load(c.inputs[name]))));
      for (const [how, realize] of [
        ["evaluated", (y: Tensor) => y.data()],
        ["compiled", (y: Tensor) => compile({ outputs: [y] }).run()],
      ] as const) {
        expect(run(realize), how).toThrow(OpError);
        expect(run(realize), how).toThrow(pytorchText(c.error!));
      }
    });
    return;
  }

  it("gives PyTorch's values, evaluated and compiled", () => {
    const y = build(c, names.map((name) => load(c.inputs[name])));
    expect(y.dtype).toBe(c.output!.dtype);
    expect(y.shape).toEqual(c.output!.shape);
    expectSameBits(y.data(), c.output!, "evaluated");
    expectSameBits(compile({ outputs: [y] }).run()[0], c.output!, "compiled");
  });

  if (c.differentiable === undefined) return;
  // An int32 result takes no gradient. floor_divide has no derivative in PyTorch 1.13, which
  // refuses its backward; gradgraph declares it non-differentiable (its derivative is 0 wherever
  // it has one), so no gradient flows.
  const noGradient = !c.differentiable || c.grad_error !== undefined;
  it(noGradient ? "passes no gradient" : "gives PyTorch's gradients", () => {
    const inputs = names.map((name) => load(c.inputs[name], true));
    const y = build(c, inputs);
    const floats = inputs.filter((x) => x.requiresGrad);
    const upstream = noGradient ? F.ones(y.shape, { dtype: y.dtype }) : load(c.grad_output!);
    const gradients = evaluate(grad(y, floats, upstream));
    floats.forEach((x, i) => {
      const name = names[inputs.indexOf(x)];
      if (noGradient) expect(Array.from(gradients[i]).every((v) => v === 0), `gradient of ${name}`).toBe(true);
      else expectSameBits(gradients[i], c.grads![name], `gradient of ${name}`);
    });
  });
});
