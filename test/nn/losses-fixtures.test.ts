/**
 * Every case of test/fixtures/losses.json (written by make_losses.py with PyTorch 1.13): the
 * loss's output and the gradients of its float inputs for the recorded upstream gradient, in
 * float64. A case whose loss, option or gradient this file does not know fails; so does a
 * file whose case count is off, and the run when a case was left out.
 */
import { readFileSync } from "node:fs";
import { type Tensor, grad, placeholder, tensor } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";
import { describe, expect, test } from "vitest";
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  cosineEmbeddingLoss,
  crossEntropyLoss,
  huberLoss,
  klDivLoss,
  l1Loss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
} from "../../packages/nn/src/losses";
import { FLOAT64 } from "../helpers/fixtures";

/** NaN and ±Infinity are written as the strings String() gives them; JSON has no such numbers. */
type FixtureNumber = number | "NaN" | "Infinity" | "-Infinity";
type FixtureTensor = { shape: number[]; data: FixtureNumber[]; dtype?: "int64" };

type LossCase = {
  id: string;
  loss: string;
  /** The positional arguments, in call order. */
  inputs: Record<string, FixtureTensor>;
  /** Tensor options (weight, pos_weight) and the other options, under PyTorch's names. */
  tensor_kwargs: Record<string, FixtureTensor>;
  kwargs: Record<string, number | string | boolean>;
  output: FixtureTensor;
  grad_output: FixtureTensor;
  /** d(sum(output * grad_output)) / d(input), for every input PyTorch differentiates. */
  grads: Record<string, FixtureTensor>;
};

const file = JSON.parse(readFileSync(new URL("../fixtures/losses.json", import.meta.url), "utf8")) as { count: number; cases: LossCase[] };

type Options = Record<string, unknown>;
const LOSSES: Record<string, (args: Tensor[], options: Options) => Tensor> = {
  mse_loss: ([input, target], options) => mseLoss(input, target, options),
  l1_loss: ([input, target], options) => l1Loss(input, target, options),
  smooth_l1_loss: ([input, target], options) => smoothL1Loss(input, target, options),
  huber_loss: ([input, target], options) => huberLoss(input, target, options),
  nll_loss: ([input, target], options) => nllLoss(input, target, options),
  cross_entropy: ([input, target], options) => crossEntropyLoss(input, target, options),
  binary_cross_entropy: ([input, target], options) => binaryCrossEntropy(input, target, options),
  binary_cross_entropy_with_logits: ([input, target], options) => binaryCrossEntropyWithLogits(input, target, options),
  kl_div: ([input, target], options) => klDivLoss(input, target, options as Parameters<typeof klDivLoss>[2]),
  cosine_embedding_loss: ([input1, input2, target], options) => cosineEmbeddingLoss(input1, input2, target, options),
};

/** PyTorch's keyword arguments under gradgraph's option names. */
const OPTION_NAMES: Record<string, string> = {
  reduction: "reduction",
  beta: "beta",
  delta: "delta",
  weight: "weight",
  pos_weight: "posWeight",
  ignore_index: "ignoreIndex",
  label_smoothing: "labelSmoothing",
  log_target: "logTarget",
  margin: "margin",
};

function optionName(pytorchName: string): string {
  const name = OPTION_NAMES[pytorchName];
  if (name === undefined) throw new Error(`no gradgraph option for PyTorch's '${pytorchName}'`);
  return name;
}

const values = (t: FixtureTensor) => t.data.map(Number);

/** int64 class indices become int32; floats are float64. */
function leaf(t: FixtureTensor, requiresGrad: boolean): Tensor {
  return tensor(values(t), { shape: t.shape, dtype: t.dtype === "int64" ? "int32" : "float64", requiresGrad });
}

/**
 * PyTorch's values at float64 tolerance. The recorded NaNs (a mean over no samples, kl_div's
 * gradient at target 0) are expected; so are the infinities (binary_cross_entropy's target
 * gradient at 0 and 1), which must match exactly: assertClose's rtol · |Infinity| would pass anything.
 */
function expectPyTorch(actual: Tensor, expected: FixtureTensor, label: string): void {
  expect(actual.shape, label).toEqual(expected.shape);
  const data = Array.from(actual.data());
  const want = values(expected);
  const infinite = want.flatMap((v, i) => (Number.isFinite(v) || Number.isNaN(v) ? [] : [i]));
  expect(infinite.map((i) => data[i]), `${label} where PyTorch has ±Infinity`).toEqual(infinite.map((i) => want[i]));
  assertClose(data, want, { ...FLOAT64, equalNaN: true, label });
}

/**
 * The loss of case `c` on its inputs (those PyTorch differentiates require gradients). With
 * `feed`, the class-index target is a placeholder, fed only after the loss is built.
 */
function buildCase(c: LossCase, feed?: "target later"): { output: Tensor; args: Tensor[] } {
  const call = LOSSES[c.loss];
  if (call === undefined) throw new Error(`no gradgraph loss for PyTorch's '${c.loss}'`);
  const slot = feed === undefined ? undefined : placeholder(c.inputs.target.shape, "int32");
  const args = Object.entries(c.inputs).map(([name, t]) => (slot !== undefined && name === "target" ? slot : leaf(t, name in c.grads)));
  const options: Options = Object.fromEntries([
    ...Object.entries(c.tensor_kwargs).map(([name, t]) => [optionName(name), leaf(t, false)]),
    ...Object.entries(c.kwargs).map(([name, value]) => [optionName(name), value]),
  ]);
  const output = call(args, options);
  slot?.assign(values(c.inputs.target));
  return { output, args };
}

const ran = new Set<string>();

describe("PyTorch fixtures (losses.json, float64)", () => {
  test("the file holds as many cases as it says, each with its own id", () => {
    expect(file.cases).toHaveLength(file.count);
    expect(new Set(file.cases.map((c) => c.id)).size).toBe(file.count);
  });

  for (const c of file.cases) {
    test(c.id, () => {
      const { output, args } = buildCase(c);
      expectPyTorch(output, c.output, "output");
      const names = Object.keys(c.inputs);
      const wrt = Object.keys(c.grads).map((name) => {
        const index = names.indexOf(name);
        if (index < 0) throw new Error(`a gradient for '${name}', which is no input`);
        return args[index];
      });
      const gradients = grad(output, wrt, leaf(c.grad_output, false));
      Object.entries(c.grads).forEach(([name, expected], i) => expectPyTorch(gradients[i], expected, `grad ${name}`));
      ran.add(c.id);
    });
  }

  test("every case ran and passed", () => {
    expect(file.cases.filter((c) => !ran.has(c.id)).map((c) => c.id)).toEqual([]);
  });
});

describe("class indices fed through a placeholder after the loss is built (checked when evaluated)", () => {
  const indexCases = file.cases.filter((c) => c.inputs.target?.dtype === "int64");
  test("there are such cases", () => expect(indexCases.length).toBeGreaterThan(0));
  for (const c of indexCases) {
    test(c.id, () => expectPyTorch(buildCase(c, "target later").output, c.output, "output"));
  }
});
