import { Generator, type Tensor, evaluate, grad, placeholder, tensor, topologicalOrder, withScope, zeros } from "@gradgraph/core";
import { describe, expect, test } from "vitest";
import {
  Dropout,
  Embedding,
  GRU,
  LSTM,
  Linear,
  LogSoftmax,
  Module,
  RNN,
  ReLU,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
} from "../../packages/nn/src";
import { assertClose } from "@gradgraph/core/testing";
import { FLOAT64, type FixtureTensor, loadFixture } from "../helpers/fixtures";
import { buildRecurrent, loadRecurrentCases, recurrentFiles } from "../helpers/recurrent-cases";

function randomValues(seed: number, size: number): Float64Array {
  const values = new Float64Array(size);
  new Generator(seed).fillUniform(values, -1, 1);
  return values;
}

const randomTensor = (seed: number, shape: number[]) => tensor(randomValues(seed, shape.reduce((a, b) => a * b, 1)), { shape, dtype: "float64" });

/** Central differences of the scalar `lossOf()` w.r.t. each element of the leaf `p` (the loss is built again after each assign). */
function numericGradient(lossOf: () => Tensor, p: Tensor, eps = 1e-6): Float64Array {
  const base = Float64Array.from(p.data());
  const probe = (i: number, delta: number) => {
    const values = base.slice();
    values[i] += delta;
    p.assign(values);
    return lossOf().item();
  };
  const result = base.map((_, i) => (probe(i, eps) - probe(i, -eps)) / (2 * eps));
  p.assign(base);
  return result;
}

const GRADCHECK = { atol: 1e-7, rtol: 1e-5 };

/** The model of train.json, written as a user would: children registered in field order. */
class Net extends Module {
  readonly rnn = this.registerModule("rnn", new RNN({ inputSize: 4, hiddenSize: 8 }));
  readonly head = this.registerModule("head", new Linear(8, 1));

  forward(x: Tensor): Tensor {
    const [out] = this.rnn.forward(x);
    return this.head.forward(out.select(0, -1));
  }
}

const scopesOf = (t: Tensor) => new Set(topologicalOrder([t]).map((n) => n.scope));

describe("parameter names and order", () => {
  for (const file of recurrentFiles) {
    test(`stateDict keys, order and shapes are PyTorch's for every case of ${file}`, () => {
      for (const c of loadRecurrentCases(file)) {
        const stateDict = buildRecurrent(c.mode, c.config, "float32").stateDict();
        expect(Object.keys(stateDict), c.id).toEqual(Object.keys(c.params));
        for (const [key, value] of Object.entries(c.params)) expect(stateDict[key].shape, `${c.id} ${key}`).toEqual(value.shape);
      }
    });
  }

  test("Sequential names its children 0, 1, ... and parameterless layers keep their index", () => {
    const model = new Sequential(new Linear(3, 4), new Tanh(), new Linear(4, 2, { bias: false }));
    expect(Object.keys(model.stateDict())).toEqual(["0.weight", "0.bias", "2.weight"]);
    expect(model.parameters().map((p) => p.name)).toEqual(["sequential.0.weight", "sequential.0.bias", "sequential.2.weight"]);
    expect(model.namedChildren().map(([key]) => key)).toEqual(["0", "1", "2"]);
    expect(model.length).toBe(3);
    expect(model.at(-1)).toBeInstanceOf(Linear);
  });

  test("nested modules use dotted paths, as in train.json's state dict", () => {
    const [trainCase] = loadFixture<{ initial_state_dict: Record<string, FixtureTensor> }>("train.json");
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(Object.keys(trainCase.initial_state_dict));
    expect(net.parameters().map((p) => p.name)).toEqual(Object.keys(trainCase.initial_state_dict).map((k) => `net.${k}`));
    expect(net.namedModules().map(([path]) => path)).toEqual(["", "rnn", "head"]);
    // Renaming follows re-parenting.
    const outer = new Sequential(net);
    expect(net.rnn.parameters()[0].name).toBe("sequential.0.rnn.weight_ih_l0");
    expect(Object.keys(outer.stateDict())[0]).toBe("0.rnn.weight_ih_l0");
  });

  test("parameters are leaves that require gradients; shared ones are listed once", () => {
    class Tied extends Module {
      readonly embedding = this.registerModule("embedding", new Embedding(5, 3));
      readonly weight = this.registerParameter("weight", this.embedding.weight);
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const tied = new Tied();
    expect(tied.namedParameters().map(([key]) => key)).toEqual(["weight"]);
    expect(Object.keys(tied.stateDict())).toEqual(["weight", "embedding.weight"]); // state_dict lists both, as PyTorch's
    expect(tied.parameters().every((p) => p.isLeaf && p.requiresGrad)).toBe(true);
    expect(() => tied.registerParameter("weight", tensor([1]))).toThrow("Tied: attribute 'weight' already exists");
    expect(() => tied.registerModule("a.b", new Tanh())).toThrow('Tied: module name must be a non-empty string without ".", got "a.b"');
  });
});

describe("scopes", () => {
  test("each step is tagged <module>.l<k>[_reverse].t<step>, parameters by their full path", () => {
    const rnn = new RNN({ inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, dtype: "float64" });
    const [output, hN] = rnn.forward(randomTensor(1, [4, 1, 3]));
    const scopes = scopesOf(output.add(hN.sum()));
    for (const layer of ["l0", "l0_reverse", "l1", "l1_reverse"]) {
      for (let t = 0; t < 4; t++) expect(scopes, `${layer}.t${t}`).toContain(`rnn.${layer}.t${t}`);
    }
    const tanhScopes = topologicalOrder([output]).filter((n) => n.op === "tanh").map((n) => n.scope);
    expect(new Set(tanhScopes).size).toBe(16); // one tanh per layer, direction and step, each in its own scope
    expect(rnn.parameters().map((p) => p.name)).toContain("rnn.weight_hh_l1_reverse");
    const [dWhh] = grad(output.sum(), [rnn.stateDict().weight_hh_l0]);
    expect(scopesOf(dWhh)).toContain("backward.rnn.l0.t1");
  });

  test("children are tagged by their path, whether reached through the parent or directly", () => {
    const net = new Net();
    const x = tensor(randomValues(2, 3 * 2 * 4), { shape: [3, 2, 4], dtype: "float32" });
    const viaParent = scopesOf(net.call(x));
    expect(viaParent).toContain("net.rnn.l0.t2");
    expect(viaParent).toContain("net.head");
    expect([...viaParent].some((s) => s?.startsWith("net.net"))).toBe(false);
    expect(scopesOf(net.rnn.forward(x)[0])).toContain("net.rnn.l0.t0");
    const features = tensor(randomValues(3, 8), { shape: [1, 8], dtype: "float32" });
    expect(scopesOf(withScope("experiment", () => net.head.forward(features)))).toContain("experiment.net.head");
    expect(scopesOf(new RNN({ inputSize: 4, hiddenSize: 2, name: "encoder" }).forward(x)[0])).toContain("encoder.l0.t1");
  });
});

describe("forward defined as a class field or assigned later keeps the module scope", () => {
  class FieldForward extends Module {
    readonly linear = this.registerModule("linear", new Linear(2, 2, { dtype: "float64" }));
    readonly #scale = 3; // a private field lives on the object the constructor returned
    forward = (x: Tensor): Tensor => this.linear.forward(x).mul(this.#scale).tanh();
  }
  class MethodForward extends Module {
    readonly linear = this.registerModule("linear", new Linear(2, 2, { dtype: "float64" }));
    forward(x: Tensor): Tensor {
      return this.linear.forward(x).tanh();
    }
  }
  const x = () => tensor([[1, 2]], { dtype: "float64" });
  const tanhScope = (t: Tensor) => topologicalOrder([t]).find((n) => n.op === "tanh")?.scope;

  test("a class-field forward tags its nodes, alone and as a child; parameters and state dict are unchanged", () => {
    const field = new FieldForward();
    expect(tanhScope(field.forward(x()))).toBe("fieldforward");
    expect(tanhScope(field.call(x()))).toBe("fieldforward");
    expect(scopesOf(field.forward(x()))).toContain("fieldforward.linear");
    const parent = new Sequential(field);
    expect(tanhScope(parent.forward(x()))).toBe("sequential.0");
    expect(Object.keys(field.stateDict())).toEqual(["linear.weight", "linear.bias"]);
    expect(field.parameters().map((p) => p.name)).toEqual(["sequential.0.linear.weight", "sequential.0.linear.bias"]);
    expect(field).toBeInstanceOf(FieldForward);
    expect(field).toBeInstanceOf(Module);
  });

  test("a method forward, and a forward assigned after construction, are tagged the same way", () => {
    const method = new MethodForward();
    expect(tanhScope(method.forward(x()))).toBe("methodforward");
    expect(Object.keys(method.stateDict())).toEqual(["linear.weight", "linear.bias"]);
    method.forward = (input: Tensor) => input.tanh();
    expect(tanhScope(method.forward(x()))).toBe("methodforward");
    Object.defineProperty(method, "forward", { value: (input: Tensor) => input.exp().tanh(), writable: true, configurable: true });
    expect(tanhScope(method.forward(x()))).toBe("methodforward");
    const other = new MethodForward({ name: "other" });
    other.forward = method.forward; // a forward moved to another module is tagged with that module's path
    expect(tanhScope(other.forward(x()))).toBe("other");
  });

  test("forward cannot be replaced by something that is not a function", () => {
    const method = new MethodForward();
    expect(() => {
      (method as { forward: unknown }).forward = 3;
    }).toThrow("MethodForward: forward must be a function, got 3");
    expect(() => Object.defineProperty(method, "forward", { get: () => (input: Tensor) => input })).toThrow(
      "MethodForward: forward must be a function, got an accessor",
    );
    expect(tanhScope(method.forward(x()))).toBe("methodforward");
  });
});

describe("loadStateDict", () => {
  const source = () => new RNN({ inputSize: 4, hiddenSize: 2, bias: false });

  test("a source whose value cannot be computed fails before any parameter is written", () => {
    const linear = new Linear(3, 2, { dtype: "float64" });
    const before = linear.parameters().map((p) => Array.from(p.data()));
    const weight = zeros([2, 3], { dtype: "float64" }); // fine, and listed first
    const unfed = placeholder([2], "float64", "bias_source").add(1);
    expect(() => linear.loadStateDict({ weight, bias: unfed })).toThrow(/^Error\(s\) in loading state_dict for Linear: the value of "bias" cannot be computed: /);
    const outOfRange = tensor([1, 2], { dtype: "float64" }).indexSelect(0, tensor([0, 7], { dtype: "int32" })); // fails in its kernel
    expect(() => linear.loadStateDict({ weight, bias: outOfRange })).toThrow('the value of "bias" cannot be computed');
    expect(linear.parameters().map((p) => Array.from(p.data()))).toEqual(before);
    linear.loadStateDict({ weight, bias: tensor([1, 2], { dtype: "float64" }) });
    expect(Array.from(linear.weight.data())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test("reports missing and unexpected keys and size mismatches together, in PyTorch's words, and copies nothing", () => {
    const rnn = new RNN({ inputSize: 5, hiddenSize: 2 });
    const before = rnn.parameters().map((p) => Array.from(p.data()));
    const checkpoint = { ...source().stateDict(), foo: tensor([1, 2]) };
    expect(() => rnn.loadStateDict(checkpoint)).toThrow(
      "Error(s) in loading state_dict for RNN:\n" +
        '\tMissing key(s) in state_dict: "bias_ih_l0", "bias_hh_l0".\n' +
        '\tUnexpected key(s) in state_dict: "foo".\n' +
        "\tsize mismatch for weight_ih_l0: copying a param with shape [2, 4] from checkpoint, the shape in current model is [2, 5].",
    );
    expect(rnn.parameters().map((p) => Array.from(p.data()))).toEqual(before);
  });

  test("strict: false loads what matches and returns the rest; size mismatches still fail", () => {
    const rnn = new RNN({ inputSize: 4, hiddenSize: 2 });
    const other = source();
    const result = rnn.loadStateDict({ ...other.stateDict(), extra: [1] }, { strict: false });
    expect(result).toEqual({ missingKeys: ["bias_ih_l0", "bias_hh_l0"], unexpectedKeys: ["extra"] });
    expect(rnn.stateDict().weight_hh_l0.data()).toEqual(other.stateDict().weight_hh_l0.data());
    expect(() => rnn.loadStateDict({ weight_hh_l0: [[1, 2, 3]] }, { strict: false })).toThrow(
      "size mismatch for weight_hh_l0: copying a param with shape [1, 3] from checkpoint, the shape in current model is [2, 2].",
    );
  });

  test("copies into the existing leaves, converting dtype; graphs built earlier keep their values, as in PyTorch", () => {
    const linear = new Linear(2, 1);
    const weight = linear.weight;
    const x = tensor([[1, 1]]);
    const y = linear.forward(x);
    const before = y.item();
    linear.loadStateDict({
      weight: tensor([[0.1, 0.2]], { dtype: "float64" }),
      bias: { shape: [1], data: [0.5] },
    });
    expect(linear.weight).toBe(weight);
    expect(weight.dtype).toBe("float32");
    expect(Array.from(weight.data())).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    expect(y.item()).toBe(before);
    expect(linear.forward(x).item()).toBeCloseTo(0.8, 6);
    expect(() => linear.loadStateDict({ weight: { shape: [1, 2], data: [1] }, bias: [0] })).toThrow(
      'loadStateDict: entry "weight" of shape [1, 2] needs 2 values, got 1',
    );
  });
});

describe("train / eval and dropout", () => {
  test("train() and eval() reach every descendant", () => {
    const model = new Sequential(new Linear(2, 2), new Sequential(new Dropout(0.5)));
    expect(model.eval().namedModules().every(([, m]) => !m.training)).toBe(true);
    expect(model.train().namedModules().every(([, m]) => m.training)).toBe(true);
  });

  test("Dropout keeps each element with probability 1-p, scaled by 1/(1-p), and the gradient follows the mask", () => {
    const p = 0.3;
    const dropout = new Dropout(p, { generator: new Generator(7) });
    const x = tensor(randomValues(3, 2000), { shape: [40, 50], dtype: "float64", requiresGrad: true });
    const y = dropout.forward(x);
    const [dx] = grad(y.sum(), [x]);
    const [xs, ys, dxs] = evaluate([x, y, dx]);
    let kept = 0;
    ys.forEach((v, i) => {
      if (v === 0) {
        expect(dxs[i]).toBe(0);
      } else {
        kept++;
        expect(v).toBeCloseTo(xs[i] / (1 - p), 12);
        expect(dxs[i]).toBeCloseTo(1 / (1 - p), 12);
      }
    });
    expect(Math.abs(kept / 2000 - (1 - p))).toBeLessThan(0.05); // about 4.7 standard deviations
    expect(Array.from(new Dropout(p, { generator: new Generator(7) }).forward(x).data())).toEqual(Array.from(ys));
    expect(dropout.eval().forward(x)).toBe(x);
    expect(new Dropout(0).forward(x)).toBe(x);
    expect(Array.from(new Dropout(1).forward(x).data()).every((v) => v === 0)).toBe(true);
    expect(() => new Dropout(1.5)).toThrow("Dropout: dropout probability has to be between 0 and 1, but got 1.5");
  });

  test("recurrent dropout acts between layers in training only", () => {
    const options = { inputSize: 3, hiddenSize: 2, numLayers: 2, dtype: "float64" as const };
    const dropped = new GRU({ ...options, dropout: 1 });
    const plain = new GRU(options);
    plain.loadStateDict(dropped.stateDict());
    const x = randomTensor(4, [5, 2, 3]);
    // Eval: dropout is off, so the module equals its dropout-free twin.
    dropped.eval();
    assertClose(dropped.forward(x)[0].data(), plain.forward(x)[0].data(), { ...FLOAT64, label: "eval" });
    // Training with p = 1: layer 1 sees zeros, so the output is a one-layer GRU (layer 1's weights) run on zeros.
    dropped.train();
    const lastLayer = new GRU({ inputSize: 2, hiddenSize: 2, dtype: "float64" });
    const sd = dropped.stateDict();
    lastLayer.loadStateDict(Object.fromEntries(["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map((k) => [`${k}_l0`, sd[`${k}_l1`]])));
    const zerosInput = tensor(new Float64Array(5 * 2 * 2), { shape: [5, 2, 2] });
    assertClose(dropped.forward(x)[0].data(), lastLayer.forward(zerosInput)[0].data(), { ...FLOAT64, label: "train, p = 1" });
  });
});

describe("error messages name the module and say what was expected", () => {
  const rnn = new RNN({ inputSize: 5, hiddenSize: 2 });

  test("input and state shapes", () => {
    expect(() => rnn.forward(tensor(new Float32Array(12), { shape: [1, 3, 4] }))).toThrow(
      "RNN: input.size(-1) must be equal to inputSize. Expected 5, got 4",
    );
    expect(() => rnn.forward(tensor(new Float32Array(15), { shape: [1, 1, 3, 5] }))).toThrow("RNN: Expected input to be 2D or 3D, got 4D instead");
    expect(() => rnn.forward(tensor(new Float32Array(15), { shape: [3, 1, 5] }), tensor([[0, 0]]))).toThrow(
      "RNN: Expected hidden size [1, 1, 2], got [1, 2]",
    );
    expect(() => rnn.forward(tensor(new Float32Array(15), { shape: [3, 5] }), tensor([[[0, 0]]]))).toThrow(
      "RNN: Expected hidden size [1, 2], got [1, 1, 2]",
    );
    const lstm = new LSTM({ inputSize: 5, hiddenSize: 2 });
    const h0 = tensor([[[0, 0]]]);
    expect(() => lstm.forward(tensor(new Float32Array(15), { shape: [3, 1, 5] }), [h0, tensor([[0, 0]])])).toThrow(
      "LSTM: Expected hidden[1] size [1, 1, 2], got [1, 2]",
    );
    expect(() => new GRU({ inputSize: 5, hiddenSize: 2 }).forward(tensor(new Float32Array(5), { shape: [5] }))).toThrow(
      "GRU: Expected input to be 2D or 3D, got 1D instead",
    );
  });

  test("dtypes", () => {
    const wide = new RNN({ inputSize: 5, hiddenSize: 2, dtype: "float64" });
    expect(() => wide.forward(tensor(new Float32Array(15), { shape: [3, 1, 5] }))).toThrow(
      'RNN: input is float32 but the parameters are float64; cast it with .cast("float64") or build the module with dtype: "float32"',
    );
    const input = tensor(new Float64Array(15), { shape: [3, 1, 5] });
    expect(() => wide.forward(input, tensor([[[0, 0]]]))).toThrow("RNN: hidden is float32 but the parameters are float64");
  });

  test("constructor options", () => {
    expect(() => new RNN({ inputSize: 5, hiddenSize: 0 })).toThrow("RNN: hiddenSize must be a positive integer, got 0");
    expect(() => new LSTM({ inputSize: 5, hiddenSize: 2.5 })).toThrow("LSTM: hiddenSize must be a positive integer, got 2.5");
    expect(() => new GRU({ inputSize: 1.5, hiddenSize: 2 })).toThrow("GRU: inputSize must be a positive integer, got 1.5");
    expect(() => new RNN({ inputSize: 5, hiddenSize: 2, numLayers: 0 })).toThrow("RNN: numLayers must be a positive integer, got 0");
    expect(() => new RNN({ inputSize: 5, hiddenSize: 2, dropout: -0.1 })).toThrow(
      "RNN: dropout probability has to be between 0 and 1, but got -0.1",
    );
    expect(() => new RNN({ inputSize: 5, hiddenSize: 2, nonlinearity: "sigmoid" as "tanh" })).toThrow(
      "RNN: Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.",
    );
    expect(() => new Linear(0, 2)).toThrow("Linear: inFeatures must be a positive integer, got 0");
  });
});

describe("layers", () => {
  test("Linear computes x W^T + b for batched and 1-D inputs, with correct gradients", () => {
    const linear = new Linear(3, 2, { dtype: "float64" });
    const x = randomTensor(5, [4, 3]);
    const W = linear.weight.toArray() as number[][];
    const b = Array.from(linear.bias!.data());
    const rows = x.toArray() as number[][];
    const expected = rows.map((row) => W.map((w, j) => w.reduce((sum, wk, k) => sum + wk * row[k], b[j])));
    assertClose(linear.forward(x).data(), expected.flat(), { ...FLOAT64, label: "batched" });
    assertClose(linear.forward(x.select(0, 1)).data(), expected[1], { ...FLOAT64, label: "1-D" });
    const upstream = randomTensor(6, [4, 2]);
    const lossOf = () => linear.forward(x).mul(upstream).sum();
    for (const p of linear.parameters()) assertClose(grad(lossOf(), [p])[0].data(), numericGradient(lossOf, p), { ...GRADCHECK, label: p.name });
  });

  test("Embedding looks rows up by int32 index, any index shape, and its gradient adds up repeated rows", () => {
    const embedding = new Embedding(5, 3, { dtype: "float64" });
    const indices = tensor([[4, 0, 4], [2, 2, 2]], { dtype: "int32" });
    const out = embedding.forward(indices);
    expect(out.shape).toEqual([2, 3, 3]);
    const table = embedding.weight.toArray() as number[][];
    assertClose(out.data(), [4, 0, 4, 2, 2, 2].flatMap((i) => table[i]), { ...FLOAT64, label: "lookup" });
    const upstream = randomTensor(8, [2, 3, 3]);
    const lossOf = () => embedding.forward(indices).mul(upstream).sum();
    const [dWeight] = grad(lossOf(), [embedding.weight]);
    const numeric = numericGradient(lossOf, embedding.weight);
    assertClose(dWeight.data(), numeric, { ...GRADCHECK, label: "d weight" });
    expect(Array.from(numeric.slice(3, 6)).every((v) => Math.abs(v) < 1e-9)).toBe(true); // row 1 is never used
    expect(() => embedding.forward(tensor([1, 2]))).toThrow("Embedding: expected int32 indices, got float32 [2]");
  });

  test("activation modules apply their function elementwise or along dim", () => {
    const x = randomTensor(9, [2, 3]);
    const xs = Array.from(x.data());
    assertClose(new Tanh().forward(x).data(), xs.map(Math.tanh), { ...FLOAT64, label: "tanh" });
    assertClose(new ReLU().forward(x).data(), xs.map((v) => Math.max(v, 0)), { ...FLOAT64, label: "relu" });
    assertClose(new Sigmoid().forward(x).data(), xs.map((v) => 1 / (1 + Math.exp(-v))), { ...FLOAT64, label: "sigmoid" });
    const rows = x.toArray() as number[][];
    const softmaxRows = rows.map((row) => row.map((v) => Math.exp(v) / row.reduce((s, u) => s + Math.exp(u), 0)));
    assertClose(new Softmax(-1).forward(x).data(), softmaxRows.flat(), { ...FLOAT64, label: "softmax" });
    assertClose(new LogSoftmax(1).forward(x).data(), softmaxRows.flat().map(Math.log), { ...FLOAT64, label: "logSoftmax" });
    const columns = [0, 1, 2].map((j) => rows.map((row) => row[j]));
    const softmaxColumns = columns.map((col) => col.map((v) => Math.exp(v) / col.reduce((s, u) => s + Math.exp(u), 0)));
    assertClose(new Softmax(0).forward(x).data(), [0, 1].flatMap((i) => softmaxColumns.map((col) => col[i])), { ...FLOAT64, label: "softmax dim 0" });
  });

  test("zeroGrad({ setToNone: true }) clears what backward accumulated (the default, zeros, is in module-features.test.ts)", () => {
    const model = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1));
    model.forward(tensor([[1, -1]])).sum().backward();
    expect(model.parameters().every((p) => p.grad !== undefined)).toBe(true);
    model.zeroGrad({ setToNone: true });
    expect(model.parameters().every((p) => p.grad === undefined)).toBe(true);
  });
});
