/**
 * Every nn module trained PyTorch-style, with the evaluator's program cache (compiling from the
 * second step on) and without it (interpreting every step): the same losses and the same
 * parameters after every step, bit for bit.
 */
import { describe, expect, it } from "vitest";
import { Generator, programCacheStats, type Tensor, tensor } from "@gradgraph/core";
import {
  Adam,
  Dropout,
  Embedding,
  GRU,
  Linear,
  LogSoftmax,
  LSTM,
  Module,
  ReLU,
  RNN,
  SGD,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
} from "@gradgraph/nn";
import { expectSameBits, interpreted } from "../helpers/random-graphs";

function randomTensor(generator: Generator, shape: number[]): Tensor {
  const values = new Float32Array(shape.reduce((n, d) => n * d, 1));
  generator.fillUniform(values, -1, 1);
  return tensor(values, { shape });
}

/** A module whose forward returns one tensor: the first output of a recurrent layer. */
class FirstOutput extends Module {
  readonly inner: RNN | LSTM | GRU;

  constructor(inner: RNN | LSTM | GRU) {
    super({ name: "model" });
    this.inner = this.registerModule("inner", inner);
  }

  forward(x: Tensor): Tensor {
    return this.inner.call(x)[0];
  }
}

interface Case {
  model: (generator: Generator) => Module<[Tensor], Tensor>;
  input: (generator: Generator) => Tensor;
}

const recurrent = { inputSize: 3, hiddenSize: 4 };
const cases: Record<string, Case> = {
  Linear: { model: (g) => new Linear(3, 2, { generator: g }), input: (g) => randomTensor(g, [5, 3]) },
  Embedding: {
    model: (g) => new Embedding(6, 3, { generator: g }),
    input: () => tensor([[0, 5, 2], [2, 2, 1]], { dtype: "int32" }),
  },
  "Sequential of Linear, activations and Dropout (training)": {
    model: (g) =>
      new Sequential(new Linear(3, 8, { generator: g }), new Tanh(), new Dropout(0.3, { generator: g }), new Linear(8, 8, { generator: g }), new ReLU(), new Sigmoid(), new Softmax(1), new LogSoftmax(1)),
    input: (g) => randomTensor(g, [4, 3]),
  },
  "RNN (relu, 2 layers)": { model: (g) => new FirstOutput(new RNN({ ...recurrent, nonlinearity: "relu", numLayers: 2, generator: g })), input: (g) => randomTensor(g, [5, 2, 3]) },
  "LSTM (bidirectional, batchFirst)": {
    model: (g) => new FirstOutput(new LSTM({ ...recurrent, bidirectional: true, batchFirst: true, generator: g })),
    input: (g) => randomTensor(g, [2, 5, 3]),
  },
  "GRU (2 layers, dropout between)": { model: (g) => new FirstOutput(new GRU({ ...recurrent, numLayers: 2, dropout: 0.2, generator: g })), input: (g) => randomTensor(g, [5, 2, 3]) },
};

/** Four PyTorch-style steps with `optimizer`; the losses, and the parameters after each step. */
function train(c: Case, makeOptimizer: (params: Tensor[]) => SGD | Adam): { losses: number[]; params: Float32Array[][] } {
  const generator = new Generator(7);
  const model = c.model(generator);
  const optimizer = makeOptimizer(model.parameters());
  const losses: number[] = [];
  const params: Float32Array[][] = [];
  for (let step = 0; step < 4; step++) {
    const x = c.input(generator);
    optimizer.zeroGrad();
    const out = model.call(x);
    const loss = out.mul(randomTensor(generator, [...out.shape])).sum();
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
    params.push(model.parameters().map((p) => p.data() as Float32Array));
  }
  return { losses, params };
}

describe.each(Object.entries(cases))("%s", (_name, c) => {
  it.each([
    ["SGD with momentum", (params: Tensor[]) => new SGD(params, { lr: 0.1, momentum: 0.9 })],
    ["Adam", (params: Tensor[]) => new Adam(params, { lr: 0.05 })],
  ])("trained with %s: cached programs give the interpreter's losses and parameters, bit for bit", (_optimizer, makeOptimizer) => {
    const expected = interpreted(() => train(c, makeOptimizer));
    const hits = programCacheStats().hits;
    const actual = train(c, makeOptimizer);
    expect(programCacheStats().hits).toBeGreaterThan(hits);
    expectSameBits(actual.losses, expected.losses, "losses");
    actual.params.forEach((step, s) => step.forEach((p, i) => expectSameBits(p, expected.params[s][i], `step ${s}, parameter ${i}`)));
  });
});
