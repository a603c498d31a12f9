/**
 * `node --conditions=source --import tsx bench/viz.ts`: pictures must render in seconds however
 * long the graph. Times, for nn.RNN unrolled over L steps (forward, and forward with the gradient
 * graph of every parameter), building the DOT with the default budgets and rendering it to SVG,
 * and prints the boxes and edges drawn and the note saying how the graph was summarized.
 * `--unbudgeted` also renders the 300-step forward graph with no budget, for comparison (its
 * forward + backward graph, 6,027 nodes, does not finish unbudgeted, or fails with Graphviz out of memory).
 */
import { Generator, grad, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";
import { RNN } from "@gradgraph/nn";
import { toDot, toSvg, type VizOptions } from "@gradgraph/viz";

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const result = fn();
  return [result, (performance.now() - start) / 1e3];
}

/** The outputs to draw: the loss of an RNN over `steps` steps, and with `backward` the gradients of its parameters. */
function rnnGraph(steps: number, backward: boolean): Tensor[] {
  const rnn = new RNN({ inputSize: 4, hiddenSize: 8, batchFirst: true, generator: new Generator(1) });
  const values = new Float32Array(steps * 4);
  new Generator(2).fillUniform(values, -1, 1);
  const [output, hN] = rnn.forward(tensor(values, { shape: [1, steps, 4], name: "x" }));
  const loss = output.sum().add(hN.sum());
  return backward ? [loss, ...grad(loss, rnn.parameters())] : [loss];
}

const NO_BUDGET: VizOptions = { maxNodes: Number.MAX_SAFE_INTEGER, maxEdges: Number.MAX_SAFE_INTEGER };

const cases: { steps: number; backward: boolean; options: VizOptions; label: string }[] = [];
for (const steps of [300, 1000, 10000]) {
  for (const backward of [false, true]) cases.push({ steps, backward, options: {}, label: "default" });
}
if (process.argv.includes("--unbudgeted")) cases.push({ steps: 300, backward: false, options: NO_BUDGET, label: "no budget" });

console.log("| L | graph | budget | graph nodes | boxes | edges | toDot, s | toSvg, s | note |");
console.log("|---:|---|---|---:|---:|---:|---:|---:|---|");
for (const { steps, backward, options, label } of cases) {
  const outputs = rnnGraph(steps, backward);
  const [dot, dotSeconds] = time(() => toDot(outputs, options));
  const boxes = (dot.match(/^\s*(?!graph )\w+ \[label=/gm) ?? []).length;
  const edges = (dot.match(/^\s*\w+ -> \w+/gm) ?? []).length;
  const start = performance.now();
  // Without a budget Graphviz can fail outright (its WebAssembly memory is fixed): say so in the row.
  const failure = await toSvg(dot).then(
    () => undefined,
    (error: Error) => error.message.slice(0, 60),
  );
  const svgSeconds = failure ?? ((performance.now() - start) / 1e3).toFixed(2);
  const note = /label="((?:Collapsed|Summarized)[^"]*)"/.exec(dot)?.[1] ?? "";
  const graph = backward ? "forward + backward" : "forward";
  const total = topologicalOrder(outputs).length;
  console.log(`| ${steps} | ${graph} | ${label} | ${total} | ${boxes} | ${edges} | ${dotSeconds.toFixed(2)} | ${svgSeconds} | ${note} |`);
}
