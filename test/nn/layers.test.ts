/**
 * The layers beyond their PyTorch fixtures (test/nn/layers-fixtures.test.ts): errors in PyTorch's
 * words, named by the module; ModuleList and ModuleDict; dropout inside attention and the
 * transformer (which generator it draws from, and that eval turns it off); TransformerEncoder's
 * copies; and the compiled path through an encoder layer.
 */
import { Generator, type Tensor, compile, grad, groupNorm, layerNorm, manualSeed, rand, scaledDotProductAttention, tensor, zeros } from "@gradgraph/core";
import { describe, expect, test } from "vitest";
import {
  BatchNorm1d,
  BatchNorm2d,
  Embedding,
  Flatten,
  GELU,
  GroupNorm,
  Hardtanh,
  LayerNorm,
  Linear,
  Module,
  ModuleDict,
  ModuleList,
  MultiheadAttention,
  ReLU,
  Tanh,
  TransformerEncoder,
  TransformerEncoderLayer,
  Unflatten,
} from "../../packages/nn/src";
import { expectSameBits, interpreted } from "../helpers/random-graphs";

const bad = <T>(value: unknown) => value as T;

function uniformTensor(seed: number, shape: number[], dtype: "float32" | "float64" = "float64"): Tensor {
  const values = new Float64Array(shape.reduce((a, b) => a * b, 1));
  new Generator(seed).fillUniform(values, -1, 1);
  return tensor(values, { shape, dtype });
}

describe("errors name the module and say what was expected and what came, in PyTorch's words", () => {
  const x23 = uniformTensor(1, [2, 3]);
  const mha = new MultiheadAttention(4, 2);
  const q = uniformTensor(2, [3, 2, 4], "float32");
  const cases: [string, () => unknown, string][] = [
    ["LayerNorm, wrong trailing dims", () => new LayerNorm(4).forward(x23), "LayerNorm: Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 3]"],
    [
      "LayerNorm, two normalized dims",
      () => new LayerNorm([2, 4]).forward(uniformTensor(1, [3, 2, 3])),
      "LayerNorm: Given normalized_shape=[2, 4], expected input with shape [*, 2, 4], but got input of size[3, 2, 3]",
    ],
    ["LayerNorm, an empty shape", () => new LayerNorm([]), "LayerNorm: normalizedShape must be a size or a non-empty array of sizes, got an array"],
    ["LayerNorm, a PyTorch-cased option", () => new LayerNorm(3, bad({ elementwise_affine: false })), "LayerNorm: unknown option(s) 'elementwise_affine'"],
    ["GroupNorm, channels not divisible", () => new GroupNorm(4, 6), "GroupNorm: num_channels must be divisible by num_groups"],
    [
      "GroupNorm, other channels in the input",
      () => new GroupNorm(2, 6).forward(uniformTensor(1, [2, 4, 3], "float32")),
      "GroupNorm: Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [6] and input of shape [2, 4, 3]",
    ],
    ["BatchNorm1d, 4-D input", () => new BatchNorm1d(3).forward(zeros([2, 3, 4, 5])), "BatchNorm1d: expected 2D or 3D input (got 4D input)"],
    ["BatchNorm2d, 3-D input", () => new BatchNorm2d(3).forward(zeros([2, 3, 4])), "BatchNorm2d: expected 4D input (got 3D input)"],
    [
      "BatchNorm1d, one value per channel in training",
      () => new BatchNorm1d(3).forward(zeros([1, 3])),
      "BatchNorm1d: Expected more than 1 value per channel when training, got input size [1, 3]",
    ],
    ["BatchNorm1d, other channels in the input", () => new BatchNorm1d(3).eval().forward(zeros([2, 4])), "BatchNorm1d: running_mean should contain 4 elements not 3"],
    [
      "BatchNorm1d, an input of another dtype than its statistics",
      () => new BatchNorm1d(3).forward(zeros([2, 3], { dtype: "float64" })),
      "BatchNorm1d: input is float64 but the running statistics are float32",
    ],
    ["BatchNorm1d, a string momentum", () => new BatchNorm1d(3, { momentum: bad("0.1") }), "BatchNorm1d: momentum (a number, or null for a cumulative average) must be a finite number"],
    ["Flatten, start after end", () => new Flatten(2, 1).forward(zeros([2, 3, 4])), "Flatten: flatten() has invalid args: start_dim cannot come after end_dim"],
    ["Flatten, a dim out of range", () => new Flatten().forward(zeros([2])), "Flatten: Dimension out of range (expected to be in range of [-1, 0], but got 1)"],
    [
      "Unflatten, sizes that do not multiply up",
      () => new Unflatten(1, [2, 2]).forward(zeros([2, 6])),
      "Unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 1 (6) in the input tensor",
    ],
    ["Unflatten, two inferred sizes", () => new Unflatten(1, [-1, -1]), "Unflatten: only one dimension can be inferred"],
    ["Embedding, padding index past the end", () => new Embedding(3, 2, { paddingIdx: 3 }), "Embedding: Padding_idx must be within num_embeddings"],
    ["Embedding, padding index before the start", () => new Embedding(3, 2, { paddingIdx: -4 }), "Embedding: Padding_idx must be within num_embeddings"],
    ["Embedding, float indices", () => new Embedding(3, 2).forward(zeros([2])), "Embedding: expected int32 indices, got float32 [2]"],
    ["GELU, an unknown approximation", () => new GELU(bad("exact")), 'GELU: approximate argument must be either none or tanh, got "exact"'],
    ["Hardtanh, max below min", () => new Hardtanh(1, 0), "Hardtanh: expected maxVal > minVal, got minVal = 1 and maxVal = 0"],
    ["MultiheadAttention, heads not dividing the embedding", () => new MultiheadAttention(5, 2), "MultiheadAttention: embed_dim must be divisible by num_heads"],
    [
      "MultiheadAttention, another embedding size",
      () => mha.forward(zeros([3, 2, 5]), zeros([3, 2, 5]), zeros([3, 2, 5])),
      "MultiheadAttention: was expecting embedding dimension of 4, but got 5",
    ],
    [
      "MultiheadAttention, 4-D query",
      () => mha.forward(zeros([3, 2, 2, 4]), q, q),
      "MultiheadAttention: query should be unbatched 2D or batched 3D tensor but received 4-D query tensor",
    ],
    [
      "MultiheadAttention, unbatched key for a batched query",
      () => mha.forward(q, zeros([3, 4]), zeros([3, 4])),
      "MultiheadAttention: For batched (3-D) `query`, expected `key` and `value` to be 3-D but found 2-D and 2-D tensors respectively",
    ],
    [
      "MultiheadAttention, key and value of different lengths",
      () => mha.forward(q, q, zeros([4, 2, 4])),
      "MultiheadAttention: key shape [3, 2, 4] does not match value shape [4, 2, 4]",
    ],
    [
      "MultiheadAttention, a 2-D mask of the wrong shape",
      () => mha.forward(q, q, q, { attnMask: zeros([3, 4], { dtype: "int32" }) }),
      "MultiheadAttention: The shape of the 2D attn_mask is [3, 4], but should be (3, 3).",
    ],
    [
      "MultiheadAttention, a 3-D mask of the wrong shape",
      () => mha.forward(q, q, q, { attnMask: zeros([5, 3, 3], { dtype: "int32" }) }),
      "MultiheadAttention: The shape of the 3D attn_mask is [5, 3, 3], but should be (4, 3, 3).",
    ],
    [
      "MultiheadAttention, a padding mask of the wrong shape",
      () => mha.forward(q, q, q, { keyPaddingMask: zeros([2, 4], { dtype: "int32" }) }),
      "MultiheadAttention: expecting key_padding_mask shape of (2, 3), but got [2, 4]",
    ],
    [
      "MultiheadAttention, keys of the wrong size",
      () => new MultiheadAttention(4, 2, { kdim: 3 }).forward(q, zeros([3, 2, 4]), zeros([3, 2, 4])),
      "MultiheadAttention: expected key with 3 features (kdim), got key [3, 2, 4]",
    ],
    ["TransformerEncoderLayer, an unknown activation", () => new TransformerEncoderLayer(4, 2, { activation: bad("tanh") }), 'activation should be relu/gelu, not "tanh"'],
    ["TransformerEncoder of another module", () => new TransformerEncoder(bad(new Linear(2, 2)), 2), "TransformerEncoder: encoderLayer must be a TransformerEncoderLayer, got a Linear"],
    ["calling a ModuleList", () => new ModuleList([new ReLU()]).forward(), 'Module [ModuleList] is missing the required "forward" function'],
    ["ModuleList, a non-module", () => new ModuleList([bad<Module>(1)]), "ModuleList.append: module must be a Module, got 1"],
    ["ModuleList, an index out of range", () => new ModuleList([new ReLU()]).at(3), "ModuleList: index 3 is out of range for 1 modules"],
    ["ModuleDict, a dotted key", () => new ModuleDict({ "a.b": new ReLU() }), 'ModuleDict: module name must be a non-empty string without ".", got "a.b"'],
    ["ModuleDict, a missing key", () => new ModuleDict({ a: new ReLU() }).get("b"), 'ModuleDict: no module named "b" (keys are a)'],
    ["the functional layerNorm", () => layerNorm(x23, [4]), "layerNorm: Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 3]"],
    [
      "the functional groupNorm",
      () => groupNorm(uniformTensor(1, [2, 6, 3]), 4),
      "groupNorm: Expected number of channels in input to be divisible by num_groups, but got input of shape [2, 6, 3] and num_groups=4",
    ],
    [
      "scaledDotProductAttention, causal with a mask",
      () => scaledDotProductAttention(q, q, q, { isCausal: true, attnMask: zeros([3, 3]) }),
      "scaledDotProductAttention: Explicit attn_mask should not be set when is_causal=True",
    ],
    [
      "scaledDotProductAttention, keys of another size",
      () => scaledDotProductAttention(zeros([2, 3, 4]), zeros([2, 5, 3]), zeros([2, 5, 4])),
      "scaledDotProductAttention: expected key of shape [..., S, 4] (the query's embedding size), got key [2, 5, 3]",
    ],
    [
      "scaledDotProductAttention, a mask that does not broadcast",
      () => scaledDotProductAttention(zeros([2, 3, 4]), zeros([2, 5, 4]), zeros([2, 5, 4]), { attnMask: zeros([2, 1, 3, 5]) }),
      "scaledDotProductAttention: attnMask of shape [2, 1, 3, 5] does not broadcast to the attention weights' shape [2, 3, 5]",
    ],
  ];

  test.each(cases)("%s", (_what, call, message) => {
    expect(call).toThrow(message);
  });
});

describe("ModuleList and ModuleDict", () => {
  test("ModuleList registers its modules as children 0, 1, ...: PyTorch's state-dict keys, inside a parent too", () => {
    const list = new ModuleList([new Linear(3, 2), new Tanh()]);
    list.append(new Linear(2, 1, { bias: false }));
    expect(Object.keys(list.stateDict())).toEqual(["0.weight", "0.bias", "2.weight"]);
    expect(list.length).toBe(3);
    expect(list.at(-1)).toBe([...list][2]);
    expect([...list].map((m) => m.constructor.name)).toEqual(["Linear", "Tanh", "Linear"]);

    class Stack extends Module {
      readonly blocks = this.registerModule("blocks", new ModuleList<Linear>().extend([new Linear(2, 2), new Linear(2, 2)]));
      forward(x: Tensor): Tensor {
        let y = x;
        for (const block of this.blocks) y = block.forward(y).tanh();
        return y;
      }
    }
    const stack = new Stack();
    expect(Object.keys(stack.stateDict())).toEqual(["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]);
    expect(stack.parameters().map((p) => p.name)).toEqual(["stack.blocks.0.weight", "stack.blocks.0.bias", "stack.blocks.1.weight", "stack.blocks.1.bias"]);
    const gradients = grad(stack.forward(uniformTensor(3, [4, 2], "float32")).sum(), stack.parameters());
    expect(gradients.every((g) => g.data().some((v) => v !== 0))).toBe(true);
  });

  test("ModuleList set, insert and pop renumber the children as PyTorch's __setitem__, insert and pop do", () => {
    // PyTorch 1.13: ModuleList([Linear(1,1), Linear(1,2), Linear(1,3)]); del l[0]; l.insert(0, Linear(1,4));
    // l[-1] = Linear(1,5); l.pop(1) -> out_features [4, 5], children '0', '1'
    const widths = (list: ModuleList<Linear>) => [...list].map((layer) => layer.stateDict().bias.shape[0]);
    const list = new ModuleList([new Linear(1, 1), new Linear(1, 2), new Linear(1, 3)]);
    list.pop(0);
    expect(Object.keys(list.stateDict())).toEqual(["0.weight", "0.bias", "1.weight", "1.bias"]);
    expect(widths(list)).toEqual([2, 3]);
    list.insert(0, new Linear(1, 4));
    expect(widths(list)).toEqual([4, 2, 3]);
    expect(list.namedChildren().map(([name]) => name)).toEqual(["0", "1", "2"]);
    list.set(-1, new Linear(1, 5));
    expect(widths(list)).toEqual([4, 2, 5]);
    expect(list.stateDict()["2.bias"].shape).toEqual([5]);
    expect(widths([list.pop(1)] as unknown as ModuleList<Linear>)).toEqual([2]);
    expect(widths(list)).toEqual([4, 5]);
    expect(list.namedChildren().map(([name]) => name)).toEqual(["0", "1"]);
    // Python's list.insert reading of the index: from the end when negative, clamped to the ends
    list.insert(-1, new Linear(1, 6)).insert(10, new Linear(1, 7));
    expect(widths(list)).toEqual([4, 6, 5, 7]);
    expect(Object.keys(list.stateDict())).toEqual([0, 1, 2, 3].flatMap((i) => [`${i}.weight`, `${i}.bias`]));
    expect(() => list.set(4, new Linear(1, 1))).toThrow("ModuleList.set: index 4 is out of range for 4 modules");
    expect(() => new ModuleList().pop()).toThrow("ModuleList.pop: index -1 is out of range for 0 modules");
  });

  test("ModuleDict set replaces in place, pop and clear remove, as PyTorch's __setitem__, pop and clear", () => {
    // PyTorch 1.13: d = ModuleDict({"a": Linear(1, 1), "b": Linear(1, 2)}); d["a"] = Linear(1, 3);
    // list(d.state_dict()) keeps a first; d.pop("a"); list(d.keys()) == ["b"]
    const dict = new ModuleDict<Linear>({ a: new Linear(1, 1), b: new Linear(1, 2) });
    dict.set("a", new Linear(1, 3));
    expect(Object.keys(dict.stateDict())).toEqual(["a.weight", "a.bias", "b.weight", "b.bias"]);
    expect(dict.stateDict()["a.bias"].shape).toEqual([3]);
    expect(dict.pop("a").stateDict().bias.shape).toEqual([3]);
    expect(dict.keys()).toEqual(["b"]);
    expect(Object.keys(dict.stateDict())).toEqual(["b.weight", "b.bias"]);
    expect(() => dict.pop("a")).toThrow('ModuleDict: no module named "a" (keys are b)');
    dict.set("a", new Linear(1, 4));
    expect(dict.keys()).toEqual(["b", "a"]);
    expect(dict.clear().size).toBe(0);
    expect(dict.parameters()).toEqual([]);
  });

  test("ModuleDict keeps insertion order, names children by key, and its modules follow train/eval and to()", () => {
    const dict = new ModuleDict<Module>({ encoder: new Linear(2, 3), act: new ReLU() });
    dict.update([["norm", new BatchNorm1d(3)]]);
    expect(dict.keys()).toEqual(["encoder", "act", "norm"]);
    expect(dict.size).toBe(3);
    expect(dict.has("act") && !dict.has("decoder")).toBe(true);
    expect(dict.get("encoder")).toBe(dict.values()[0]);
    expect(dict.entries().map(([key]) => key)).toEqual(dict.keys());
    expect(Object.keys(dict.stateDict())).toEqual([
      "encoder.weight",
      "encoder.bias",
      "norm.weight",
      "norm.bias",
      "norm.running_mean",
      "norm.running_var",
      "norm.num_batches_tracked",
    ]);
    dict.eval();
    expect(dict.values().every((m) => !m.training)).toBe(true);
    dict.double();
    const norm = dict.get("norm") as BatchNorm1d;
    expect([norm.weight!.dtype, norm.runningMean!.dtype, norm.numBatchesTracked!.dtype]).toEqual(["float64", "float64", "int32"]);
  });
});

describe("dropout in attention and the transformer", () => {
  test("scaledDotProductAttention keeps each weight or zeroes it, scales the kept ones by 1/(1-p), and draws from its generator", () => {
    const [query, key, value] = [uniformTensor(4, [2, 3, 4]), uniformTensor(5, [2, 5, 4]), uniformTensor(6, [2, 5, 3])];
    const plain = scaledDotProductAttention(query, key, value).attnWeights.data();
    const generator = new Generator(7);
    const dropped = scaledDotProductAttention(query, key, value, { dropoutP: 0.25, generator }).attnWeights.data();
    let zeroed = 0;
    dropped.forEach((w, i) => {
      if (w === 0) zeroed++;
      else expect(w).toBeCloseTo(plain[i] / 0.75, 12);
    });
    expect(zeroed).toBeGreaterThan(0);
    const twin = new Generator(7);
    twin.fillUniform(new Float64Array(plain.length), 0, 1);
    expect(generator.nextUint32()).toBe(twin.nextUint32());
  });

  test("MultiheadAttention drops attention weights in training only", () => {
    const mha = new MultiheadAttention(4, 2, { dropout: 0.5, generator: new Generator(1), dtype: "float64" });
    const x = uniformTensor(8, [3, 2, 4]);
    const [, trained] = mha.forward(x, x, x, { averageAttnWeights: false });
    mha.eval();
    const [, evaluated] = mha.forward(x, x, x, { averageAttnWeights: false });
    const reference = evaluated!.data();
    expect(trained!.data().some((w) => w === 0)).toBe(true);
    trained!.data().forEach((w, i) => (w === 0 ? undefined : expect(w).toBeCloseTo(2 * reference[i], 12)));
    expect(evaluated!.sum(-1).data().every((s) => Math.abs(s - 1) < 1e-12)).toBe(true);
  });

  test("TransformerEncoder's copies draw nothing, and their dropout draws from the layer's generator", () => {
    const [batch, length, dModel, heads, hidden, layers] = [2, 3, 4, 2, 5, 2];
    const generator = new Generator(11);
    const twin = new Generator(11);
    const layer = new TransformerEncoderLayer(dModel, heads, { dimFeedforward: hidden, dropout: 0.5, generator });
    new TransformerEncoderLayer(dModel, heads, { dimFeedforward: hidden, dropout: 0.5, generator: twin });
    manualSeed(3);
    const expectedDefault = rand([4]).data();
    manualSeed(3);
    const encoder = new TransformerEncoder(layer, layers);
    encoder.forward(uniformTensor(9, [length, batch, dModel], "float32"));
    expect(rand([4]).data(), "the default generator is untouched").toEqual(expectedDefault);
    // Per layer: the attention weights, the feed-forward's hidden units, and the two residual branches.
    const draws = layers * (batch * heads * length * length + length * batch * hidden + 2 * length * batch * dModel);
    twin.fillUniform(new Float32Array(draws), 0, 1);
    expect(generator.nextUint32()).toBe(twin.nextUint32());
  });

  test("the copies are new leaves with the layer's values, its training flags and its dtype", () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 3 }).double();
    layer.norm2.eval();
    const encoder = new TransformerEncoder(layer, 2, { norm: new LayerNorm(4, { dtype: "float64" }) });
    const copies = [...encoder.layers];
    for (const copy of copies) {
      expect(copy.linear1.weight).not.toBe(layer.linear1.weight);
      expect(copy.linear1.weight.dtype).toBe("float64");
      expect(Array.from(copy.selfAttn.inProjWeight!.data())).toEqual(Array.from(layer.selfAttn.inProjWeight!.data()));
      expect(copy.norm2.training).toBe(false);
      expect(copy.norm1.training).toBe(true);
    }
    copies[0].linear2.weight.assign(new Float64Array(copies[0].linear2.weight.size));
    expect(copies[1].linear2.weight.data().some((v) => v !== 0)).toBe(true);
    expect(Object.keys(encoder.stateDict()).filter((k) => !k.startsWith("layers."))).toEqual(["norm.weight", "norm.bias"]);
  });
});

describe("state the layers keep", () => {
  test("Embedding's maxNorm rescales the weight in place: tensors built before keep their values", () => {
    const embedding = new Embedding(3, 2, { maxNorm: 1, dtype: "float64" });
    embedding.weight.assign([3, 4, 0.3, 0.4, 6, 8]);
    const before = embedding.weight.mul(1);
    const out = embedding.forward(tensor([0, 1], { dtype: "int32" }));
    expect(Array.from(before.data())).toEqual([3, 4, 0.3, 0.4, 6, 8]);
    // Row 0 (norm 5) is scaled to norm 1 (less 1e-7), row 1 (norm 0.5) is left alone, row 2 is not looked up.
    const scale = 1 / (5 + 1e-7);
    expect(Array.from(embedding.weight.data())).toEqual([3 * scale, 4 * scale, 0.3, 0.4, 6, 8]);
    expect(Array.from(out.data())).toEqual([3 * scale, 4 * scale, 0.3, 0.4]);
  });

  test("BatchNorm with momentum null averages every batch so far", () => {
    const bn = new BatchNorm1d(1, { momentum: null, affine: false, dtype: "float64" });
    const batches = [[1, 3], [2, 6, 7], [0, -4]];
    for (const batch of batches) bn.forward(tensor(batch, { shape: [batch.length, 1], dtype: "float64" }));
    const means = batches.map((b) => b.reduce((s, v) => s + v, 0) / b.length);
    expect(bn.runningMean!.item()).toBeCloseTo(means.reduce((s, v) => s + v, 0) / 3, 14);
    expect(bn.numBatchesTracked!.item()).toBe(3);
  });
});

test("an encoder layer compiles: the program gives the evaluator's bits, gradients included", () => {
  const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, dtype: "float64", generator: new Generator(2) });
  const src = uniformTensor(10, [3, 2, 4]);
  const mask = tensor([0, 1, 1, 0, 0, 1, 0, 0, 0], { shape: [3, 3], dtype: "int32" });
  const build = () => {
    const out = layer.forward(src, { srcMask: mask });
    return [out, ...grad(out.square().sum(), [src, ...layer.parameters()])];
  };
  const expected = interpreted(() => build().map((t) => Array.from(t.data())));
  const actual = compile({ outputs: build() }).run();
  actual.forEach((values, i) => expectSameBits(values, expected[i], `output ${i}`));
});
