/**
 * layers.json (PyTorch 1.13): the normalization, reshaping, activation, embedding and attention
 * layers (forward and gradients in float64, BatchNorm's running statistics over training steps,
 * Embedding's max_norm), their functional forms in the core, and each layer's default
 * initialization after manualSeed. Every case must run.
 */
import { readFileSync } from "node:fs";
import {
  type Tensor,
  batchNorm,
  evaluate,
  grad,
  groupNorm,
  layerNorm,
  manualSeed,
  rand,
  scaledDotProductAttention,
  tensor,
} from "@gradgraph/core";
import { type Tolerance, assertClose } from "@gradgraph/core/testing";
import { describe, expect, test } from "vitest";
import * as nn from "../../packages/nn/src";
import { FLOAT64, loadFixture } from "../helpers/fixtures";

/** A fixture tensor: floats (non-finite ones as "NaN", "Infinity", "-Infinity"), or "bool" and "int64" ones. */
interface Entry {
  shape: number[];
  data: (number | string)[];
  dtype?: "bool" | "int64";
}

type Args = Record<string, unknown>;

interface Call {
  mode: "train" | "eval";
  inputs: Record<string, Entry>;
  kwargs: Record<string, Entry | boolean>;
  upstream: Record<string, Entry>;
  float64: {
    outputs: Record<string, Entry>;
    grads: { inputs: Record<string, Entry>; params: Record<string, Entry> };
    state_after?: Record<string, Entry>;
  };
}

interface ModuleCase {
  id: string;
  kind: "module";
  module: string;
  args: Args;
  params: Record<string, Entry>;
  calls: Call[];
}

interface FunctionalCase {
  id: string;
  kind: "functional";
  function: "layer_norm" | "group_norm" | "batch_norm" | "scaled_dot_product_attention";
  args: Args;
  inputs: Record<string, Entry>;
  requires_grad: string[];
  upstream: Record<string, Entry>;
  float64: { outputs: Record<string, Entry>; grads: Record<string, Entry>; running_mean_after?: Entry; running_var_after?: Entry };
}

interface InitCase {
  id: string;
  kind: "init";
  seed: number;
  constructions: { module: string; args: Args; state: Record<string, Entry>; modules: string[] }[];
  after: Entry;
}

type LayersCase = ModuleCase | FunctionalCase | InitCase;

const cases = loadFixture<LayersCase>("layers.json");
const ran = new Set<string>();

const values = (t: Entry) => t.data.map(Number);

/** Bool masks and int64 indices become int32 (gradgraph's bool and index dtype); floats take `dtype`. */
function leaf(t: Entry, dtype: "float32" | "float64" = "float64", requiresGrad = false): Tensor {
  return t.dtype === undefined ? tensor(values(t), { shape: t.shape, dtype, requiresGrad }) : tensor(values(t), { shape: t.shape, dtype: "int32" });
}

const camelCase = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** PyTorch's keyword arguments: the positional ones in order, the others camel-cased into an options object. */
function split(args: Args, positional: readonly string[]): [unknown[], Args] {
  const options = Object.fromEntries(Object.entries(args).filter(([k]) => !positional.includes(k)).map(([k, v]) => [camelCase(k), v]));
  return [positional.map((k) => args[k]), options];
}

/** The positional arguments of each module, in PyTorch's order (the rest are options). */
const positional: Record<string, readonly string[]> = {
  LayerNorm: ["normalized_shape"],
  GroupNorm: ["num_groups", "num_channels"],
  BatchNorm1d: ["num_features"],
  BatchNorm2d: ["num_features"],
  Identity: [],
  Flatten: ["start_dim", "end_dim"],
  Unflatten: ["dim", "unflattened_size"],
  Embedding: ["num_embeddings", "embedding_dim"],
  MultiheadAttention: ["embed_dim", "num_heads"],
  TransformerEncoderLayer: ["d_model", "nhead"],
  GELU: ["approximate"],
  LeakyReLU: ["negative_slope"],
  ELU: ["alpha"],
  CELU: ["alpha"],
  Softplus: ["beta", "threshold"],
  Hardtanh: ["min_val", "max_val"],
  Softmax: ["dim"],
  LogSoftmax: ["dim"],
  SiLU: [],
  Mish: [],
  SELU: [],
  ReLU6: [],
  Hardsigmoid: [],
  Hardswish: [],
  LogSigmoid: [],
  Softsign: [],
  ReLU: [],
  Tanh: [],
  Sigmoid: [],
};

type Constructor = new (...args: any[]) => nn.AnyModule;

/** Our module for PyTorch's class name and keyword arguments (only those given: every default is left to the module). */
function build(module: string, args: Args): nn.AnyModule {
  if (module === "TransformerEncoder") {
    const layer = build("TransformerEncoderLayer", args.encoder_layer as Args) as nn.TransformerEncoderLayer;
    const norm = args.norm === null ? undefined : build("LayerNorm", args.norm as Args);
    return new nn.TransformerEncoder(layer, args.num_layers as number, { norm });
  }
  const names = positional[module];
  if (names === undefined) throw new Error(`layers.json uses a module this test does not build: ${module}`);
  const [given, options] = split(args, names);
  const constructor = (nn as unknown as Record<string, Constructor>)[module];
  // Trailing positional arguments PyTorch left at their defaults are left out, so ours apply.
  while (given.length > 0 && given.at(-1) === undefined) given.pop();
  return Object.keys(options).length === 0 ? new constructor(...given) : new constructor(...given, options);
}

/** Calls the module as the fixture's PyTorch call did; its results by PyTorch's names. */
function run(c: ModuleCase, module: nn.AnyModule, inputs: Record<string, Tensor>, kwargs: Args): Record<string, Tensor> {
  const options = Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [camelCase(k), v]));
  const extra = Object.keys(options).length === 0 ? [] : [options];
  if (c.module === "MultiheadAttention") {
    const [output, weights] = (module as nn.MultiheadAttention).forward(inputs.query, inputs.key, inputs.value, ...extra);
    return weights === undefined ? { output } : { output, weights };
  }
  const [input, ...rest] = Object.values(inputs);
  expect(rest, `${c.id}: one input`).toEqual([]);
  return { output: module.forward(input, ...extra) as Tensor };
}

function expectEntry(actual: Tensor, expected: Entry, label: string, tolerance: Tolerance = FLOAT64): void {
  expect(actual.shape, label).toEqual(expected.shape);
  assertClose(actual.data(), values(expected), { ...tolerance, label });
}

function checkModule(c: ModuleCase): void {
  const module = build(c.module, c.args).double();
  module.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, t]) => [k, { shape: t.shape, data: values(t) }])));
  expect(Object.keys(module.stateDict()), `${c.id} state-dict keys`).toEqual(Object.keys(c.params));
  c.calls.forEach((call, step) => {
    const label = `${c.id} call ${step} (${call.mode})`;
    module.train(call.mode === "train");
    const inputs = Object.fromEntries(Object.entries(call.inputs).map(([k, t]) => [k, leaf(t, "float64", t.dtype === undefined)]));
    const kwargs = Object.fromEntries(Object.entries(call.kwargs).map(([k, v]) => [k, typeof v === "boolean" ? v : leaf(v)]));
    const results = run(c, module, inputs, kwargs);
    const expected = call.float64;
    expect(Object.keys(results).sort(), label).toEqual(Object.keys(expected.outputs).sort());
    const loss = Object.entries(results)
      .map(([name, t]) => t.mul(leaf(call.upstream[name])).sum())
      .reduce((a, b) => a.add(b));
    const floatInputs = Object.entries(inputs).filter(([, t]) => t.dtype !== "int32");
    const named = module.namedParameters();
    expect(floatInputs.map(([k]) => k), label).toEqual(Object.keys(expected.grads.inputs));
    expect(named.map(([k]) => k), `${label} parameter names`).toEqual(Object.keys(expected.grads.params));
    const gradients = grad(loss, [...floatInputs, ...named].map(([, t]) => t));
    evaluate([...Object.values(results), ...gradients]);
    for (const [name, t] of Object.entries(results)) expectEntry(t, expected.outputs[name], `${label} ${name}`);
    floatInputs.forEach(([name], i) => expectEntry(gradients[i], expected.grads.inputs[name], `${label} grad ${name}`));
    named.forEach(([name], i) => expectEntry(gradients[floatInputs.length + i], expected.grads.params[name], `${label} grad ${name}`));
    if (expected.state_after !== undefined) {
      const state = module.stateDict();
      expect(Object.keys(state), label).toEqual(Object.keys(expected.state_after));
      for (const [key, t] of Object.entries(expected.state_after)) expectEntry(state[key], t, `${label} ${key} after`);
    }
  });
}

function checkFunctional(c: FunctionalCase): void {
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, leaf(t, "float64", c.requires_grad.includes(k))]));
  const a = c.args as Record<string, never>;
  let results: Record<string, Tensor>;
  let running: { runningMean: Tensor | undefined; runningVar: Tensor | undefined } | undefined;
  switch (c.function) {
    case "layer_norm":
      results = { output: layerNorm(inputs.input, a.normalized_shape, inputs.weight, inputs.bias, a.eps) };
      break;
    case "group_norm":
      results = { output: groupNorm(inputs.input, a.num_groups, inputs.weight, inputs.bias, a.eps) };
      break;
    case "batch_norm": {
      const result = batchNorm(inputs.input, inputs.running_mean, inputs.running_var, inputs.weight, inputs.bias, a.training, a.momentum, a.eps);
      results = { output: result.output };
      running = result;
      break;
    }
    case "scaled_dot_product_attention": {
      const { output, attnWeights } = scaledDotProductAttention(inputs.query, inputs.key, inputs.value, { attnMask: inputs.attn_mask, isCausal: a.is_causal });
      results = { output, attn_weights: attnWeights };
      break;
    }
  }
  const expected = c.float64;
  expect(Object.keys(results).sort(), c.id).toEqual(Object.keys(expected.outputs).sort());
  const loss = Object.entries(results)
    .map(([name, t]) => t.mul(leaf(c.upstream[name])).sum())
    .reduce((x, y) => x.add(y));
  const gradients = grad(loss, c.requires_grad.map((k) => inputs[k]));
  for (const [name, t] of Object.entries(results)) expectEntry(t, expected.outputs[name], `${c.id} ${name}`);
  c.requires_grad.forEach((name, i) => expectEntry(gradients[i], expected.grads[name], `${c.id} grad ${name}`));
  for (const [key, field] of [["running_mean", "runningMean"], ["running_var", "runningVar"]] as const) {
    const after = expected[`${key}_after`];
    if (after === undefined) {
      expect(running?.[field], `${c.id} ${field}`).toBeUndefined();
      continue;
    }
    // PyTorch updates the running statistics in place in training; evaluation leaves them as they were.
    expectEntry(running?.[field] ?? inputs[key], after, `${c.id} ${key} after`);
  }
}

/** Normal draws are PyTorch's to an ulp or so (see init/functions.ts); uniform draws and fills are bit for bit. */
const drawnFromNormal = (module: string, key: string) => module === "Embedding" && key === "weight";

function checkInit(c: InitCase): void {
  manualSeed(c.seed);
  for (const construction of c.constructions) {
    const label = `${c.id} ${construction.module}(${JSON.stringify(construction.args)})`;
    const module = build(construction.module, construction.args);
    expect(module.namedModules().map(([path]) => path), `${label} modules`).toEqual(construction.modules);
    const state = module.stateDict();
    expect(Object.keys(state), `${label} state-dict keys`).toEqual(Object.keys(construction.state));
    for (const [key, t] of Object.entries(construction.state)) {
      expect(state[key].shape, `${label} ${key}`).toEqual(t.shape);
      expect(state[key].dtype, `${label} ${key}`).toBe(t.dtype === "int64" ? "int32" : "float32");
      if (drawnFromNormal(construction.module, key)) expectEntry(state[key], t, `${label} ${key}`, { atol: 1e-7, rtol: 1e-6 });
      else expect(Array.from(state[key].data()), `${label} ${key}`).toEqual(values(t));
    }
  }
  expect(Array.from(rand([8]).data()), `${c.id}: the generator is where PyTorch's is`).toEqual(values(c.after));
}

const kinds: Record<LayersCase["kind"], (c: never) => void> = { module: checkModule, functional: checkFunctional, init: checkInit };

describe("PyTorch parity: layers.json", () => {
  for (const c of cases) {
    test(`${c.kind} ${c.id}`, () => {
      const check = kinds[c.kind] as (c: LayersCase) => void;
      if (check === undefined) throw new Error(`no check for fixture kind ${c.kind}`);
      check(c);
      ran.add(c.id);
    });
  }
});

test("every case of layers.json ran and passed, and the file holds what its header says", () => {
  const file = JSON.parse(readFileSync(new URL("../fixtures/layers.json", import.meta.url), "utf8"));
  expect(file.count).toBe(cases.length);
  expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  expect(new Set(cases.map((c) => c.kind))).toEqual(new Set(Object.keys(kinds)));
  expect(cases.filter((c) => !ran.has(c.id)).map((c) => c.id)).toEqual([]);
});
