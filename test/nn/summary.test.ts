/**
 * summary(model, input): each module's output shapes and parameter count, and the totals. The
 * counts are the layers' formulas worked out by hand (Linear in·out + out, a recurrent layer's
 * four matrices, a convolution's out·in·k·k + out); the notebook RNN's shapes are PyTorch's
 * (seed.json), the others derived by hand from the layers' definitions.
 */
import { Generator, type Tensor, tensor, zeros } from "@gradgraph/core";
import { describe, expect, test } from "vitest";
import {
  Conv2d,
  Dropout,
  Embedding,
  Flatten,
  LSTM,
  Linear,
  MaxPool2d,
  Module,
  RNN,
  ReLU,
  Sequential,
  Tanh,
  summary,
} from "../../packages/nn/src";
import { loadFixture } from "../helpers/fixtures";

type SeedCase = {
  config: { input_size: number; hidden_size: number };
  params: Record<string, { shape: number[] }>;
  input: { shape: number[] };
  float64: { output: { shape: number[] }; h_n: { shape: number[] } };
};

class Block extends Module {
  lin = new Linear(4, 4);
  act = new Tanh();
  forward(x: Tensor): Tensor {
    return this.act.forward(this.lin.forward(x));
  }
}

class Net extends Module {
  fc1 = new Linear(3, 4);
  block = new Block();
  seq = new Sequential(new ReLU(), new Linear(4, 2));
  unused = new Linear(1, 1);
  forward(x: Tensor): Tensor {
    return this.seq.forward(this.block.forward(this.fc1.forward(x)));
  }
}

describe("summary", () => {
  test("the notebook RNN: PyTorch's output shapes, W_ih + W_hh + b_ih + b_hh parameters", () => {
    const [seed] = loadFixture<SeedCase>("seed.json");
    const { input_size: inputs, hidden_size: hidden } = seed.config;
    const rnn = new RNN({ inputSize: inputs, hiddenSize: hidden, batchFirst: true });
    const result = summary(rnn, seed.input.shape);
    const byHand = hidden * inputs + hidden * hidden + hidden + hidden; // 2·5 + 2·2 + 2 + 2 = 18
    expect(byHand).toBe(Object.values(seed.params).reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0));
    expect(result.rows).toEqual([{ path: "", type: "RNN", depth: 0, outputShapes: [seed.float64.output.shape, seed.float64.h_n.shape], parameters: byHand }]);
    expect([result.totalParameters, result.trainableParameters]).toEqual([18, 18]);
  });

  test("nested modules: paths, depths, shapes, own parameters; the table as torchinfo draws it", () => {
    const result = summary(new Net(), [8, 3]);
    expect(result.rows.map(({ path, type, depth, outputShapes, parameters }) => [path, type, depth, outputShapes, parameters])).toEqual([
      ["", "Net", 0, [[8, 2]], 0],
      ["fc1", "Linear", 1, [[8, 4]], 3 * 4 + 4],
      ["block", "Block", 1, [[8, 4]], 0],
      ["block.lin", "Linear", 2, [[8, 4]], 4 * 4 + 4],
      ["block.act", "Tanh", 2, [[8, 4]], 0],
      ["seq", "Sequential", 1, [[8, 2]], 0],
      ["seq.0", "ReLU", 2, [[8, 4]], 0],
      ["seq.1", "Linear", 2, [[8, 2]], 4 * 2 + 2],
      ["unused", "Linear", 1, undefined, 1 * 1 + 1],
    ]);
    expect(result.totalParameters).toBe(16 + 20 + 10 + 2);
    expect(String(result)).toBe(
      [
        "===================================================",
        "Layer (type (name))    Output Shape    Param #",
        "===================================================",
        "Net                    [8, 2]          --",
        "├─Linear (fc1)         [8, 4]          16",
        "├─Block (block)        [8, 4]          --",
        "│    ├─Linear (lin)    [8, 4]          20",
        "│    └─Tanh (act)      [8, 4]          --",
        "├─Sequential (seq)     [8, 2]          --",
        "│    ├─ReLU (0)        [8, 4]          --",
        "│    └─Linear (1)      [8, 2]          10",
        "└─Linear (unused)      --              2",
        "===================================================",
        "Total params: 48",
        "Trainable params: 48",
        "Non-trainable params: 0",
        "===================================================",
      ].join("\n"),
    );
  });

  test("a convolutional stack: shapes by the output-size formula, out·in·k·k + out parameters", () => {
    const model = new Sequential(new Conv2d(1, 4, 3), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 3 * 3, 10));
    const result = summary(model, [2, 1, 8, 8]);
    // 8 - 3 + 1 = 6 after the convolution, floor(6 / 2) = 3 after pooling.
    expect(result.rows.map((row) => row.outputShapes)).toEqual([[[2, 10]], [[2, 4, 6, 6]], [[2, 4, 6, 6]], [[2, 4, 3, 3]], [[2, 36]], [[2, 10]]]);
    expect(result.rows.map((row) => row.parameters)).toEqual([0, 4 * 1 * 3 * 3 + 4, 0, 0, 0, 36 * 10 + 10]);
    expect(result.totalParameters).toBe(40 + 370);
  });

  test("LSTM with a projection: 4H·in + 4H·P + 4H + 4H + P·H per layer; frozen parameters are not trainable", () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, projSize: 2, numLayers: 2 });
    const layer = (inputs: number) => 16 * inputs + 16 * 2 + 16 + 16 + 2 * 4;
    const head = new Linear(2, 1);
    class Tagger extends Module {
      lstm = lstm;
      head = head;
      forward(x: Tensor): Tensor {
        return this.head.forward(this.lstm.forward(x)[0]);
      }
    }
    const model = new Tagger();
    head.requiresGrad(false);
    const result = summary(model, [5, 7, 3]);
    expect(result.rows[1]).toEqual({ path: "lstm", type: "LSTM", depth: 1, outputShapes: [[5, 7, 2], [2, 7, 2], [2, 7, 4]], parameters: layer(3) + layer(2) });
    expect(result.totalParameters).toBe(layer(3) + layer(2) + 3);
    expect(result.trainableParameters).toBe(layer(3) + layer(2));
    expect(String(result)).toContain(`Non-trainable params: 3\n`);
  });

  test("sample inputs or typed shapes (int32 indices for an Embedding); thousands separated as torchinfo's", () => {
    const model = new Sequential(new Embedding(1000, 32), new Linear(32, 2));
    const fromShape = summary(model, [4, 6], { dtypes: "int32" });
    const fromTensor = summary(model, zeros([4, 6], { dtype: "int32" }));
    expect(fromShape.rows).toEqual(fromTensor.rows);
    expect(fromShape.rows.map((row) => row.outputShapes)).toEqual([[[4, 6, 2]], [[4, 6, 32]], [[4, 6, 2]]]);
    expect(String(fromShape)).toContain("Total params: 32,066"); // 1000·32 + 32·2 + 2
  });

  test("leaves the model as it was: training mode, no hooks, no dropout drawn", () => {
    const model = new Sequential(new Linear(2, 2), new Dropout(0.5));
    const x = tensor([[1, 2]]);
    summary(model, x);
    expect(model.namedModules().map(([, m]) => m.training)).toEqual([true, true, true]);
    // Still in training mode, and its generator untouched: the mask drawn next is a fresh generator's first.
    const ones = tensor(new Array(1000).fill(1));
    const drawn = new Sequential(new Dropout(0.5, { generator: new Generator(7) }));
    summary(drawn, [1000]);
    const fresh = new Dropout(0.5, { generator: new Generator(7) });
    const mask = Array.from(drawn.forward(ones).data());
    expect(mask.some((v) => v === 0)).toBe(true);
    expect(mask).toEqual(Array.from(fresh.forward(ones).data()));
  });

  test("errors say what was expected and name the model", () => {
    expect(() => summary({} as Net, [1])).toThrow("summary: model must be a Module, got an object");
    expect(() => summary(new Net(), "3" as unknown as number[])).toThrow(
      'summary: input must be a shape (number[]), several shapes (number[][]), a Tensor or Tensors, got "3"',
    );
    expect(() => summary(new Net(), [[2, 3], [1.5]])).toThrow("summary: input must be a shape");
    expect(() => summary(new Net(), [[2, 3]], { dtypes: ["int32", "float32"] })).toThrow("summary: dtypes must be one dtype or one per input shape (1)");
    expect(() => summary(new Net(), [8, 5])).toThrow(/^summary: Net's forward failed on float32 \[8, 5\]: /);
  });
});

describe("registerForwardHook (what summary records with)", () => {
  test("runs after each forward, called directly or by a parent, with the arguments and the output; a returned value replaces it; remove() stops it", () => {
    const inner = new Linear(2, 2);
    const model = new Sequential(inner, new ReLU());
    const seen: [unknown, number[], number[]][] = [];
    const handle = inner.registerForwardHook((module, args, output) => {
      seen.push([module, (args[0] as Tensor).shape.slice(), (output as Tensor).shape.slice()]);
    });
    const doubling = model.registerForwardHook((_, __, output) => (output as Tensor).mul(2));
    const x = tensor([[1, -2], [3, 4]]);
    const plain = Array.from(new ReLU().forward(inner.forward(x)).data()); // the hook on inner records this call too
    expect(Array.from(model.forward(x).data())).toEqual(plain.map((v) => 2 * v));
    expect(seen).toEqual([
      [inner, [2, 2], [2, 2]],
      [inner, [2, 2], [2, 2]],
    ]);
    handle.remove();
    doubling.remove();
    expect(Array.from(model.call(x).data())).toEqual(plain);
    expect(seen).toHaveLength(2);
    expect(() => inner.registerForwardHook("log" as unknown as () => void)).toThrow('Linear.registerForwardHook: hook must be a function, got "log"');
  });
});
