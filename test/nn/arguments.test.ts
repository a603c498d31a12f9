/**
 * Missing or wrongly typed arguments to every public nn constructor and function: each is a clear
 * error that names the module or function and says what was expected, never an internal
 * TypeError from somewhere below ("Cannot read properties of undefined", "is not iterable").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tensor } from "@gradgraph/core";
import { afterAll, describe, expect, test } from "vitest";
import {
  Adam,
  AdamW,
  Dropout,
  Embedding,
  GRU,
  LSTM,
  Linear,
  LogSoftmax,
  RNN,
  ReduceLROnPlateau,
  SGD,
  Sequential,
  Softmax,
  StepLR,
  Tanh,
  binaryCrossEntropyWithLogits,
  clipGradNorm,
  crossEntropyLoss,
  dropout,
  fanInAndFanOut,
  fillKaimingUniform,
  fillNormal,
  fillUniform,
  load,
  mseLoss,
  restore,
  save,
  trainStep,
} from "../../packages/nn/src";

const dir = mkdtempSync(join(tmpdir(), "gradgraph-arguments-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INTERNAL = /Cannot read propert|Cannot destructure|is not a function|is not iterable|Cannot use 'in' operator|undefined \(reading|null \(reading|Cannot convert/;
const any = (value: unknown) => value as never; // calls a JS user could write; TypeScript would refuse them
const params = () => [tensor([1, 2], { requiresGrad: true })];
const x = tensor([[1, 2]]);

type Case = [label: string, call: () => unknown, message: string];

const cases: Case[] = [
  ["new Linear()", () => new Linear(any(undefined), any(undefined)), "Linear: inFeatures must be a positive integer, got undefined"],
  ["Linear options null", () => new Linear(2, 3, any(null)), "Linear: options must be an object, got null"],
  ["Linear options a number", () => new Linear(2, 3, any(5)), "Linear: options must be an object, got 5"],
  ["Linear unknown option", () => new Linear(2, 3, any({ bias: true, in_features: 2 })), "Linear: unknown option(s) 'in_features' (options are bias, dtype, generator, name)"],
  ["Linear bias a string", () => new Linear(2, 3, any({ bias: "no" })), 'Linear: bias must be true or false, got "no"'],
  ["Linear dtype int32", () => new Linear(2, 3, any({ dtype: "int32" })), 'Linear: dtype must be "float32" or "float64", got "int32"'],
  ["Linear generator", () => new Linear(2, 3, any({ generator: {} })), "Linear: generator must be a Generator, got an object"],
  ["Linear name", () => new Linear(2, 3, any({ name: 7 })), "Linear: name must be a string, got 7"],
  ["Linear.forward()", () => new Linear(2, 3).forward(any(undefined)), "Linear: input must be a Tensor, got undefined"],
  ["Linear.forward(array)", () => new Linear(2, 3).forward(any([[1, 2]])), "Linear: input must be a Tensor, got an array"],
  ["new Embedding()", () => new Embedding(any(undefined), any(undefined)), "Embedding: numEmbeddings must be a positive integer, got undefined"],
  ["Embedding options", () => new Embedding(3, 2, any("x")), 'Embedding: options must be an object, got "x"'],
  ["Embedding.forward()", () => new Embedding(3, 2).forward(any(undefined)), "Embedding: indices must be a Tensor, got undefined"],
  ["new Dropout('x')", () => new Dropout(any("x")), "Dropout: dropout probability has to be between 0 and 1, but got x"],
  ["Dropout options null", () => new Dropout(0.5, any(null)), "Dropout: options must be an object, got null"],
  ["dropout()", () => dropout(any(undefined), 0.5), "dropout: input must be a Tensor, got undefined"],
  ["new Sequential(3)", () => new Sequential(any(3)), "Sequential: layer 0 must be a Module, got 3"],
  ["Sequential.at('x')", () => new Sequential(new Tanh()).at(any("x")), 'Sequential.at: index must be an integer, got "x"'],
  ["new Softmax()", () => new Softmax(any(undefined)), "Softmax: dim must be an integer, got undefined"],
  ["Softmax.forward()", () => new Softmax(0).forward(any(undefined)), "Softmax: input must be a Tensor, got undefined"],
  ["LogSoftmax.forward(3)", () => new LogSoftmax(0).forward(any(3)), "LogSoftmax: input must be a Tensor, got 3"],
  ["Tanh options", () => new Tanh(any(1)), "Tanh: options must be an object, got 1"],
  ["new RNN()", () => new RNN(any(undefined)), "RNN: inputSize must be a positive integer, got undefined"],
  ["new RNN(null)", () => new RNN(any(null)), "RNN: options must be an object, got null"],
  ["RNN PyTorch-cased option", () => new RNN(any({ inputSize: 2, hiddenSize: 3, batch_first: true })), "RNN: unknown option(s) 'batch_first'"],
  ["RNN batchFirst a string", () => new RNN(any({ inputSize: 2, hiddenSize: 3, batchFirst: "yes" })), 'RNN: batchFirst must be true or false, got "yes"'],
  ["RNN nonlinearity", () => new RNN(any({ inputSize: 2, hiddenSize: 3, nonlinearity: "sigmoid" })), "RNN: Unknown nonlinearity 'sigmoid'"],
  ["RNN.forward()", () => new RNN({ inputSize: 2, hiddenSize: 3 }).forward(any(undefined)), "RNN: input must be a Tensor, got undefined"],
  ["new LSTM(undefined)", () => new LSTM(any(undefined)), "LSTM: inputSize must be a positive integer, got undefined"],
  ["LSTM dtype", () => new LSTM(any({ inputSize: 2, hiddenSize: 3, dtype: "float16" })), 'LSTM: dtype must be "float32" or "float64", got "float16"'],
  ["LSTM.forward(x, h0 only)", () => new LSTM({ inputSize: 2, hiddenSize: 3 }).forward(x, any([x])), "LSTM: the initial state must be a pair [h0, c0]"],
  ["new GRU()", () => new GRU(any(undefined)), "GRU: inputSize must be a positive integer, got undefined"],
  ["GRU bidirectional", () => new GRU(any({ inputSize: 2, hiddenSize: 3, bidirectional: 1 })), "GRU: bidirectional must be true or false, got 1"],
  ["loadStateDict(null)", () => new Linear(2, 3).loadStateDict(any(null)), "Linear.loadStateDict: expected a state dict (an object from names to tensors), got null"],
  ["loadStateDict(tensor)", () => new Linear(2, 3).loadStateDict(any(x)), "Linear.loadStateDict: expected a state dict"],
  ["loadStateDict options", () => new Linear(2, 3).loadStateDict({}, any({ strict: "no" })), 'Linear.loadStateDict: strict must be true or false, got "no"'],
  ["loadStateDict entry", () => new Linear(2, 3).loadStateDict(any({ weight: "w", bias: tensor([1, 2, 3]) })), 'loadStateDict: entry "weight" must be a Tensor, {shape, data} or nested arrays, got "w"'],
  ["loadStateDict entry shape", () => new Linear(2, 3).loadStateDict(any({ weight: { shape: 6, data: [] }, bias: tensor([1, 2, 3]) })), 'loadStateDict: entry "weight" has shape 6, expected an array of non-negative integers'],
  ["new SGD()", () => new SGD(any(undefined), any(undefined)), "SGD: lr (the learning rate) is required"],
  ["new SGD(params, 0.1)", () => new SGD(params(), any(0.1)), "SGD: options must be an object, got 0.1"],
  ["new SGD(undefined, {lr})", () => new SGD(any(undefined), { lr: 0.1 }), "SGD: params must be an iterable of Tensors or of parameter groups, got undefined"],
  ["new Adam()", () => new Adam(any(undefined)), "Adam: params must be an iterable of Tensors or of parameter groups, got undefined"],
  ["new Adam(params, null)", () => new Adam(params(), any(null)), "Adam: options must be an object, got null"],
  ["Adam group params", () => new Adam(any([{ params: 5 }])), "Adam: parameter group 0: params must be an iterable of Tensors, got 5"],
  ["new AdamW(tensor)", () => new AdamW(any(x)), "AdamW: params must be an iterable of Tensors or of parameter groups"],
  ["optimizer.loadStateDict(null)", () => new Adam(params()).loadStateDict(any(null)), "Adam: loadStateDict expects {state, paramGroups}"],
  ["clipGradNorm()", () => clipGradNorm(any(undefined), 1), "clipGradNorm: params must be an iterable of Tensors, got undefined"],
  ["clipGradNorm([3])", () => clipGradNorm(any([3]), 1), "clipGradNorm: parameter 0 must be a Tensor, got 3"],
  ["clipGradNorm maxNorm", () => clipGradNorm(params(), any("1")), 'clipGradNorm: maxNorm must be >= 0, got "1"'],
  ["mseLoss()", () => mseLoss(any(undefined), any(undefined)), "mseLoss: input must be a Tensor, got undefined"],
  ["mseLoss(x, array)", () => mseLoss(x, any([[1, 2]])), "mseLoss: target must be a Tensor, got an array"],
  ["mseLoss options", () => mseLoss(x, x, any("sum")), 'mseLoss: options must be an object, got "sum"'],
  ["mseLoss reduction", () => mseLoss(x, x, any({ reduction: "avg" })), `mseLoss: reduction must be 'mean', 'sum' or 'none', got "avg"`],
  ["crossEntropyLoss target", () => crossEntropyLoss(x, any(undefined)), "crossEntropyLoss: target must be a Tensor, got undefined"],
  ["binaryCrossEntropyWithLogits()", () => binaryCrossEntropyWithLogits(any(null), x), "binaryCrossEntropyWithLogits: input must be a Tensor, got null"],
  ["fillUniform()", () => fillUniform(any(undefined), 0, 1), "fillUniform: tensor must be a Tensor, got undefined"],
  ["fillUniform bounds", () => fillUniform(tensor([0, 0]), any(undefined), 1), "fillUniform: low must be a finite number, got undefined"],
  ["fillNormal generator", () => fillNormal(tensor([0, 0]), 0, 1, any({})), "fillNormal: generator must be a Generator, got an object"],
  ["fillKaimingUniform()", () => fillKaimingUniform(any(undefined)), "fillKaimingUniform: tensor must be a Tensor, got undefined"],
  ["fanInAndFanOut()", () => fanInAndFanOut(any(undefined)), "fanInAndFanOut: shape must be an array of sizes, got undefined"],
  ["trainStep()", () => trainStep(any(undefined), x), "trainStep: optimizer must be an Optimizer, got undefined"],
  ["trainStep loss", () => trainStep(new SGD(params(), { lr: 0.1 }), any(undefined)), "trainStep: loss must be a Tensor, got undefined"],
  ["save(model)", () => save(new Linear(2, 3), any(undefined)), "save: path must be a non-empty string, got undefined"],
  ["save(undefined, path)", () => save(any(undefined), join(dir, "a.safetensors")), "save: expected a Module or a state dict (an object from names to tensors), got undefined"],
  ["save options null", () => save(new Linear(2, 3), join(dir, "a.safetensors"), any(null)), "save: options must be an object, got null"],
  ["save optimizer 5", () => save(new Linear(2, 3), join(dir, "a.safetensors"), any({ optimizer: 5 })), "save: optimizer must be an Optimizer or its stateDict(), got 5"],
  ["save metadata string", () => save(new Linear(2, 3), join(dir, "a.safetensors"), any({ metadata: "epoch 3" })), 'save: metadata must be an object of strings, got "epoch 3"'],
  ["save tensor entry", () => save(any({ w: [1, 2] }), join(dir, "a.safetensors")), 'save: "w" is not a Tensor (got an array)'],
  ["StepLR.loadStateDict(null)", () => new StepLR(new SGD(params(), { lr: 1 }), { stepSize: 2 }).loadStateDict(any(null)), "StepLR.loadStateDict: expected a scheduler's stateDict() (an object), got null"],
  ["StepLR state missing a key", () => new StepLR(new SGD(params(), { lr: 1 }), { stepSize: 2 }).loadStateDict({ last_epoch: 3, base_lrs: [1] }), "StepLR.loadStateDict: missing key '_last_lr'"],
  ["StepLR state, lrs for two groups", () => new StepLR(new SGD(params(), { lr: 1 }), { stepSize: 2 }).loadStateDict({ last_epoch: 3, base_lrs: [1, 1], _last_lr: [1] }), "StepLR.loadStateDict: 'base_lrs' must be a list of one finite number per parameter group (1), got [1, 1]"],
  ["StepLR state, a negative epoch", () => new StepLR(new SGD(params(), { lr: 1 }), { stepSize: 2 }).loadStateDict({ last_epoch: -2, base_lrs: [1], _last_lr: [1] }), "StepLR.loadStateDict: 'last_epoch' must be a non-negative integer, got -2"],
  ["ReduceLROnPlateau state, a stranger key", () => new ReduceLROnPlateau(new SGD(params(), { lr: 1 })).loadStateDict({ ...new ReduceLROnPlateau(new SGD(params(), { lr: 1 })).stateDict(), patience: 3 }), "ReduceLROnPlateau.loadStateDict: unexpected keys 'patience' (a ReduceLROnPlateau state has last_epoch, best, num_bad_epochs, cooldown_counter, _last_lr)"],
  ["load()", () => load(any(undefined)), "load: expected a path (a non-empty string) or a checkpoint's bytes (a Uint8Array), got undefined"],
  ["restore()", () => restore(any(undefined), new Linear(2, 3)), "restore: expected a path (a non-empty string) or a checkpoint's bytes (a Uint8Array), got undefined"],
  ["restore(path, {})", () => restore(join(dir, "a.safetensors"), any({})), "restore: module must be a Module, got an object"],
  ["restore optimizer", () => restore(join(dir, "a.safetensors"), new Linear(2, 3), any({})), "restore: optimizer must be an Optimizer, got an object"],
];

describe("every public constructor and function names itself and what it expected", () => {
  test.each(cases)("%s", async (_label, call, message) => {
    let error: unknown;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    expect(error, "should have thrown").toBeInstanceOf(Error);
    const text = (error as Error).message;
    expect(text).toContain(message);
    expect(text).not.toMatch(INTERNAL);
  });
});
