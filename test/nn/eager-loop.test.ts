/**
 * The PyTorch-style loop `zeroGrad(); loss = f(model(x)); loss.backward(); step(); log(loss.item())`
 * reads the loss as it was computed, before the step, and computes it only once.
 */
import { describe, expect, it } from "vitest";
import { buildStats, evaluationStats, Generator, grad, scalar, type Tensor, tensor } from "@gradgraph/core";
import { Adam, Linear, LSTM, mseLoss, RNN, SGD } from "@gradgraph/nn";

function kernelsRun(fn: () => void): number {
  const before = evaluationStats.kernelInvocations;
  fn();
  return evaluationStats.kernelInvocations - before;
}

function randomTensor(generator: Generator, shape: number[]): Tensor {
  const values = new Float32Array(shape.reduce((n, d) => n * d, 1));
  generator.fillUniform(values, -1, 1);
  return tensor(values, { shape });
}

/** The notebook's RNN(5, 2, batch_first) with a linear head, and a copy holding the same weights. */
function twoModels() {
  const make = () => {
    const rnn = new RNN({ inputSize: 5, hiddenSize: 2, batchFirst: true, generator: new Generator(3) });
    const head = new Linear(2, 1, { generator: new Generator(4) });
    return { rnn, head, params: [...rnn.parameters(), ...head.parameters()] };
  };
  return [make(), make()] as const;
}

const x = tensor([[[1, 1, 1, 1, 1], [2, 2, 2, 2, 2], [3, 3, 3, 3, 3]]]);
const y = tensor([[0.5]]);
const lossOf = (model: ReturnType<typeof twoModels>[0]) => mseLoss(model.head.call(model.rnn.call(x)[0].select(1, -1)), y);

describe.each([
  ["SGD", (params: Tensor[]) => new SGD(params, { lr: 0.5 })],
  ["Adam", (params: Tensor[]) => new Adam(params, { lr: 0.1 })],
])("%s: the loss of a step", (_name, makeOptimizer) => {
  it("is computed once by backward(), and item() after backward() or after step() runs no kernel and gives the loss before the step", () => {
    const [model, reference] = twoModels();
    const optimizer = makeOptimizer(model.params);
    for (let step = 0; step < 3; step++) {
      const expected = lossOf(reference).item();
      optimizer.zeroGrad();
      const loss = lossOf(model);
      loss.backward();
      expect(kernelsRun(() => expect(loss.item()).toBe(expected))).toBe(0);
      optimizer.step();
      expect(kernelsRun(() => expect(loss.item()).toBe(expected))).toBe(0);
      // The reference takes the same step, so both stay equal and the next loss is a new value.
      reference.params.forEach((p, i) => p.assign(model.params[i]));
      expect(lossOf(model).item()).not.toBe(expected);
    }
  });

  it("a loss built before the step but first read after it is still the loss before the step", () => {
    const [model, reference] = twoModels();
    const optimizer = makeOptimizer(model.params);
    const loss = lossOf(model);
    const metric = lossOf(model).mul(2); // built now, never read before the step
    loss.backward();
    optimizer.step();
    expect(metric.item()).toBe(lossOf(reference).mul(2).item());
  });
});

describe("values are fixed when built", () => {
  it("an unrelated assign keeps every cached value", () => {
    const generator = new Generator(5);
    const a = randomTensor(generator, [4, 4]);
    const b = randomTensor(generator, [4, 4]);
    const product = a.matmul(a).tanh();
    product.data();
    b.assign(randomTensor(generator, [4, 4]));
    expect(kernelsRun(() => product.data())).toBe(0);
  });
});

describe("graph building is linear in the sequence length", () => {
  /** Interning comparisons per node built, for the gradient of an LSTM unrolled over `length` steps. */
  function probesPerNode(length: number): number {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, generator: new Generator(1) });
    const x = randomTensor(new Generator(2), [length, 1, 3]);
    const loss = lstm.call(x)[0].sum();
    const [nodes, probes] = [buildStats.nodes, buildStats.internProbes];
    grad(loss, lstm.parameters());
    return (buildStats.internProbes - probes) / (buildStats.nodes - nodes);
  }

  it("building an LSTM's gradient compares a bounded number of candidates per node, however long the sequence", () => {
    const [long, short] = [probesPerNode(800), probesPerNode(200)];
    expect(long).toBeLessThan(short * 1.1 + 0.5);
    expect(long).toBeLessThan(8);
  });

  it("a shared scalar combined with every step's value (a gradient's 1 - s) leaves each lookup O(1)", () => {
    const steps = Array.from({ length: 2000 }, (_, t) => tensor([t]).mul(2));
    const one = scalar(1 + 1e-9 * Math.random()); // a fresh shared scalar, newer than every step
    const [nodes, probes] = [buildStats.nodes, buildStats.internProbes];
    for (const s of steps) one.sub(s);
    for (const s of steps) one.sub(s); // found again, not built again
    expect(buildStats.nodes - nodes).toBe(steps.length);
    expect((buildStats.internProbes - probes) / steps.length).toBeLessThan(4);
  });
});
