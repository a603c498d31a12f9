/**
 * exportOnnx: every recurrent fixture case (RNN tanh and relu, LSTM, GRU; stacked, bidirectional,
 * batch first, unbatched, with and without biases and initial states) exported as ONNX's own
 * operators and unrolled, run in ONNX Runtime against PyTorch's float32 outputs; the native form at
 * other sequence lengths and batches; an MLP written to a file.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manualSeed, randn, type Tensor } from "@gradgraph/core";
import { LSTM, Linear, ReLU, Sequential } from "@gradgraph/nn";
import { exportOnnx, type SampleInputs } from "@gradgraph/onnx";
import { describe, expect, it } from "vitest";
import { fromFixture } from "../helpers/fixtures";
import { buildRecurrent, loadRecurrentCases, type RecurrentCase, recurrentFiles, runRecurrent } from "../helpers/recurrent-cases";
import { checkModel } from "./checker";
import { expectAgrees, runModel } from "./runtime";

const cases = recurrentFiles.flatMap((file) => loadRecurrentCases(file));

function moduleOf(c: RecurrentCase) {
  const module = buildRecurrent(c.mode, c.config, "float32");
  module.loadStateDict(c.params);
  return module;
}

/** The case's input and initial states, as the module's forward takes them, and by input name. */
function samplesOf(c: RecurrentCase): { args: SampleInputs; feeds: Record<string, Tensor> } {
  const input = fromFixture(c.input, "float32");
  if (c.h0 === null) return { args: [input], feeds: { input } };
  const h0 = fromFixture(c.h0, "float32");
  if (c.mode !== "LSTM") return { args: [input, h0], feeds: { input, h0 } };
  const c0 = fromFixture(c.c0!, "float32");
  return { args: [input, [h0, c0]], feeds: { input, h0, c0 } };
}

const outputNamesOf = (c: RecurrentCase) => (c.mode === "LSTM" ? ["output", "h_n", "c_n"] : ["output", "h_n"]);

describe.each(["native", "unrolled"] as const)("exportOnnx of recurrent modules, %s", (form) => {
  it.each(cases.map((c) => [c.id, c] as const))("%s agrees with PyTorch in ONNX Runtime", async (_id, c) => {
    const { args, feeds } = samplesOf(c);
    const model = await exportOnnx(moduleOf(c), args, undefined, { recurrent: form });
    const { graph } = checkModel(model);
    const opTypes = new Set(graph!.node.map((node) => node.opType));
    expect(opTypes.has(c.mode)).toBe(form === "native");
    expect(graph!.initializer.map((t) => t.name)).toEqual(expect.arrayContaining(Object.keys(c.params)));
    const results = await runModel(model, feeds);
    for (const name of outputNamesOf(c)) {
      expectAgrees(results[name], fromFixture(c.float32[name as "output" | "h_n" | "c_n"]!, "float32"), `${c.id} ${name}`);
    }
  });
});

describe("native recurrent models", () => {
  it("take other sequence lengths and batches (dynamic axes), as gradgraph computes them", async () => {
    const c = cases.find((x) => x.id === "lstm_000")!; // 2 layers, bidirectional, batch first, h0 and c0
    const module = moduleOf(c);
    const { args } = samplesOf(c);
    const batchAxis = { 1: "batch" };
    const model = await exportOnnx(module, args, undefined, {
      dynamicAxes: { input: { 0: "batch", 1: "sequence" }, h0: batchAxis, c0: batchAxis, output: { 0: "batch", 1: "sequence" }, h_n: batchAxis, c_n: batchAxis },
    });
    manualSeed(3);
    for (const [batch, steps] of [[1, 7], [4, 2]]) {
      const feeds = { input: randn([batch, steps, 3]), h0: randn([4, batch, 8]), c0: randn([4, batch, 8]) };
      const [output, [hN, cN]] = runRecurrent(module, feeds.input, feeds.h0, feeds.c0);
      const results = await runModel(model, feeds);
      expectAgrees(results.output, output, `output, batch ${batch}, ${steps} steps`);
      expectAgrees(results.h_n, hN, `h_n, batch ${batch}, ${steps} steps`);
      expectAgrees(results.c_n, cN, `c_n, batch ${batch}, ${steps} steps`);
    }
  });

  it("name each layer's node after the module path and layer", async () => {
    const c = cases.find((x) => x.id === "gru_003")!;
    const { graph } = checkModel(await exportOnnx(moduleOf(c), samplesOf(c).args));
    const gru = graph!.node.filter((node) => node.opType === "GRU");
    expect(gru.map((node) => node.docString)).toEqual(["gradgraph GRU in 'gru.l0'", "gradgraph GRU in 'gru.l1'"]);
  });

  it("an LSTM with projections has no native form: the error says to export it unrolled", async () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, projSize: 2 });
    await expect(exportOnnx(lstm, randn([5, 1, 3]))).rejects.toThrow(
      'exportOnnx: ONNX\'s LSTM has no projection (projSize 2); export it unrolled with { recurrent: "unrolled" }',
    );
    const model = await exportOnnx(lstm, randn([5, 1, 3]), undefined, { recurrent: "unrolled" });
    const input = randn([5, 1, 3]);
    const [output] = lstm.forward(input);
    expectAgrees((await runModel(model, { input })).output, output, "projected LSTM, unrolled");
  });
});

describe("exportOnnx of an MLP", () => {
  it("writes the model to a file, parameters under their state-dict names", async () => {
    manualSeed(11);
    const mlp = new Sequential(new Linear(3, 5), new ReLU(), new Linear(5, 2));
    const folder = mkdtempSync(join(tmpdir(), "gradgraph-onnx-"));
    try {
      const path = join(folder, "mlp.onnx");
      const model = await exportOnnx(mlp, randn([4, 3]), path);
      expect(new Uint8Array(readFileSync(path))).toEqual(model);
      const { graph } = checkModel(model);
      expect(graph!.initializer.map((t) => t.name).filter((name) => !name.startsWith("const"))).toEqual(Object.keys(mlp.stateDict()));
      const input = randn([4, 3]);
      expectAgrees((await runModel(model, { input })).output, mlp.forward(input), "MLP");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
