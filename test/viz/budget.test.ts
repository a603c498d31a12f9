/**
 * Budgets that bound what Graphviz is given, so pictures of long sequences render in seconds.
 * Nothing here is timed: the DOT's size is asserted, and pictures are rendered by the CLI in a
 * child process killed after a deadline, a hang guard that works where an in-process timeout
 * cannot (Graphviz's layout is one synchronous WebAssembly call; a 300-step RNN's collapsed
 * picture once took over ten minutes).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Generator, type Tensor, grad, tensor, toJSON, topologicalOrder, withScope } from "@gradgraph/core";
import { RNN } from "@gradgraph/nn";
import { DEFAULT_MAX_NODES, toDot } from "@gradgraph/viz";
import { describe, expect, test } from "vitest";
import { labelOf, labelText, parseDot } from "./helpers";

/** The loss of nn.RNN(4 → 3) over `steps` steps, with the gradients of its parameters if asked. */
function rnnGraph(steps: number, backward: boolean): Tensor[] {
  const rnn = new RNN({ inputSize: 4, hiddenSize: 3, batchFirst: true, generator: new Generator(1) });
  const values = new Float32Array(steps * 4);
  new Generator(2).fillUniform(values, -1, 1);
  const [output, hN] = rnn.forward(tensor(values, { shape: [1, steps, 4], name: "x" }));
  const loss = output.sum().add(hN.sum());
  return backward ? [loss, ...grad(loss, rnn.parameters())] : [loss];
}

const RENDER_TIMEOUT = 120_000;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "packages/viz/src/cli.ts");

/** Saves the graph and draws it as SVG with gradgraph-viz, killed if it takes longer than `RENDER_TIMEOUT`. */
async function renderWithCli(outputs: Tensor[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gradgraph-budget-"));
  const input = join(dir, "graph.json");
  const output = join(dir, "graph.svg");
  await writeFile(input, JSON.stringify(toJSON(outputs)));
  const failure = await new Promise<string | undefined>((resolve) => {
    const args = ["--conditions=source", "--import", "tsx", CLI, input, "-o", output];
    execFile(process.execPath, args, { cwd: ROOT, timeout: RENDER_TIMEOUT - 10_000 }, (error, _stdout, stderr) =>
      resolve(error === null ? undefined : error.killed ? "killed after the deadline" : stderr),
    );
  });
  expect(failure).toBeUndefined();
  return readFile(output, "utf8");
}

describe("RNN pictures stay within the budgets of boxes and edges, and render", () => {
  for (const steps of [300, 1000, 10000]) {
    for (const backward of [false, true]) {
      test(
        `${steps} steps, ${backward ? "forward + backward" : "forward"}`,
        async () => {
          const outputs = rnnGraph(steps, backward);
          const dot = toDot(outputs);
          const parsed = parseDot(dot);
          expect(topologicalOrder(outputs).length).toBeGreaterThan(DEFAULT_MAX_NODES);
          expect(parsed.nodes.size).toBeLessThanOrEqual(DEFAULT_MAX_NODES);
          expect(parsed.edges.length).toBeLessThanOrEqual(2 * DEFAULT_MAX_NODES);
          // No box is fed by, or feeds, more boxes than the fan limits (16) allow.
          const fanIn = new Map<string, Set<string>>();
          const fanOut = new Map<string, Set<string>>();
          for (const { from, to } of parsed.edges) {
            fanIn.set(to, (fanIn.get(to) ?? new Set()).add(from));
            fanOut.set(from, (fanOut.get(from) ?? new Set()).add(to));
          }
          for (const sources of fanIn.values()) expect(sources.size).toBeLessThanOrEqual(16);
          for (const targets of fanOut.values()) expect(targets.size).toBeLessThanOrEqual(16);
          expect(labelText(parsed.graphAttrs.label)).toMatch(/^(Collapsed|Summarized)/);
          expect(await renderWithCli(outputs)).toContain("</svg>");
        },
        RENDER_TIMEOUT,
      );
    }
  }
});

describe("fan-in", () => {
  test("the concat of 300 step outputs gets one edge, from a summary box naming them; each names the concat", async () => {
    const [loss] = rnnGraph(300, false);
    const order = topologicalOrder([loss]);
    const concat = order.findIndex((t) => t.op === "concat");
    expect(order[concat].inputs).toHaveLength(300);
    const parsed = parseDot(toDot(loss));
    const into = parsed.edges.filter((e) => e.to === `n${concat}`);
    expect(into).toHaveLength(1);
    const summary = into[0].from;
    const inputs = order[concat].inputs.map((t) => order.indexOf(t));
    expect(labelOf(parsed, summary)).toBe(`reshape #${inputs[0]} … reshape #${inputs[299]}\n300 boxes`);
    expect(parsed.nodes.get(summary)!.attrs.shape).toBe("note");
    expect(parsed.nodes.get(summary)!.clusters).toEqual(parsed.nodes.get(`n${concat}`)!.clusters);
    for (const i of inputs) {
      expect(labelOf(parsed, `n${i}`).split("\n")).toContain(`→ concat #${concat}`);
      expect(parsed.edges.filter((e) => e.from === `n${i}` && e.to === `n${concat}`)).toHaveLength(0);
    }
    expect(await renderWithCli([loss])).toContain("300 boxes</text>");
  }, RENDER_TIMEOUT);

  test("up to maxFanIn producers keep their edges", () => {
    const parts = Array.from({ length: 5 }, (_, i) => tensor([i], { name: `p${i}` }).neg());
    const all = parts.reduce((acc, p) => acc.add(p), tensor([0], { name: "start" }));
    const order = topologicalOrder([all]);
    const kept = parseDot(toDot(all, { maxFanIn: 5 }));
    const summarized = parseDot(toDot(all, { maxFanIn: 1 }));
    // Every add has two producer boxes: limit 1 summarizes each add's inputs, limit 5 none.
    const adds = order.flatMap((t, i) => (t.op === "add" ? [`n${i}`] : []));
    for (const id of adds) {
      expect(kept.edges.filter((e) => e.to === id)).toHaveLength(2);
      const into = summarized.edges.filter((e) => e.to === id);
      expect(into).toHaveLength(1);
      expect(into[0].from).toBe(`fanin_${id}`);
    }
  });
});

describe("fan-out of a box", () => {
  test("a collapsed scope feeding 20 boxes gets one edge to a summary box; the boxes name it", () => {
    const x = tensor([1, 2], { name: "x" });
    const pieces = withScope("split", () => Array.from({ length: 20 }, (_, i) => x.mul(i + 2)));
    let total = pieces[0];
    for (const piece of pieces.slice(1)) total = total.add(piece);
    const order = topologicalOrder([total]);
    const parsed = parseDot(toDot(total, { collapseDepth: 1 }));
    const split = [...parsed.nodes.keys()].find((id) => labelOf(parsed, id).startsWith("split\n"))!;
    expect(labelOf(parsed, split).split("\n").slice(0, 2)).toEqual(["split", "20 nodes"]); // the muls (scalars are shared, unscoped)
    const out = parsed.edges.filter((e) => e.from === split);
    expect(out).toHaveLength(1);
    const summary = out[0].to;
    const adds = order.flatMap((t, i) => (t.op === "add" ? [i] : []));
    expect(labelOf(parsed, summary)).toBe(`add #${adds[0]} … add #${adds[18]}\n19 boxes`);
    for (const i of adds) expect(labelOf(parsed, `n${i}`).split("\n").at(-1)).toBe("← split");
    // The chain of adds keeps its 18 edges; split's 21 inputs (x and 20 scalars) come through a
    // fan-in summary, and its outputs go to the fan-out summary: one edge each.
    expect(parsed.edges).toHaveLength(18 + 2);
    expect(parsed.edges.filter((e) => e.to === split).map((e) => e.from)).toEqual([`fanin_${split}`]);
  });
});

describe("the edge budget", () => {
  test("a picture whose boxes fit but whose edges do not collapses, and says why", () => {
    let h = tensor([1], { name: "x" });
    withScope("rnn", () => {
      for (let t = 0; t < 30; t++) withScope(`t${t}`, () => (h = h.neg()));
    });
    expect(parseDot(toDot(h)).edges).toHaveLength(30);
    const parsed = parseDot(toDot(h, { maxEdges: 10 }));
    expect([...parsed.nodes.keys()].map((id) => labelOf(parsed, id))).toEqual(["x\n[1]", "rnn\n30 nodes"]);
    expect(labelText(parsed.graphAttrs.label)).toBe("Collapsed scopes at depth 1: the picture has 30 edges, more than the budget of 10");
  });

  test("runs get fewer until their edges fit", () => {
    let x = tensor([1], { name: "x" });
    for (let i = 0; i < 100; i++) x = x.mul(1.5).neg();
    const parsed = parseDot(toDot(x, { maxNodes: 50, maxEdges: 10 }));
    expect(parsed.edges.length).toBeLessThanOrEqual(10);
    expect(parsed.nodes.size).toBeGreaterThan(1);
    const counts = [...parsed.nodes.keys()].map((id) => Number(/\n([\d,]+) nodes?/.exec(labelOf(parsed, id))![1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(topologicalOrder([x]).length);
  });

  test("maxEdges and maxFanIn are validated", () => {
    const x = tensor([1]).exp();
    expect(() => toDot(x, { maxEdges: 0 })).toThrow(/toDot: maxEdges must be a positive integer, got 0/);
    expect(() => toDot(x, { maxFanIn: 2.5 })).toThrow(/toDot: maxFanIn must be a positive integer, got 2.5/);
  });
});
