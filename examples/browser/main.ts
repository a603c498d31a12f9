/**
 * gradgraph in a web page: the notebook's nn.RNN(5, 2) forward pass (examples/notebook.ts, checked
 * against PyTorch), then a few training steps of the RNN regressor of test/fixtures/train.json
 * (Adam, MSE) next to the losses PyTorch printed, the notebook's graph drawn by Graphviz (in
 * WebAssembly), and the trained model as a checkpoint download.
 * Built by build.ts and served by serve.ts (README.md); the page shows what the console shows.
 */
import { type Tensor, ready, tensor } from "@gradgraph/core";
import { Adam, Linear, Module, RNN, load, mseLoss, saveToBytes, trainStep } from "@gradgraph/nn";
import trainFixture from "../../test/fixtures/train.json" with { type: "json" };
import { reportNotebook, runNotebook } from "../notebook";

/** What the page computed, for a test (test/browser) to compare with PyTorch. */
export interface PageReport {
  crossOriginIsolated: boolean;
  notebook: { checksPassed: boolean; output: number[]; hN: number[] };
  /** The forward graph of `output.sum() + hN.sum()`, as examples/viz.ts draws it. */
  graph: { dot: string; svg: string };
  training: { id: string; losses: number[] };
  checkpoint: { bytes: number; reloadedEqual: boolean };
}

/** The slice of the DOM used here (the repo compiles without the DOM types). */
interface Page {
  getElementById(id: string): { textContent: string | null; innerHTML: string; append(node: unknown): void } | null;
  createElement(tag: "a"): { href: string; download: string; textContent: string | null };
}

const TRAINING_STEPS = 5;

/** train.json's model: `out, _ = rnn(x); pred = head(out[-1])`. */
class RnnRegressor extends Module {
  readonly rnn: RNN;
  readonly head: Linear;

  constructor(inputSize: number, hiddenSize: number) {
    super({ name: "" });
    this.rnn = this.registerModule("rnn", new RNN({ inputSize, hiddenSize }));
    this.head = this.registerModule("head", new Linear(hiddenSize, 1));
  }

  forward(x: Tensor): Tensor {
    const [out] = this.rnn.forward(x);
    return this.head.forward(out.select(0, -1));
  }
}

const page = (globalThis as { document?: Page }).document;

// Every line the notebook and this script print also lands in the page's <pre id="log">.
const consoleLog = console.log.bind(console);
console.log = (...args: unknown[]) => {
  consoleLog(...args);
  const log = page?.getElementById("log");
  if (log) log.textContent += `${args.join(" ")}\n`;
};

async function run(): Promise<PageReport> {
  // Compiles the WebAssembly kernels and, in a cross-origin isolated page, starts the matmul worker.
  await ready();
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  console.log(isolated ? "cross-origin isolated: matmul runs on two threads (a Web Worker)" : "not cross-origin isolated: matmul runs on one thread");

  console.log("\n== The notebook: nn.RNN(5, 2, batch_first=True) ==");
  const checksPassed = reportNotebook();
  const { input, output, hN } = runNotebook();
  input.name ??= "input";
  // Graphviz is most of the page's weight (1.6 MB of WebAssembly): a chunk of its own, loaded here.
  const { toDot, toSvg } = await import("@gradgraph/viz");
  const dot = toDot(output.sum().add(hN.sum()));
  const svg = await toSvg(dot);
  const figure = page?.getElementById("graph");
  if (figure) figure.innerHTML = svg;

  const c = trainFixture.cases.find((t) => t.id === "c_adam_0")!;
  console.log(`\n== ${TRAINING_STEPS} training steps of train.json's ${c.id}: RNN(4, 8) + Linear(8, 1), Adam lr ${c.optimizer.lr}, MSE ==`);
  const model = new RnnRegressor(c.model.rnn.input_size, c.model.rnn.hidden_size);
  model.loadStateDict(c.initial_state_dict);
  const x = tensor(c.data.x.data, { shape: c.data.x.shape });
  const y = tensor(c.data.y.data, { shape: c.data.y.shape });
  const optimizer = new Adam(model.parameters(), { lr: c.optimizer.lr });
  const losses: number[] = [];
  for (let step = 0; step < TRAINING_STEPS; step++) {
    losses.push(trainStep(optimizer, mseLoss(model.forward(x), y)));
    console.log(`step ${step}  loss ${losses[step].toFixed(6)}  PyTorch ${c.float32.losses[step].toFixed(6)}`);
  }

  // A page has no files: the checkpoint is bytes, offered as a download and read back here.
  const bytes = await saveToBytes(model, { optimizer });
  const reloaded = await load(bytes);
  const reloadedEqual = Object.entries(model.stateDict()).every(([name, p]) => {
    const q = reloaded.stateDict[name]?.data();
    return q !== undefined && Array.from(p.data()).every((v, i) => v === q[i]);
  });
  console.log(`\ncheckpoint: ${bytes.byteLength} bytes (safetensors), read back ${reloadedEqual ? "with the same weights" : "DIFFERENT"}`);
  const link = page?.createElement("a");
  if (link) {
    // The codec's bytes live in a plain ArrayBuffer (never a shared one), as a Blob requires.
    link.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
    link.download = "rnn-regressor.safetensors";
    link.textContent = "download the checkpoint";
    page!.getElementById("downloads")?.append(link);
  }

  return {
    crossOriginIsolated: isolated,
    notebook: { checksPassed, output: Array.from(output.data()), hN: Array.from(hN.data()) },
    graph: { dot, svg },
    training: { id: c.id, losses },
    checkpoint: { bytes: bytes.byteLength, reloadedEqual },
  };
}

export const report: Promise<PageReport> = run();
