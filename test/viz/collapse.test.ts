import { type Tensor, tensor, topologicalOrder, withScope } from "@gradgraph/core";
import { DEFAULT_MAX_NODES, toDot, toSvg } from "@gradgraph/viz";
import { describe, expect, test } from "vitest";
import { labelOf, labelText, parseDot } from "./helpers";

const STEP_NODES = 3;

/**
 * An unrolled recurrence `h = tanh(h W + h)`, each step built in scope `<prefix>.t<k>`
 * (three nodes per step), plus the leaves h0 and W.
 */
function unrolled(steps: number, prefix: string[]): { h: Tensor; weight: Tensor; h0: Tensor } {
  const weight = tensor([[0.5, 0], [0, 0.5]], { requiresGrad: true, name: "w" });
  const h0 = tensor([[1, -1]], { name: "h0" });
  let h = h0;
  const loop = () => {
    for (let t = 0; t < steps; t++) withScope(`t${t}`, () => (h = h.matmul(weight).add(h).tanh()));
  };
  const nested = prefix.reduceRight<() => void>((inner, scope) => () => withScope(scope, inner), loop);
  nested();
  return { h, weight, h0 };
}

/** The id of the DOT node whose label starts with `first` (labels are unique in these graphs). */
function idByLabel(dot: ReturnType<typeof parseDot>, first: string): string {
  const ids = [...dot.nodes.keys()].filter((id) => labelOf(dot, id).split("\n")[0] === first);
  expect(ids, first).toHaveLength(1);
  return ids[0];
}

describe("collapsing scopes", () => {
  test("collapseDepth turns a 1,000-step RNN into a chain of 1,000 boxes in rnn ⊃ l0, and it renders", async () => {
    const steps = 1000;
    const { h } = unrolled(steps, ["rnn", "l0"]);
    const dot = toDot(h, { collapseDepth: 3 });
    const parsed = parseDot(dot);

    expect(parsed.nodes.size).toBe(steps + 2); // the boxes, h0 and w
    expect(parsed.graphAttrs.label).toBeUndefined(); // asked for, so no note
    const l0 = [...parsed.clusters.values()].find((c) => labelOf(parsed, c.id) === "l0")!;
    expect(labelOf(parsed, l0.parent!)).toBe("rnn");
    const boxes = Array.from({ length: steps }, (_, t) => idByLabel(parsed, `rnn.l0.t${t}`));
    boxes.forEach((id, t) => {
      expect(labelOf(parsed, id).split("\n").slice(1, 2)).toEqual([`${STEP_NODES} nodes`]);
      expect(parsed.nodes.get(id)!.clusters.at(-1), `t${t}`).toBe(l0.id);
    });
    // One edge per pair of consecutive steps, plus h0 into the first; w feeds all 1,000 boxes,
    // past the fan-out limit, so it has no edges and every box names it instead.
    const expected = [`${idByLabel(parsed, "h0")}->${boxes[0]}`, ...boxes.slice(1).map((id, t) => `${boxes[t]}->${id}`)];
    expect(parsed.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(expected.sort());
    expect(labelOf(parsed, boxes[500]).split("\n").at(-1)).toBe("← w");
    expect(labelOf(parsed, idByLabel(parsed, "w"))).toBe("w\n[2, 2]\n→ 1,000 boxes");

    const svg = await toSvg(dot);
    expect(svg).toContain("rnn.l0.t999");
  });

  test("a box is a whole scope: nodes in deeper scopes join it, shallower nodes stay single", () => {
    const x = tensor([1, 2], { name: "x" });
    let y: Tensor | undefined;
    withScope("block", () => {
      const a = x.exp();
      const b = withScope("inner", () => a.neg().abs());
      y = b.add(a);
    });
    const order = topologicalOrder([y!]);
    const parsed = parseDot(toDot(y!, { collapseDepth: 2 }));
    expect([...parsed.nodes.keys()].map((id) => labelOf(parsed, id).split("\n")[0]).sort()).toEqual(["add", "block.inner", "exp", "x"].sort());
    expect(labelOf(parsed, idByLabel(parsed, "block.inner"))).toBe("block.inner\n2 nodes");
    expect(parseDot(toDot(y!, { collapseDepth: 1 })).nodes.size).toBe(2);
    expect(parseDot(toDot(y!, { collapseDepth: 3 })).nodes.size).toBe(order.length);
  });

  test("options are validated", () => {
    const x = tensor([1]).exp();
    expect(() => toDot(x, { collapseDepth: 0 })).toThrow(/collapseDepth must be a positive integer, got 0/);
    expect(() => toDot(x, { maxNodes: 1.5 })).toThrow(/maxNodes must be a positive integer, got 1.5/);
    expect(() => toDot(x, { maxFanOut: -1 })).toThrow(/maxFanOut must be a positive integer, got -1/);
  });
});

describe("the node budget", () => {
  test(`past ${DEFAULT_MAX_NODES} nodes the export collapses the deepest scopes that fit, and says so`, () => {
    const steps = 1000;
    const { h } = unrolled(steps, ["rnn", "l0"]);
    const total = topologicalOrder([h]).length;
    expect(total).toBe(steps * STEP_NODES + 2);

    const automatic = parseDot(toDot(h));
    expect(automatic.nodes.size).toBe(steps + 2);
    expect(labelText(automatic.graphAttrs.label)).toBe(`Collapsed scopes at depth 3: the graph has 3,002 nodes, more than the budget of 2,000`);
    // Apart from the note in the graph's attributes, the same picture as asking for depth 3.
    const statements = (dot: string) => dot.split("\n").filter((line) => !line.startsWith("  graph ["));
    expect(statements(toDot(h))).toEqual(statements(toDot(h, { collapseDepth: 3 })));

    const tighter = parseDot(toDot(h, { maxNodes: 500 }));
    expect(tighter.nodes.size).toBe(3); // rnn.l0 as one box, h0, w
    expect(labelOf(tighter, idByLabel(tighter, "rnn.l0"))).toBe("rnn.l0\n3,000 nodes");
    expect(tighter.graphAttrs.label).toContain("depth 2");

    expect(parseDot(toDot(h, { maxNodes: 5000 })).nodes.size).toBe(total);
  });

  test("a 100,000-node graph without scopes is summarized into runs under the budget, losing no node", async () => {
    let x = tensor([1], { name: "x" });
    for (let i = 0; i < 100_000; i++) x = x.mul(1.0001);
    const total = topologicalOrder([x]).length;
    const dot = toDot(x);
    const parsed = parseDot(dot);

    expect(parsed.nodes.size).toBeLessThanOrEqual(DEFAULT_MAX_NODES);
    expect(parsed.nodes.size).toBeGreaterThan(DEFAULT_MAX_NODES / 2);
    const counts = [...parsed.nodes.keys()].map((id) => Number(/\n([\d,]+) nodes?/.exec(labelOf(parsed, id))![1].replace(/,/g, "")));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
    expect(labelText(parsed.graphAttrs.label)).toMatch(/^Summarized as [\d,]+ runs of up to \d+ consecutive top-level boxes: the graph has 100,002 nodes, more than the budget of 2,000$/);
    // Runs follow the chain: each run feeds the next one.
    const runs = [...parsed.nodes.keys()];
    const chain = runs.slice(1).map((id, i) => `${runs[i]}->${id}`);
    expect(parsed.edges.map((e) => `${e.from}->${e.to}`)).toEqual(chain);
    await expect(toSvg(dot)).resolves.toContain("</svg>");
  });

  test("a 100,000-step scoped graph collapses to its top-level scope", () => {
    let x = tensor([1], { name: "x" });
    withScope("rnn", () => {
      for (let t = 0; t < 100_000; t++) withScope(`t${t}`, () => (x = x.neg()));
    });
    const parsed = parseDot(toDot(x));
    expect([...parsed.nodes.keys()].map((id) => labelOf(parsed, id))).toEqual(["x\n[1]", "rnn\n100,000 nodes"]);
    expect(parsed.edges).toHaveLength(1);
  });
});

describe("fan-out", () => {
  test("a node feeding more boxes than maxFanOut loses its edges; its consumers name it", () => {
    const steps = 20;
    const weight = tensor([[0.5, 0], [0, 0.5]], { requiresGrad: true, name: "w" });
    let h = tensor([[1, -1]], { name: "h0" });
    const transposed = weight.T; // unnamed and shared by every step
    for (let t = 0; t < steps; t++) withScope(`t${t}`, () => (h = h.matmul(transposed).tanh()));
    const order = topologicalOrder([h]);
    const at = order.indexOf(transposed);
    const matmuls = order.flatMap((n, i) => (n.op === "matmul" ? [`n${i}`] : []));

    const limited = parseDot(toDot(h));
    expect(limited.edges.filter((e) => e.from === `n${at}`)).toHaveLength(0);
    expect(labelOf(limited, `n${at}`)).toBe(`transpose\n[2, 2]\n#${at} → 20 boxes`);
    for (const id of matmuls) expect(labelOf(limited, id)).toBe(`matmul\n[1, 2]\n← transpose #${at}`);
    // Every other input is still an edge.
    const inputs = order.reduce((sum, n) => sum + n.inputs.length, 0);
    expect(limited.edges).toHaveLength(inputs - steps);

    const generous = parseDot(toDot(h, { maxFanOut: steps }));
    expect(generous.edges.filter((e) => e.from === `n${at}`).map((e) => e.to).sort()).toEqual(matmuls.sort());
    expect(generous.edges).toHaveLength(inputs);
    expect(labelOf(generous, matmuls[0])).toBe("matmul\n[1, 2]");
  });
});
