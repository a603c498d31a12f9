import { type FloatDType, type Tensor, type TypedArray, evaluate, grad, topologicalOrder } from "@gradgraph/core";
import { type Tolerance, assertClose } from "@gradgraph/core/testing";
import { describe, expect, test } from "vitest";
import { GRU, LSTM, RNN } from "../../packages/nn/src";
import { FLOAT64, type FixtureTensor, fromFixture, loadFixture } from "../helpers/fixtures";

/**
 * `checkpointEvery` on RNN, LSTM and GRU: each layer and direction's steps cut into segments of k,
 * each under `func.checkpoint`. Every recurrent PyTorch fixture (rnn, lstm, gru.json, and the
 * packed-sequence and projection cases of recurrent-extras.json) runs with several k, and its
 * values and gradients are checked against PyTorch's and against the same module without the option.
 */

type Mode = "RNN" | "LSTM" | "GRU";

/** PyTorch's keyword arguments as the fixtures write them (rnn.json adds keys read by other tests). */
interface TorchConfig {
  input_size: number;
  hidden_size: number;
  num_layers?: number;
  bias: boolean;
  batch_first?: boolean;
  bidirectional?: boolean;
  nonlinearity?: "tanh" | "relu";
  proj_size?: number;
}

type Results = Record<string, unknown> & {
  loss: number;
  grads: { input: FixtureTensor; h0?: FixtureTensor; c0?: FixtureTensor; params: Record<string, FixtureTensor> };
};

interface Case {
  id: string;
  kind?: string;
  mode: Mode;
  config: TorchConfig;
  lengths?: number[];
  enforce_sorted?: boolean;
  params: Record<string, FixtureTensor>;
  input: FixtureTensor;
  h0: FixtureTensor | null;
  c0?: FixtureTensor | null;
  upstream: Record<string, FixtureTensor>;
  float64: Results;
  float32: Results;
}

const cases: Case[] = [
  ...["rnn.json", "lstm.json", "gru.json"].flatMap((file) => loadFixture<Case>(file)),
  ...loadFixture<Case>("recurrent-extras.json").filter((c) => c.kind === "packed" || c.kind === "projection"),
];

/** Against PyTorch, as test/nn/recurrent-fixtures.test.ts; against the plain module, as the issue asks. */
const torchTolerance: Record<FloatDType, Tolerance> = { float64: FLOAT64, float32: { atol: 1e-5, rtol: 1e-4 } };
const plainTolerance: Record<FloatDType, Tolerance> = { float64: { atol: 1e-12, rtol: 1e-12 }, float32: { atol: 1e-6, rtol: 1e-6 } };

function build(c: Case, dtype: FloatDType, checkpointEvery: number | undefined): RNN | LSTM | GRU {
  const { input_size, hidden_size, num_layers = 1, bias, batch_first = false, bidirectional = false, nonlinearity, proj_size = 0 } = c.config;
  const options = { inputSize: input_size, hiddenSize: hidden_size, numLayers: num_layers, bias, batchFirst: batch_first, bidirectional, dtype, checkpointEvery };
  if (c.mode === "LSTM") return new LSTM({ ...options, projSize: proj_size });
  if (c.mode === "GRU") return new GRU(options);
  return new RNN({ ...options, nonlinearity });
}

interface Run {
  /** Labels of `values`: loss, the results (output, h_n[, c_n]), then the gradients. */
  labels: string[];
  values: readonly TypedArray[];
  /** How many checkpoint nodes the forward built. */
  checkpoints: number;
}

/** The case's forward and the gradients of `sum(result * upstream)` for the input, the initial states and every parameter. */
function run(c: Case, dtype: FloatDType, checkpointEvery: number | undefined): Run {
  const module = build(c, dtype, checkpointEvery);
  module.loadStateDict(c.params);
  const input = fromFixture(c.input, dtype, { requiresGrad: true });
  const initial = [c.h0, c.c0].filter((t): t is FixtureTensor => t != null).map((t) => fromFixture(t, dtype, { requiresGrad: true }));
  const lengths = c.lengths === undefined ? undefined : { lengths: c.lengths, enforceSorted: c.enforce_sorted };
  const [output, finals] =
    module instanceof LSTM
      ? module.forward(input, initial.length === 0 ? undefined : [initial[0], initial[1]], lengths)
      : module.forward(input, initial[0], lengths);
  const results: [string, Tensor][] = [["output", output], ...(Array.isArray(finals) ? finals : [finals]).map((t, i): [string, Tensor] => [["h_n", "c_n"][i], t])];
  const loss = results.map(([name, t]) => t.mul(fromFixture(c.upstream[name], dtype)).sum()).reduce((a, b) => a.add(b));
  const wrt: [string, Tensor][] = [["grad input", input], ...initial.map((t, i): [string, Tensor] => [`grad ${["h0", "c0"][i]}`, t])];
  for (const [name, parameter] of module.namedParameters()) wrt.push([`grad ${name}`, parameter]);
  const outputs = [loss, ...results.map(([, t]) => t), ...grad(loss, wrt.map(([, t]) => t))];
  const checkpoints = topologicalOrder(results.map(([, t]) => t)).filter((n) => n.def?.name === "checkpoint").length;
  return { labels: ["loss", ...results.map(([name]) => name), ...wrt.map(([label]) => label)], values: evaluate(outputs), checkpoints };
}

/** PyTorch's value for a label of `run`. */
function torchValue(c: Case, dtype: FloatDType, label: string): number | number[] {
  const expected = c[dtype];
  if (label === "loss") return [expected.loss];
  if (!label.startsWith("grad ")) return (expected[label] as FixtureTensor).data;
  const of = label.slice("grad ".length);
  const gradients = expected.grads as unknown as Record<string, FixtureTensor>;
  return (of in gradients ? gradients[of] : expected.grads.params[of]).data;
}

/** The time steps of the case's input: its dim 1 when batched and batch first, else dim 0. */
function stepsOf(c: Case): number {
  return c.input.shape[c.config.batch_first && c.input.shape.length === 3 ? 1 : 0];
}

/** Segments of one step, of two, of one step less than the whole, and one segment longer than the sequence. */
function segmentSizes(steps: number): number[] {
  return [...new Set([1, 2, Math.max(1, steps - 1), steps + 1])];
}

describe("checkpointEvery: the values and gradients of the module without it, and PyTorch's", () => {
  for (const c of cases) {
    for (const dtype of ["float64", "float32"] as const) {
      test(`${c.id} (${c.mode}, ${dtype})`, () => {
        const plain = run(c, dtype, undefined);
        expect(plain.checkpoints).toBe(0);
        const steps = stepsOf(c);
        const directions = c.config.bidirectional ? 2 : 1;
        for (const k of segmentSizes(steps)) {
          const checkpointed = run(c, dtype, k);
          expect(checkpointed.labels).toEqual(plain.labels);
          // One checkpoint (one dtype) per segment of each layer and direction.
          expect(checkpointed.checkpoints, `${c.id} k=${k}`).toBe((c.config.num_layers ?? 1) * directions * Math.ceil(steps / k));
          checkpointed.labels.forEach((label, i) => {
            assertClose(checkpointed.values[i], plain.values[i], { ...plainTolerance[dtype], label: `${c.id} ${dtype} k=${k} ${label} vs plain` });
            assertClose(checkpointed.values[i], torchValue(c, dtype, label), { ...torchTolerance[dtype], label: `${c.id} ${dtype} k=${k} ${label} vs PyTorch` });
          });
        }
      });
    }
  }

  test("the cases cover layers, directions, batch first, unbatched input, lengths and projections", () => {
    expect(cases.some((c) => (c.config.num_layers ?? 1) > 1 && c.config.bidirectional)).toBe(true);
    expect(cases.some((c) => c.config.batch_first && c.input.shape.length === 3)).toBe(true);
    expect(cases.some((c) => c.input.shape.length === 2)).toBe(true);
    expect(cases.some((c) => c.lengths !== undefined && c.config.bidirectional)).toBe(true);
    expect(cases.some((c) => (c.config.proj_size ?? 0) > 0)).toBe(true);
    for (const mode of ["RNN", "LSTM", "GRU"]) expect(cases.some((c) => c.mode === mode && stepsOf(c) >= 4)).toBe(true);
  });
});

describe("checkpointEvery: an option, not state", () => {
  const constructors = [
    ["RNN", (checkpointEvery: unknown) => new RNN({ inputSize: 3, hiddenSize: 4, checkpointEvery } as never)],
    ["LSTM", (checkpointEvery: unknown) => new LSTM({ inputSize: 3, hiddenSize: 4, checkpointEvery } as never)],
    ["GRU", (checkpointEvery: unknown) => new GRU({ inputSize: 3, hiddenSize: 4, checkpointEvery } as never)],
  ] as const;

  for (const [mode, make] of constructors) {
    test(`${mode} refuses what is not a positive integer, naming the module and the value`, () => {
      for (const [value, shown] of [[0, "0"], [-2, "-2"], [1.5, "1.5"], [Number.NaN, "NaN"], ["3", "3"], [null, "null"]] as const) {
        expect(() => make(value)).toThrow(new RangeError(`${mode}: checkpointEvery must be a positive integer, got ${shown}`));
      }
      expect(make(undefined).checkpointEvery).toBeUndefined();
      expect(make(3).checkpointEvery).toBe(3);
    });

    test(`${mode} keeps its repr (PyTorch's has no place for the option) and its state dict`, () => {
      const plain = make(undefined);
      const checkpointed = make(2);
      expect(checkpointed.toString()).toBe(plain.toString());
      const state = plain.stateDict();
      checkpointed.loadStateDict(state);
      const loaded = checkpointed.stateDict();
      expect(Object.keys(loaded)).toEqual(Object.keys(state));
      for (const [key, value] of Object.entries(state)) expect(Array.from(loaded[key].data()), key).toEqual(Array.from(value.data()));
      expect(checkpointed.checkpointEvery).toBe(2);
    });
  }
});
