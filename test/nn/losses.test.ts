import { grad, placeholder, randn, Generator, tensor, type Tensor, zeros } from "@gradgraph/core";
import { assertClose, checkGrad, checkGradGrad } from "@gradgraph/core/testing";
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
import { FLOAT64, type FixtureTensor, fromFixture, loadFixture } from "../helpers/fixtures";

type LossCase = {
  id: string;
  loss: "mse" | "cross_entropy";
  reduction: "mean" | "sum";
  input: FixtureTensor;
  target: FixtureTensor;
  output: number;
  grad_input: FixtureTensor;
  grad_target?: FixtureTensor;
};

describe("PyTorch fixtures (loss.json, float64)", () => {
  for (const c of loadFixture<LossCase>("loss.json")) {
    test(c.id, () => {
      const input = fromFixture(c.input, "float64", { requiresGrad: true });
      const target = fromFixture(c.target, "float64", { requiresGrad: c.loss === "mse" });
      const output =
        c.loss === "mse" ? mseLoss(input, target, { reduction: c.reduction }) : crossEntropyLoss(input, target, { reduction: c.reduction });
      expect(output.shape).toEqual([]);
      assertClose(output.item(), c.output, { ...FLOAT64, label: "output" });
      const wrt = c.grad_target === undefined ? [input] : [input, target];
      const [gInput, gTarget] = grad(output, wrt);
      assertClose(gInput.data(), c.grad_input.data, { ...FLOAT64, label: "grad_input" });
      if (c.grad_target !== undefined) assertClose(gTarget.data(), c.grad_target.data, { ...FLOAT64, label: "grad_target" });
    });
  }
});

const gen = () => new Generator(1234);
const f64 = (shape: number[], g: Generator) => randn(shape, { dtype: "float64", generator: g });

describe("reductions against explicit loops", () => {
  test("mseLoss none / sum / mean", () => {
    const g = gen();
    const [a, b] = [f64([3, 4], g), f64([3, 4], g)];
    const [x, y] = [a.data(), b.data()];
    const squares = Array.from(x, (v, i) => (v - y[i]) ** 2);
    assertClose(mseLoss(a, b, { reduction: "none" }).data(), squares, { ...FLOAT64, label: "none" });
    const total = squares.reduce((s, v) => s + v, 0);
    assertClose(mseLoss(a, b, { reduction: "sum" }).item(), total, { ...FLOAT64, label: "sum" });
    assertClose(mseLoss(a, b).item(), total / 12, { ...FLOAT64, label: "mean (default)" });
  });

  /** -log softmax(row)[k], computed directly. */
  const nll = (row: number[], k: number) => {
    const m = Math.max(...row);
    return Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) + m - row[k];
  };

  test("crossEntropyLoss (N, C): none / sum / mean", () => {
    const logits = f64([4, 5], gen());
    const labels = [4, 0, 2, 2];
    const target = tensor(labels, { dtype: "int32" });
    const rows = logits.toArray() as number[][];
    const perSample = rows.map((row, i) => nll(row, labels[i]));
    assertClose(crossEntropyLoss(logits, target, { reduction: "none" }).data(), perSample, { ...FLOAT64, label: "none" });
    assertClose(crossEntropyLoss(logits, target, { reduction: "sum" }).item(), perSample.reduce((s, v) => s + v), { ...FLOAT64, label: "sum" });
    assertClose(crossEntropyLoss(logits, target).item(), perSample.reduce((s, v) => s + v) / 4, { ...FLOAT64, label: "mean" });
  });

  test("crossEntropyLoss (N, C, d): the class dim is 1, as in PyTorch", () => {
    const logits = f64([2, 3, 4], gen()); // N=2, C=3, d=4
    const labels = [
      [0, 1, 2, 1],
      [2, 2, 0, 1],
    ];
    const loss = crossEntropyLoss(logits, tensor(labels, { dtype: "int32" }), { reduction: "none" });
    expect(loss.shape).toEqual([2, 4]);
    const x = logits.toArray() as number[][][];
    const expected = labels.flatMap((row, n) => row.map((k, j) => nll([0, 1, 2].map((c) => x[n][c][j]), k)));
    assertClose(loss.data(), expected, { ...FLOAT64, label: "none" });
  });

  test("crossEntropyLoss with a class index fed later through a placeholder", () => {
    const logits = f64([2, 3], gen());
    const target = placeholder([2], "int32", "labels");
    const loss = crossEntropyLoss(logits, target, { reduction: "sum" });
    target.assign([1, 2]);
    const rows = logits.toArray() as number[][];
    assertClose(loss.item(), nll(rows[0], 1) + nll(rows[1], 2), { ...FLOAT64, label: "sum" });
  });
});

describe("binaryCrossEntropyWithLogits", () => {
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

  test("equals -(y log s + (1-y) log(1-s)) for moderate logits, with every reduction", () => {
    const g = gen();
    const logits = f64([2, 5], g);
    const target = tensor(Array.from({ length: 10 }, (_, i) => i / 9), { shape: [2, 5], dtype: "float64" });
    const x = logits.data();
    const y = target.data();
    const naive = Array.from(x, (v, i) => -(y[i] * Math.log(sigmoid(v)) + (1 - y[i]) * Math.log(1 - sigmoid(v))));
    assertClose(binaryCrossEntropyWithLogits(logits, target, { reduction: "none" }).data(), naive, { ...FLOAT64, label: "none" });
    const total = naive.reduce((s, v) => s + v);
    assertClose(binaryCrossEntropyWithLogits(logits, target, { reduction: "sum" }).item(), total, { ...FLOAT64, label: "sum" });
    assertClose(binaryCrossEntropyWithLogits(logits, target).item(), total / 10, { ...FLOAT64, label: "mean" });
  });

  test("stays finite and exact for huge logits, where the naive form overflows", () => {
    const logits = tensor([1000, -1000, 800, -40], { dtype: "float64" });
    const target = tensor([0, 1, 1, 0], { dtype: "float64" });
    // log(1 + e^-40) = e^-40 to double precision; the others are exactly |x| or 0.
    expect(Array.from(binaryCrossEntropyWithLogits(logits, target, { reduction: "none" }).data())).toEqual([1000, 1000, 0, Math.exp(-40)]);
  });

  test("first and second derivatives match finite differences (logits and target)", () => {
    const g = gen();
    const logits = f64([3, 4], g);
    const target = tensor(Array.from({ length: 12 }, (_, i) => ((i * 7) % 12) / 11), { shape: [3, 4], dtype: "float64" });
    const loss = (x: Tensor, y: Tensor) => binaryCrossEntropyWithLogits(x, y, { reduction: "none" });
    const tol = { atol: 1e-8, rtol: 1e-6 };
    checkGrad(loss, [logits, target], tol);
    checkGradGrad(loss, [logits, target], tol);
  });

  test("the gradient at logit 0 is sigmoid(0) - y, not a subgradient of relu/abs", () => {
    const logits = tensor([0, 0, 0], { dtype: "float64", requiresGrad: true });
    const target = tensor([0, 0.25, 1], { dtype: "float64" });
    const [g] = grad(binaryCrossEntropyWithLogits(logits, target, { reduction: "sum" }), [logits]);
    expect(Array.from(g.data())).toEqual([0.5, 0.25, -0.5]);
  });

  test("second derivative in the logits is sigmoid(x)(1 - sigmoid(x))", () => {
    const values = [-3, -0.5, 0, 2];
    const logits = tensor(values, { dtype: "float64", requiresGrad: true });
    const target = tensor([1, 0, 0.5, 0.2], { dtype: "float64" });
    const [first] = grad(binaryCrossEntropyWithLogits(logits, target, { reduction: "sum" }), [logits]);
    const [second] = grad(first.sum(), [logits]);
    assertClose(second.data(), values.map((x) => sigmoid(x) * (1 - sigmoid(x))), { ...FLOAT64, label: "d2/dx2" });
  });
});

/** A call JS users could write that TypeScript would refuse. */
const any = (value: unknown) => value as never;

describe("errors name the loss, what it expected and what came", () => {
  const a = tensor([[1, 2], [3, 4], [5, 6]]);
  const labels = tensor([0, 1, 1], { dtype: "int32" });
  const probabilities = tensor([[0.5, 0.25], [0.125, 1], [0, 0.75]]);

  test("shape mismatches name both shapes", () => {
    expect(() => mseLoss(a, tensor([1, 2, 3]))).toThrow("mseLoss: input [3, 2] and target [3] must have the same shape");
    expect(() => l1Loss(a, a.reshape(2, 3))).toThrow("l1Loss: input [3, 2] and target [2, 3] must have the same shape");
    expect(() => huberLoss(a, a.reshape(6))).toThrow("huberLoss: input [3, 2] and target [6] must have the same shape");
    expect(() => binaryCrossEntropyWithLogits(a, tensor([[1, 2, 3]]))).toThrow(
      "binaryCrossEntropyWithLogits: input [3, 2] and target [1, 3] must have the same shape",
    );
    expect(() => binaryCrossEntropy(probabilities, probabilities.reshape(6))).toThrow(
      "binaryCrossEntropy: input [3, 2] and target [6] must have the same shape",
    );
    expect(() => klDivLoss(a, a.sum(1))).toThrow("klDivLoss: input [3, 2] and target [3] must have the same shape");
    expect(() => crossEntropyLoss(a, tensor([0, 1], { dtype: "int32" }))).toThrow(
      "crossEntropyLoss: logits [3, 2] need a target of shape [3], got [2]",
    );
    expect(() => nllLoss(zeros([2, 3, 4]), zeros([2, 3], { dtype: "int32" }))).toThrow(
      "nllLoss: input [2, 3, 4] needs a target of shape [2, 4], got [2, 3]",
    );
    expect(() => crossEntropyLoss(tensor(1), tensor(0, { dtype: "int32" }))).toThrow("crossEntropyLoss: logits must have a class dimension, got a 0-d tensor");
    expect(() => nllLoss(tensor(1), tensor(0, { dtype: "int32" }))).toThrow("nllLoss: input must have a class dimension, got a 0-d tensor");
    expect(() => crossEntropyLoss(a, tensor([0.5, 0.5, 0.5]))).toThrow(
      "crossEntropyLoss: a float target holds class probabilities and needs the logits' shape [3, 2], got [3] (class indices are int32)",
    );
    expect(() => cosineEmbeddingLoss(a, a.reshape(2, 3), tensor([1, 1, 1]))).toThrow(
      "cosineEmbeddingLoss: input1 [3, 2] and input2 [2, 3] must have the same shape",
    );
    expect(() => cosineEmbeddingLoss(a, a, tensor([1, 1]))).toThrow("cosineEmbeddingLoss: inputs [3, 2] need a target of shape [3], got [2]");
    expect(() => cosineEmbeddingLoss(a.reshape(3, 2, 1), a.reshape(3, 2, 1), tensor([1, 1, 1]))).toThrow(
      "cosineEmbeddingLoss: input1 and input2 must be 1-D (one pair) or 2-D (a batch of pairs), got [3, 2, 1]",
    );
  });

  test("weights of the wrong shape or dtype", () => {
    expect(() => nllLoss(a, labels, { weight: tensor([1, 2, 3]) })).toThrow("nllLoss: weight must hold one entry per class, shape [2], got [3]");
    expect(() => crossEntropyLoss(a, labels, { weight: tensor([[1, 2]]) })).toThrow(
      "crossEntropyLoss: weight must hold one entry per class, shape [2], got [1, 2]",
    );
    expect(() => crossEntropyLoss(a, labels, { weight: tensor([1, 2], { dtype: "float64" }) })).toThrow(
      "crossEntropyLoss: weight (float64) must have the input's dtype (float32)",
    );
    expect(() => binaryCrossEntropy(probabilities, probabilities, { weight: tensor([1, 2, 3]) })).toThrow(
      "binaryCrossEntropy: weight [3] must broadcast to the input's shape [3, 2]",
    );
    expect(() => binaryCrossEntropyWithLogits(a, probabilities, { posWeight: zeros([2, 3, 2]) })).toThrow(
      "binaryCrossEntropyWithLogits: posWeight [2, 3, 2] must broadcast to the input's shape [3, 2]",
    );
    expect(() => binaryCrossEntropyWithLogits(a, probabilities, { weight: any([1, 2]) })).toThrow(
      "binaryCrossEntropyWithLogits: weight must be a Tensor, got an array",
    );
  });

  test("dtypes: float inputs, int32 class indices, class probabilities of the logits' dtype", () => {
    expect(() => mseLoss(a, a.cast("float64"))).toThrow("mseLoss: input (float32) and target (float64) must have the same dtype");
    expect(() => mseLoss(a.cast("int32"), a.cast("int32"))).toThrow("mseLoss: input must be a float tensor, got int32");
    expect(() => nllLoss(a.cast("int32"), labels)).toThrow("nllLoss: input must be a float tensor, got int32");
    expect(() => crossEntropyLoss(a.cast("int32"), labels)).toThrow("crossEntropyLoss: logits must be a float tensor, got int32");
    expect(() => nllLoss(a, tensor([0, 1, 1]))).toThrow("nllLoss: target must hold int32 class indices, got float32");
    expect(() => crossEntropyLoss(a, probabilities.cast("float64"))).toThrow(
      "crossEntropyLoss: class probabilities (float64) must have the logits' dtype (float32)",
    );
    expect(() => klDivLoss(a, a.cast("float64"))).toThrow("klDivLoss: input (float32) and target (float64) must have the same dtype");
    expect(() => cosineEmbeddingLoss(a, a.cast("float64"), labels)).toThrow(
      "cosineEmbeddingLoss: input1 (float32) and input2 (float64) must have the same dtype",
    );
  });

  test("class indices out of range: at build time for known targets, at evaluation for placeholders", () => {
    expect(() => crossEntropyLoss(a, tensor([0, 5, 1], { dtype: "int32" }))).toThrow("crossEntropyLoss: target 5 is out of bounds for 2 classes");
    expect(() => crossEntropyLoss(tensor([1, 2, 3]), tensor(-1, { dtype: "int32" }))).toThrow("target -1 is out of bounds for 3 classes");
    expect(() => nllLoss(a, tensor([0, -100, 2], { dtype: "int32" }))).toThrow("nllLoss: target 2 is out of bounds for 2 classes");
    expect(() => nllLoss(a, tensor([0, -100, 1], { dtype: "int32" }), { ignoreIndex: 1 })).toThrow(
      "nllLoss: target -100 is out of bounds for 2 classes",
    );
    const later = placeholder([3], "int32");
    const loss = crossEntropyLoss(a, later);
    later.assign([0, 1, 2]);
    expect(() => loss.item()).toThrow("crossEntropyLoss: target 2 is out of bounds for 2 classes");
    const weighted = nllLoss(a, later, { ignoreIndex: 7, weight: tensor([1, 2]) });
    later.assign([0, 9, 7]);
    expect(() => weighted.item()).toThrow("nllLoss: target 9 is out of bounds for 2 classes");
  });

  test("probabilities outside [0, 1]: at build time when known, at evaluation otherwise", () => {
    expect(() => binaryCrossEntropy(tensor([0.5, 1.5]), tensor([1, 0]))).toThrow(
      "binaryCrossEntropy: input must hold probabilities between 0 and 1, got 1.5",
    );
    const later = placeholder([2], "float32");
    const loss = binaryCrossEntropy(later, tensor([1, 0]));
    later.assign([NaN, 0.5]);
    expect(() => loss.item()).toThrow("binaryCrossEntropy: input must hold probabilities between 0 and 1, got NaN");
  });

  test("options out of range or of the wrong type", () => {
    expect(() => smoothL1Loss(a, a, { beta: -1 })).toThrow("smoothL1Loss: beta must be >= 0, got -1");
    expect(() => smoothL1Loss(a, a, { beta: any("1") })).toThrow('smoothL1Loss: beta must be a finite number, got "1"');
    expect(() => huberLoss(a, a, { delta: 0 })).toThrow("huberLoss: delta must be > 0, got 0");
    expect(() => crossEntropyLoss(a, labels, { labelSmoothing: 1.5 })).toThrow("crossEntropyLoss: labelSmoothing must be between 0 and 1, got 1.5");
    expect(() => crossEntropyLoss(a, labels, { labelSmoothing: -0.1 })).toThrow("crossEntropyLoss: labelSmoothing must be between 0 and 1, got -0.1");
    expect(() => nllLoss(a, labels, { ignoreIndex: 0.5 })).toThrow("nllLoss: ignoreIndex must be an integer, got 0.5");
    expect(() => nllLoss(a, labels, { ignoreIndex: 2 ** 40 })).toThrow("nllLoss: ignoreIndex must fit in int32 like the targets, got 1099511627776");
    expect(() => crossEntropyLoss(a, probabilities, { ignoreIndex: 0 })).toThrow(
      "crossEntropyLoss: ignoreIndex 0 is not supported for class probabilities (only class indices can be ignored)",
    );
    expect(() => klDivLoss(a, a, { logTarget: any(1) })).toThrow("klDivLoss: logTarget must be true or false, got 1");
    expect(() => cosineEmbeddingLoss(a, a, labels, { margin: any(null) })).toThrow("cosineEmbeddingLoss: margin must be a finite number, got null");
    expect(() => nllLoss(a, labels, any({ ignore_index: 1 }))).toThrow(
      "nllLoss: unknown option(s) 'ignore_index' (options are reduction, weight, ignoreIndex)",
    );
  });

  test("unknown reductions list the ones the loss has", () => {
    expect(() => mseLoss(a, a, { reduction: "avg" as "mean" })).toThrow(`mseLoss: reduction must be 'mean', 'sum' or 'none', got "avg"`);
    expect(() => nllLoss(a, labels, { reduction: any("batchmean") })).toThrow(`nllLoss: reduction must be 'mean', 'sum' or 'none', got "batchmean"`);
    expect(() => klDivLoss(a, a, { reduction: any(undefined) })).not.toThrow(); // the default, "mean"
    expect(() => klDivLoss(a, a, { reduction: any("batch") })).toThrow(
      `klDivLoss: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "batch"`,
    );
  });
});
