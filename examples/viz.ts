/**
 * Pictures of the notebook's RNN, the way torchviz's make_dot is used with PyTorch, but with the
 * time steps as clusters (rnn ⊃ l0 ⊃ t0, t1, t2) and no Graphviz install: the forward graph of
 * `loss = output.sum() + hN.sum()`, and the gradient graph `grad` builds for the parameters.
 *
 *   node --conditions=source --import tsx examples/viz.ts [out-dir]
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { grad } from "@gradgraph/core";
import { writeGraph } from "@gradgraph/viz";
import { runNotebook } from "./notebook";

/**
 * Writes `notebook-rnn-forward.svg`, `notebook-rnn-backward.svg` and the interactive
 * `notebook-rnn.html` (pan, zoom, steps that open on click) into `outDir`; returns their paths.
 */
export async function writeNotebookGraphs(outDir: string): Promise<string[]> {
  const { rnn, input, output, hN } = runNotebook();
  input.name ??= "input";
  const loss = output.sum().add(hN.sum());
  const parameters = rnn.parameters();
  // Each gradient is labelled with what it is the gradient of (∂loss/∂weight_ih_l0) without a name.
  const gradients = grad(loss, parameters);

  await mkdir(outDir, { recursive: true });
  const forward = join(outDir, "notebook-rnn-forward.svg");
  const backward = join(outDir, "notebook-rnn-backward.svg");
  await writeGraph(forward, loss);
  // Only what grad built; the forward values it reads appear as dashed references.
  await writeGraph(backward, gradients, { backwardOnly: true });
  const page = join(outDir, "notebook-rnn.html");
  await writeGraph(page, [loss, ...gradients]);
  return [forward, backward, page];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const path of await writeNotebookGraphs(process.argv[2] ?? "out")) console.log(`wrote ${path}`);
}
