/**
 * Whole models exported and run in ONNX Runtime: the notebook RNN and stacked bidirectional LSTM
 * and GRU (unrolled), against PyTorch's own float32 outputs in the fixtures and against gradgraph,
 * and an MLP with a dynamic batch.
 */
import { manualSeed, placeholder, randn, type Tensor } from "@gradgraph/core";
import { Linear, ReLU, Sequential } from "@gradgraph/nn";
import { toOnnx } from "@gradgraph/onnx";
import { describe, expect, it } from "vitest";
import { fromFixture } from "../helpers/fixtures";
import { buildRecurrent, loadRecurrentCases, type RecurrentCase, type recurrentFiles, runRecurrent } from "../helpers/recurrent-cases";
import { checkModel } from "./checker";
import { expectAgrees, runModel } from "./runtime";

const caseOf = (file: (typeof recurrentFiles)[number], id?: string): RecurrentCase => {
  const cases = loadRecurrentCases(file);
  return id === undefined ? cases[0] : cases.find((c) => c.id === id)!;
};

/** The module of a fixture case exported with its input (and initial states) as graph inputs. */
function exportRecurrent(c: RecurrentCase) {
  const module = buildRecurrent(c.mode, c.config, "float32");
  module.loadStateDict(c.params);
  const feeds: Record<string, Tensor> = { input: placeholder(c.input.shape, "float32", "input") };
  if (c.h0 !== null) feeds.h0 = placeholder(c.h0.shape, "float32", "h0");
  if (c.c0 !== undefined && c.c0 !== null) feeds.c0 = placeholder(c.c0.shape, "float32", "c0");
  const [output, states] = runRecurrent(module, feeds.input, feeds.h0, feeds.c0);
  const outputNames = ["output", "h_n", ...(states.length > 1 ? ["c_n"] : [])];
  const model = toOnnx([output, ...states], { inputs: feeds, outputNames });
  for (const [name, slot] of Object.entries(feeds)) slot.assign(fromFixture(c[name as "input" | "h0" | "c0"]!, "float32"));
  return { model, feeds, outputs: { output, h_n: states[0], c_n: states[1] } as Record<string, Tensor>, outputNames };
}

describe("recurrent modules, unrolled", () => {
  it.each([
    ["the notebook RNN", "seed.json", undefined],
    ["a 2-layer bidirectional LSTM, batchFirst, with h0 and c0", "lstm.json", "lstm_000"],
    ["a 2-layer bidirectional LSTM with biases, unbatched", "lstm.json", "lstm_006"],
    ["a 2-layer bidirectional GRU with biases, batchFirst", "gru.json", "gru_003"],
  ] as const)("%s agrees with PyTorch and gradgraph in ONNX Runtime", async (_label, file, id) => {
    const c = caseOf(file, id);
    const { model, feeds, outputs, outputNames } = exportRecurrent(c);
    const results = await runModel(model, feeds);
    for (const name of outputNames) {
      const pytorch = c.float32[name as "output" | "h_n" | "c_n"]!;
      expectAgrees(results[name], fromFixture(pytorch, "float32"), `${c.id} ${name} vs PyTorch`);
      expectAgrees(results[name], outputs[name], `${c.id} ${name} vs gradgraph`);
    }
  });

  it("names parameters by their state-dict names and nodes by op, module path and step", () => {
    const { model } = exportRecurrent(caseOf("seed.json"));
    const { graph } = checkModel(model);
    const parameters = ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"];
    expect(graph!.initializer.map((t) => t.name)).toEqual(expect.arrayContaining(parameters));
    expect(graph!.input.map((v) => v.name)).toEqual(["input"]);
    expect(graph!.output.map((v) => v.name)).toEqual(["output", "h_n"]);
    const tanh = graph!.node.filter((node) => node.opType === "Tanh");
    expect(tanh).toHaveLength(3);
    tanh.forEach((node, t) => {
      expect(node.name).toMatch(new RegExp(`^rnn\\.l0\\.t${t}/tanh#\\d+/Tanh_\\d+$`));
      expect(node.docString).toBe(`gradgraph tanh in 'rnn.l0.t${t}'`);
    });
  });
});

describe("an MLP", () => {
  manualSeed(7);
  const mlp = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
  const forward = (batch: number) => {
    const x = placeholder([batch, 4], "float32", "x");
    return { x, y: mlp.forward(x) };
  };

  it("runs in ONNX Runtime with a dynamic batch, as gradgraph computes it", async () => {
    const { x, y } = forward(5);
    const model = toOnnx(y, { inputs: [x], outputNames: ["y"], dynamicAxes: { x: { 0: "batch" }, y: { 0: "batch" } } });
    const { graph } = checkModel(model);
    expect(graph!.input[0].type!.value.value!).toMatchObject({ shape: { dim: [{ value: { case: "dimParam", value: "batch" } }, { value: { case: "dimValue", value: 4n } }] } });
    for (const batch of [5, 2]) {
      const other = forward(batch);
      other.x.assign(randn([batch, 4]));
      const { y: got } = await runModel(model, { x: other.x });
      expectAgrees(got, other.y, `batch ${batch}`);
    }
  });
});
