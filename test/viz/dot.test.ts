import { type Tensor, placeholder, scalar, tensor, toJSON, topologicalOrder, withScope } from "@gradgraph/core";
import { toDot, toGraphlib, toSvg } from "@gradgraph/viz";
import { describe, expect, test } from "vitest";
import { clustersByLabel, graphvizView, labelOf, parseDot, tally } from "./helpers";

/** A small model touching every kind of node: a placeholder, named input, parameters, a scalar and an unnamed constant. */
function smallModel(): { loss: Tensor; x: Tensor; weight: Tensor; hidden: Tensor } {
  const x = placeholder([4, 3], "float32", "x");
  const target = tensor([1, 0, 1, 0], { name: "target" });
  const weight = tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], { requiresGrad: true, name: "linear.weight" });
  const bias = tensor([0.5, -0.5], { requiresGrad: true, name: "linear.bias" });
  const offset = tensor([[1, 2]]);
  const hidden = x.matmul(weight).add(bias).add(offset).tanh();
  const squared = hidden.mul(hidden); // one input used twice: two edges
  const loss = squared.sum(1).sub(target).mul(scalar(0.5)).mean();
  return { loss, x, weight, hidden };
}

describe("toDot", () => {
  test("draws one node per graph node and one edge per input, in topological numbering", async () => {
    const { loss } = smallModel();
    const order = topologicalOrder([loss]);
    const parsed = parseDot(toDot(loss));

    expect(parsed.nodes.size).toBe(order.length);
    const expectedEdges: string[] = [];
    order.forEach((node, i) => node.inputs.forEach((input) => expectedEdges.push(`n${order.indexOf(input)}->n${i}`)));
    expect(parsed.edges).toHaveLength(expectedEdges.length);
    expect(tally(parsed.edges.map((e) => `${e.from}->${e.to}`))).toEqual(tally(expectedEdges));
    order.forEach((node, i) => {
      const lines = labelOf(parsed, `n${i}`).split("\n");
      const scalarValue = node.op === "constant" && node.size === 1 ? String(node.leafValue![0]) : undefined;
      expect(lines).toContain(node.name ?? scalarValue ?? (node.op === "constant" ? "constant" : node.op));
      if (node.shape.length > 0) expect(lines).toContain(`[${node.shape.join(", ")}]`);
    });

    // Graphviz itself reads the same nodes and edges.
    const drawn = await graphvizView(toDot(loss));
    expect(drawn.nodes.size).toBe(order.length);
    expect(tally(drawn.edges.map(([a, b]) => `${a}->${b}`))).toEqual(tally(expectedEdges));
  });

  test("labels ops with their output shape, and dtype and attributes on request", () => {
    const { loss, hidden } = smallModel();
    const order = topologicalOrder([loss]);
    const at = order.indexOf(hidden);
    expect(labelOf(parseDot(toDot(loss)), `n${at}`)).toBe("tanh\n[4, 2]");
    expect(labelOf(parseDot(toDot(loss, { showDtype: true })), `n${at}`)).toBe("tanh\n[4, 2] float32");

    const rowSums = order.findIndex((n) => n.op === "sum");
    expect(labelOf(parseDot(toDot(loss)), `n${rowSums}`)).toBe("sum\n[4]");
    expect(labelOf(parseDot(toDot(loss, { showAttrs: true })), `n${rowSums}`)).toBe("sum\n[4]\ndims=[1]\nkeepdim=false");
  });

  test("draws parameters, placeholders, named inputs, constants and ops distinctly, with their names", () => {
    const { loss } = smallModel();
    const order = topologicalOrder([loss]);
    const parsed = parseDot(toDot(loss));
    const look = (i: number) => {
      const { shape, style, fillcolor } = parsed.nodes.get(`n${i}`)!.attrs;
      return `${shape}|${style}|${fillcolor}`;
    };
    const find = (predicate: (t: Tensor) => boolean) => order.findIndex(predicate);
    const parameter = find((t) => t.name === "linear.weight");
    const otherParameter = find((t) => t.name === "linear.bias");
    const placeholderAt = find((t) => t.op === "placeholder");
    const input = find((t) => t.name === "target");
    const constant = find((t) => t.op === "constant" && t.name === undefined && t.size > 1);
    const op = find((t) => t.op === "matmul");

    expect(labelOf(parsed, `n${parameter}`)).toBe("linear.weight\n[3, 2]");
    expect(labelOf(parsed, `n${placeholderAt}`)).toBe("x\n[4, 3]");
    expect(labelOf(parsed, `n${input}`)).toBe("target\n[4]");
    expect(labelOf(parsed, `n${constant}`)).toBe("constant\n[1, 2]");
    expect(look(parameter)).toBe(look(otherParameter));
    expect(new Set([parameter, placeholderAt, input, constant, op].map(look)).size).toBe(5);
    // The requested output is marked.
    expect(parsed.nodes.get(`n${order.length - 1}`)!.attrs.peripheries).toBe("2");
    expect(parsed.nodes.get(`n${op}`)!.attrs.peripheries).toBeUndefined();
  });

  test("rankdir sets the layout direction and is validated", () => {
    const { loss } = smallModel();
    expect(parseDot(toDot(loss)).graphAttrs.rankdir).toBe("TB");
    expect(parseDot(toDot(loss, { rankdir: "LR" })).graphAttrs.rankdir).toBe("LR");
    expect(() => toDot(loss, { rankdir: "sideways" as "LR" })).toThrow(/rankdir must be one of TB, LR, BT, RL/);
  });

  test("nests clusters by scope path: rnn ⊃ rnn.l0 ⊃ t0, t1, t2", async () => {
    const weight = tensor([[0.5, -0.2], [0.1, 0.3]], { requiresGrad: true, name: "rnn.weight_hh_l0" });
    const inputs = [1, 2, 3].map((v, t) => tensor([[v, -v]], { name: `x${t}` }));
    let h = tensor([[0, 0]], { name: "h0" });
    const builtIn = new Map<Tensor, string>();
    withScope("rnn", () =>
      withScope("l0", () =>
        inputs.forEach((x, t) =>
          withScope(`t${t}`, () => {
            const pre = h.matmul(weight);
            const sum = pre.add(x);
            h = sum.tanh();
            for (const node of [pre, sum, h]) builtIn.set(node, `t${t}`);
          }),
        ),
      ),
    );
    const loss = h.sum();
    const order = topologicalOrder([loss]);
    const dot = toDot(loss);
    const parsed = parseDot(dot);
    const clusters = clustersByLabel(parsed);

    expect([...clusters.keys()].sort()).toEqual(["l0", "rnn", "t0", "t1", "t2"]);
    expect(clusters.get("rnn")!.parent).toBeUndefined();
    expect(clusters.get("l0")!.parent).toBe(clusters.get("rnn")!.id);
    for (const step of ["t0", "t1", "t2"]) expect(clusters.get(step)!.parent).toBe(clusters.get("l0")!.id);
    order.forEach((node, i) => {
      const step = builtIn.get(node);
      const expected = step === undefined ? [] : ["rnn", "l0", step].map((label) => clusters.get(label)!.id);
      expect(parsed.nodes.get(`n${i}`)!.clusters, node.describe()).toEqual(expected);
    });

    // Graphviz agrees on membership: each step cluster holds exactly that step's three nodes.
    const drawn = await graphvizView(dot);
    for (const step of ["t0", "t1", "t2"]) {
      const cluster = drawn.clusters.get(clusters.get(step)!.id)!;
      expect(cluster.title).toEqual([step]);
      const expected = order.flatMap((node, i) => (builtIn.get(node) === step ? [`n${i}`] : []));
      expect([...cluster.nodes].sort()).toEqual(expected.sort());
    }
    expect(drawn.clusters.get(clusters.get("rnn")!.id)!.nodes.size).toBe(9);
  });

  test("is deterministic: the same graph built twice, or loaded from JSON, gives identical DOT", () => {
    const first = smallModel().loss;
    smallModel(); // unrelated tensors in between shift every global tensor id
    const second = smallModel().loss;
    expect(second.id).not.toBe(first.id);
    const dot = toDot(first, { showAttrs: true, showDtype: true });
    expect(toDot(second, { showAttrs: true, showDtype: true })).toBe(dot);
    const saved = JSON.parse(JSON.stringify(toJSON([first])));
    expect(toDot(saved, { showAttrs: true, showDtype: true })).toBe(dot);
  });

  test("accepts a list of outputs and marks each", () => {
    const { loss, hidden } = smallModel();
    const order = topologicalOrder([loss, hidden]);
    const parsed = parseDot(toDot([loss, hidden]));
    expect(parsed.nodes.size).toBe(order.length);
    const marked = [...parsed.nodes.values()].filter((n) => n.attrs.peripheries === "2").map((n) => n.id);
    expect(marked.sort()).toEqual([`n${order.indexOf(hidden)}`, `n${order.indexOf(loss)}`].sort());
  });

  test("rejects what is not a graph", () => {
    expect(() => toDot([tensor([1]), 3 as unknown as Tensor])).toThrow(/element 1 of the tensor list is not a Tensor/);
    expect(() => toDot({ format: "other" } as never)).toThrow(/toDot: not a valid gradgraph graph: expected an object with format/);
    const json = toJSON([tensor([1, 2]).exp()]);
    json.nodes[1].inputs = [1];
    expect(() => toDot(json)).toThrow(/node 1 \('exp'\) must list its inputs as indices of earlier nodes/);
  });
});

describe("toGraphlib", () => {
  test("hands over the graphlib graph: boxes, clusters as compound parents, edges", () => {
    let y: Tensor | undefined;
    const x = tensor([1, 2], { name: "x" });
    withScope("block", () => (y = x.exp().neg()));
    const graph = toGraphlib(y!);
    const order = topologicalOrder([y!]);
    expect(graph.isCompound()).toBe(true);
    const boxes = graph.nodes().filter((id) => graph.node(id).kind !== "cluster");
    const clusters = graph.nodes().filter((id) => graph.node(id).kind === "cluster");
    expect(boxes.sort()).toEqual(order.map((_, i) => `n${i}`).sort());
    expect(clusters).toHaveLength(1);
    expect(graph.node(clusters[0])).toMatchObject({ label: "block", scope: "block", nodeCount: 2 });
    expect(graph.children(clusters[0]).sort()).toEqual(["n1", "n2"]);
    expect(graph.edges().map((e) => `${e.v}->${e.w}`).sort()).toEqual(["n0->n1", "n1->n2"]);
    expect(graph.node("n2")).toMatchObject({ kind: "op", label: "neg\n[2]", output: true, gradient: false });
  });
});

describe("toSvg", () => {
  test("renders with the bundled Graphviz, no system install", async () => {
    const svg = await toSvg(toDot(smallModel().loss));
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    expect(svg).toContain("linear.weight");
  });

  test("reports DOT that Graphviz cannot read", async () => {
    await expect(toSvg("digraph { a -> }")).rejects.toThrow(/toSvg: Graphviz could not render the graph: .*syntax error/);
  });
});
