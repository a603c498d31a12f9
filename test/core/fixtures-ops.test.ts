/**
 * PyTorch parity for single ops (test/fixtures/ops.json, see its README): the output and the
 * vector-Jacobian product with the recorded grad_output, in float64, at the suggested tolerance.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import { evaluate, grad, type Tensor, tensor } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";

interface FixtureTensor {
  shape: number[];
  data: number[];
}

interface OpCase {
  id: string;
  op: string;
  args: Record<string, unknown>;
  inputs: Record<string, FixtureTensor>;
  output: FixtureTensor;
  grad_output: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/ops.json", import.meta.url), "utf8")) as { count: number; cases: OpCase[] };

const tolerance = { atol: 1e-10, rtol: 1e-9 };

const binary = { add: F.add, sub: F.sub, mul: F.mul, div: F.div, matmul: F.matmul } as const;
const unary = { tanh: F.tanh, sigmoid: F.sigmoid, relu: F.relu, exp: F.exp, log: F.log } as const;

/** The PyTorch call each fixture op names, written with gradgraph's API. */
function build(c: OpCase, a: Tensor, b: Tensor | undefined): Tensor {
  const args = c.args as { dim0: number; dim1: number; dims: number[]; shape: number[]; dim: number | number[] | null; keepdim: boolean };
  if (c.op in binary) return binary[c.op as keyof typeof binary](a, b!);
  if (c.op in unary) return unary[c.op as keyof typeof unary](a);
  switch (c.op) {
    case "transpose":
      return F.transpose(a, args.dim0, args.dim1);
    case "permute":
      return F.permute(a, args.dims);
    case "reshape":
      return F.reshape(a, args.shape);
    case "sum":
      return F.sum(a, args.dim ?? undefined, args.keepdim);
    case "mean":
      return F.mean(a, args.dim ?? undefined, args.keepdim);
    case "softmax":
      return F.softmax(a, args.dim as number);
    case "log_softmax":
      return F.logSoftmax(a, args.dim as number);
  }
  throw new Error(`no gradgraph call for fixture op '${c.op}'`);
}

const float64 = ({ shape, data }: FixtureTensor) => tensor(data, { shape, dtype: "float64" });

it("reads every case of ops.json", () => {
  expect(fixture.cases).toHaveLength(fixture.count);
  expect(new Set(fixture.cases.map((c) => c.op))).toEqual(
    new Set(["matmul", "add", "sub", "mul", "div", "tanh", "sigmoid", "relu", "exp", "log", "transpose", "permute", "reshape", "sum", "mean", "softmax", "log_softmax"]),
  );
});

describe.each(fixture.cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
  it("output and vector-Jacobian products match PyTorch in float64", () => {
    const names = Object.keys(c.inputs);
    const inputs = names.map((name) => float64(c.inputs[name]));
    const output = build(c, inputs[0], inputs[1]);
    const values = evaluate([output, ...grad(output, inputs, float64(c.grad_output))]);
    assertClose({ shape: output.shape, data: values[0] }, c.output, { ...tolerance, label: "output" });
    names.forEach((name, i) => {
      assertClose({ shape: inputs[i].shape, data: values[i + 1] }, c.grads[name], { ...tolerance, label: `grad of ${name}` });
    });
  });
});
