/**
 * The random functions of test/fixtures/transforms.json (see make_transforms.py for the format):
 * a list of steps over numbered values, built here with gradgraph's ops as PyTorch built them there.
 */
import * as F from "@gradgraph/core";
import type { Tensor } from "@gradgraph/core";

export type Step = [string, ...number[]];

const unary: Record<string, (a: Tensor) => Tensor> = {
  tanh: F.tanh,
  sin: F.sin,
  cos: F.cos,
  sigmoid: F.sigmoid,
  softplus: (a) => F.softplus(a),
  exp: F.exp,
  square: F.square,
  neg: F.neg,
};

const binary: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  add: (a, b) => F.add(a, b),
  sub: (a, b) => F.sub(a, b),
  mul: (a, b) => F.mul(a, b),
  divsafe: (a, b) => F.div(a, F.add(F.mul(b, b), 1)),
};

function runStep([op, ...operands]: Step, values: readonly Tensor[]): Tensor {
  const [a, b] = operands.map((i) => values[i]);
  if (op in unary) return unary[op](a);
  if (op in binary) return binary[op](a, b);
  if (op === "sumlast") return F.sum(a, -1, true);
  if (op === "mean0") return F.mean(a, 0, true);
  if (op === "matmul") return F.matmul(a, b);
  throw new Error(`unknown step '${op}'`);
}

/** The case's function: its inputs in, the listed values out (always a list, as PyTorch's tuple). */
export function buildFunction(steps: readonly Step[], outputs: readonly number[]): (...xs: Tensor[]) => Tensor[] {
  return (...xs) => {
    const values = [...xs];
    for (const step of steps) values.push(runStep(step, values));
    return outputs.map((i) => values[i]);
  };
}

/** The scalar the Hessian and hvp take: sum(out0) - 0.5 * sum(out1). */
export function scalarOf(fn: (...xs: Tensor[]) => Tensor[]): (...xs: Tensor[]) => Tensor {
  return (...xs) => {
    const [first, second] = fn(...xs);
    const total = F.sum(first);
    return second === undefined ? total : F.sub(total, F.mul(F.sum(second), 0.5));
  };
}
