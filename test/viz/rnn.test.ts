import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Tensor, grad, tensor, topologicalOrder } from "@gradgraph/core";
import { RNN } from "@gradgraph/nn";
import { toDot } from "@gradgraph/viz";
import { describe, expect, test } from "vitest";
import { writeNotebookGraphs } from "../../examples/viz";
import { type ParsedDot, graphvizView, labelOf, parseDot } from "./helpers";

/** The notebook: nn.RNN(input 5, hidden 2, batch_first) over three steps of ones, twos, threes. */
function notebookRnn(options: { numLayers?: number; bidirectional?: boolean } = {}): { rnn: RNN; loss: Tensor } {
  const rnn = new RNN({ inputSize: 5, hiddenSize: 2, batchFirst: true, ...options });
  const x = tensor([[[1, 1, 1, 1, 1], [2, 2, 2, 2, 2], [3, 3, 3, 3, 3]]], { name: "x" });
  const [output, hN] = rnn.forward(x);
  return { rnn, loss: output.sum().add(hN.sum()) };
}

/** Cluster labels along the path from the top, for a cluster id. */
function clusterPath(parsed: ParsedDot, id: string): string {
  const labels: string[] = [];
  for (let at: string | undefined = id; at !== undefined; at = parsed.clusters.get(at)!.parent) labels.unshift(labelOf(parsed, at));
  return labels.join(".");
}

describe("the notebook's RNN", () => {
  test("exports with clusters t0, t1, t2 inside rnn.l0, each holding that step's nodes", async () => {
    const { rnn, loss } = notebookRnn();
    expect(rnn.path).toBe("rnn");
    const order = topologicalOrder([loss]);
    const dot = toDot(loss);
    const parsed = parseDot(dot);
    expect(parsed.nodes.size).toBe(order.length);
    expect([...parsed.clusters.keys()].map((id) => clusterPath(parsed, id)).sort()).toEqual(["rnn", "rnn.l0", "rnn.l0.t0", "rnn.l0.t1", "rnn.l0.t2"]);

    const drawn = await graphvizView(dot);
    for (const id of parsed.clusters.keys()) {
      const path = clusterPath(parsed, id);
      const expected = order.flatMap((t, i) => (t.scope === path || t.scope?.startsWith(`${path}.`) ? [`n${i}`] : []));
      expect([...drawn.clusters.get(id)!.nodes].sort(), path).toEqual(expected.sort());
    }
    // The parameters, by their PyTorch names, all drawn alike and unlike ops.
    const fills = new Set<string>();
    for (const [key, parameter] of Object.entries(rnn.stateDict())) {
      const id = `n${order.indexOf(parameter)}`;
      expect(labelOf(parsed, id)).toBe(`rnn.${key}\n[${parameter.shape.join(", ")}]`);
      fills.add(parsed.nodes.get(id)!.attrs.fillcolor);
    }
    expect(fills.size).toBe(1);
    expect(fills).not.toContain(parsed.nodes.get(`n${order.findIndex((t) => t.op === "tanh")}`)!.attrs.fillcolor);
  });

  test("its gradient graph mirrors the steps under backward", () => {
    const { rnn, loss } = notebookRnn();
    const parsed = parseDot(toDot(grad(loss, rnn.parameters()), { backwardOnly: true }));
    const paths = [...parsed.clusters.keys()].map((id) => clusterPath(parsed, id));
    for (const step of ["t0", "t1", "t2"]) {
      expect(paths).toContain(`backward.rnn.l0.${step}`);
      expect(paths).toContain(`rnn.l0.${step}`); // the forward values the gradients read
    }
  });

  test("two bidirectional layers nest as l0, l0_reverse, l1, l1_reverse, each with t0..t2", () => {
    const { loss } = notebookRnn({ numLayers: 2, bidirectional: true });
    const parsed = parseDot(toDot(loss));
    const paths = new Set([...parsed.clusters.keys()].map((id) => clusterPath(parsed, id)));
    for (const direction of ["l0", "l0_reverse", "l1", "l1_reverse"]) {
      expect(paths).toContain(`rnn.${direction}`);
      for (const step of ["t0", "t1", "t2"]) expect(paths).toContain(`rnn.${direction}.${step}`);
    }
    const collapsed = parseDot(toDot(loss, { collapseDepth: 3 }));
    const boxes = [...collapsed.nodes.keys()].map((id) => labelOf(collapsed, id).split("\n")[0]).filter((first) => /\.t\d$/.test(first));
    expect(boxes).toHaveLength(12);
    expect(boxes).toContain("rnn.l1_reverse.t0");
  });
});

describe("examples/viz.ts", () => {
  test("writes the notebook's forward and backward graphs as SVG, and the interactive page", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gradgraph-notebook-"));
    const paths = await writeNotebookGraphs(join(dir, "out"));
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(["out/notebook-rnn-forward.svg", "out/notebook-rnn-backward.svg", "out/notebook-rnn.html"]);
    const [forward, backward, page] = await Promise.all(paths.map((p) => readFile(p, "utf8")));
    for (const svg of [forward, backward]) expect(svg).toMatch(/<svg[\s\S]*>t2<\/text>[\s\S]*<\/svg>/);
    expect(forward).toContain(">rnn.weight_ih_l0</text>");
    expect(backward).toContain(">backward</text>");
    // labelled by what they are the gradients of, with no name given in the example
    for (const name of ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]) expect(backward).toContain(`>∂loss/∂rnn.${name}</text>`);
    expect(page).toMatch(/^<!DOCTYPE html>/i);
  });
});
