/**
 * Modules print as PyTorch 1.13's repr(module): every layer with default and other options, the
 * containers and their nesting, against the "repr" cases of module-repr.json (make_module_repr.py,
 * which lists the PyTorch expression each case below builds).
 */
import { inspect } from "node:util";
import type { Tensor } from "@gradgraph/core";
import { describe, expect, test } from "vitest";
import * as nn from "../../packages/nn/src";
import { type AnyModule, Module } from "../../packages/nn/src";
import { pyFloat } from "../../packages/nn/src/pythonRepr";
import { loadFixture } from "../helpers/fixtures";

type ReprCase = { id: string; kind: "repr"; torch: string; repr: string };
const cases = loadFixture<ReprCase | { kind: string }>("module-repr.json").filter((c): c is ReprCase => c.kind === "repr");

const encoderLayer = () => new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });

/** The gradgraph spelling of each case's PyTorch expression. */
const builds: Record<string, () => AnyModule> = {
  linear: () => new nn.Linear(3, 4),
  "linear-no-bias": () => new nn.Linear(3, 4, { bias: false }),
  embedding: () => new nn.Embedding(10, 3),
  "embedding-options": () => new nn.Embedding(10, 3, { paddingIdx: -1, maxNorm: 1, normType: 1 }),
  dropout: () => new nn.Dropout(),
  "dropout-p": () => new nn.Dropout(0.25),
  tanh: () => new nn.Tanh(),
  relu: () => new nn.ReLU(),
  sigmoid: () => new nn.Sigmoid(),
  silu: () => new nn.SiLU(),
  mish: () => new nn.Mish(),
  selu: () => new nn.SELU(),
  relu6: () => new nn.ReLU6(),
  hardsigmoid: () => new nn.Hardsigmoid(),
  hardswish: () => new nn.Hardswish(),
  logsigmoid: () => new nn.LogSigmoid(),
  softsign: () => new nn.Softsign(),
  gelu: () => new nn.GELU(),
  "gelu-tanh": () => new nn.GELU("tanh"),
  "leaky-relu": () => new nn.LeakyReLU(),
  "leaky-relu-slope": () => new nn.LeakyReLU(0.2),
  elu: () => new nn.ELU(),
  "elu-alpha": () => new nn.ELU(0.5),
  celu: () => new nn.CELU(),
  "celu-alpha": () => new nn.CELU(2),
  softplus: () => new nn.Softplus(),
  "softplus-options": () => new nn.Softplus(2, 10),
  "softplus-fraction": () => new nn.Softplus(0.5),
  hardtanh: () => new nn.Hardtanh(),
  "hardtanh-range": () => new nn.Hardtanh(-2, 2.5),
  softmax: () => new nn.Softmax(1),
  "softmax-last": () => new nn.Softmax(-1),
  "log-softmax": () => new nn.LogSoftmax(0),
  "layer-norm": () => new nn.LayerNorm(4),
  "layer-norm-options": () => new nn.LayerNorm([2, 3], { eps: 1e-6, elementwiseAffine: false }),
  "group-norm": () => new nn.GroupNorm(2, 4),
  "group-norm-options": () => new nn.GroupNorm(1, 3, { eps: 0.001, affine: false }),
  "batch-norm-1d": () => new nn.BatchNorm1d(4),
  "batch-norm-1d-momentum": () => new nn.BatchNorm1d(5, { momentum: 0.2 }),
  "batch-norm-2d-options": () => new nn.BatchNorm2d(3, { eps: 0.001, momentum: null, affine: false, trackRunningStats: false }),
  identity: () => new nn.Identity(),
  flatten: () => new nn.Flatten(),
  "flatten-dims": () => new nn.Flatten(0, 2),
  unflatten: () => new nn.Unflatten(1, [2, 3]),
  "unflatten-inferred": () => new nn.Unflatten(-1, [-1, 4]),
  conv1d: () => new nn.Conv1d(2, 3, 3),
  "conv2d-options": () => new nn.Conv2d(1, 4, 3, { stride: 2, padding: 1, dilation: 2, bias: false, paddingMode: "reflect" }),
  "conv2d-groups-valid": () => new nn.Conv2d(4, 4, [3, 5], { groups: 2, padding: "valid" }),
  "conv1d-same-circular": () => new nn.Conv1d(2, 3, 4, { padding: "same", paddingMode: "circular" }),
  "conv-transpose1d": () => new nn.ConvTranspose1d(2, 3, 3),
  "conv-transpose2d-options": () => new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2, bias: false }),
  "max-pool1d": () => new nn.MaxPool1d(3),
  "max-pool1d-options": () => new nn.MaxPool1d(3, { stride: 2, padding: 1, dilation: 2, ceilMode: true }),
  "max-pool2d": () => new nn.MaxPool2d(2),
  "max-pool2d-tuples": () => new nn.MaxPool2d([2, 3], { stride: [1, 2], returnIndices: true }),
  "avg-pool1d": () => new nn.AvgPool1d(3),
  "avg-pool1d-options": () => new nn.AvgPool1d(4, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  "avg-pool2d": () => new nn.AvgPool2d(2),
  "avg-pool2d-options": () => new nn.AvgPool2d([2, 3], { stride: 1, padding: [1, 0], divisorOverride: 3 }),
  "adaptive-avg-pool1d": () => new nn.AdaptiveAvgPool1d(4),
  "adaptive-avg-pool2d": () => new nn.AdaptiveAvgPool2d(5),
  "adaptive-avg-pool2d-none": () => new nn.AdaptiveAvgPool2d([3, null]),
  upsample: () => new nn.Upsample({ scaleFactor: 2 }),
  "upsample-size": () => new nn.Upsample({ size: [4, 6], mode: "bilinear", alignCorners: true }),
  "upsample-factors": () => new nn.Upsample({ scaleFactor: [2, 3], mode: "nearest" }),
  "upsample-linear": () => new nn.Upsample({ size: 5, mode: "linear" }),
  attention: () => new nn.MultiheadAttention(4, 2),
  "attention-options": () => new nn.MultiheadAttention(6, 3, { dropout: 0.1, bias: false, kdim: 4, vdim: 5, batchFirst: true }),
  "encoder-layer": encoderLayer,
  "encoder-layer-options": () =>
    new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0, activation: "gelu", layerNormEps: 1e-6, batchFirst: true, normFirst: true }),
  encoder: () => new nn.TransformerEncoder(encoderLayer(), 2, { norm: new nn.LayerNorm(4) }),
  "rnn-notebook": () => new nn.RNN({ inputSize: 5, hiddenSize: 2, batchFirst: true }),
  "rnn-options": () => new nn.RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, nonlinearity: "relu", bias: false, dropout: 0.5, bidirectional: true }),
  lstm: () => new nn.LSTM({ inputSize: 3, hiddenSize: 4 }),
  "lstm-projected": () => new nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 3, projSize: 2, batchFirst: true }),
  "gru-options": () => new nn.GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.25, bidirectional: true }),
  "rnn-cell": () => new nn.RNNCell({ inputSize: 3, hiddenSize: 4 }),
  "rnn-cell-options": () => new nn.RNNCell({ inputSize: 3, hiddenSize: 4, bias: false, nonlinearity: "relu" }),
  "lstm-cell": () => new nn.LSTMCell({ inputSize: 3, hiddenSize: 4 }),
  "gru-cell-no-bias": () => new nn.GRUCell({ inputSize: 3, hiddenSize: 4, bias: false }),
  sequential: () => new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2)),
  "sequential-nested": () => new nn.Sequential(new nn.Sequential(new nn.Linear(2, 2), new nn.Tanh()), new nn.Dropout(0.1)),
  "sequential-empty": () => new nn.Sequential(),
  "module-list": () => new nn.ModuleList<AnyModule>([new nn.Linear(2, 2), new nn.ReLU()]),
  "module-list-empty": () => new nn.ModuleList(),
  "module-dict": () =>
    new nn.ModuleDict<AnyModule>({
      enc: new nn.Linear(2, 3),
      act: new nn.GELU(),
      stack: new nn.Sequential(new nn.Linear(3, 3), new nn.ModuleList([new nn.Tanh()])),
    }),
};

describe("modules print as PyTorch's repr", () => {
  test("every case of the fixture has a build here, and every build a case", () => {
    expect(Object.keys(builds).sort()).toEqual(cases.map((c) => c.id).sort());
  });

  test.each(cases)("$id: $torch", ({ id, repr }) => {
    const module = builds[id]();
    expect(module.toString()).toBe(repr);
    expect(String(module)).toBe(repr);
    expect(`${module}`).toBe(repr);
    // Node's console.log and util.inspect print the same tree, not the object's fields.
    expect(inspect(module)).toBe(repr);
  });
});

describe("a user's module", () => {
  class Scaled extends Module {
    readonly inner = new nn.Linear(2, 2);
    constructor(readonly factor: number) {
      super();
    }
    forward(x: Tensor): Tensor {
      return this.inner.forward(x).mul(this.factor);
    }
    override extraRepr(): string {
      return `factor=${pyFloat(this.factor)}\nclamped=False`;
    }
  }

  test("prints by its class name; its extraRepr lines come before its children, each indented", () => {
    // PyTorch: extra lines first, then children; one extra line alone stays on the first line.
    expect(String(new Scaled(2))).toBe("Scaled(\n  factor=2.0\n  clamped=False\n  (inner): Linear(in_features=2, out_features=2, bias=True)\n)");
    const nested = new nn.Sequential(new Scaled(0.5));
    expect(String(nested)).toBe(
      "Sequential(\n  (0): Scaled(\n    factor=0.5\n    clamped=False\n    (inner): Linear(in_features=2, out_features=2, bias=True)\n  )\n)",
    );
  });

  test("Python's float spelling: shortest digits, .0 for integers, exponents below 1e-4 and from 1e16", () => {
    // Each is Python's repr(float(x)).
    const expected: [number, string][] = [
      [1, "1.0"],
      [-2, "-2.0"],
      [0.1, "0.1"],
      [1e-4, "0.0001"],
      [1e-5, "1e-05"],
      [1.5e-7, "1.5e-07"],
      [123456.789, "123456.789"],
      [1e15, "1000000000000000.0"],
      [1e16, "1e+16"],
      [2.5e100, "2.5e+100"],
      [-0, "-0.0"],
      [0, "0.0"],
      [Number.NaN, "nan"],
      [-Infinity, "-inf"],
    ];
    for (const [x, text] of expected) expect(pyFloat(x), String(x)).toBe(text);
  });
});
