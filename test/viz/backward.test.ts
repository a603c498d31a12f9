import { type Tensor, grad, tensor, toJSON, topologicalOrder, withScope } from "@gradgraph/core";
import { toDot, toSvg } from "@gradgraph/viz";
import { describe, expect, test } from "vitest";
import { type ParsedDot, labelOf, parseDot } from "./helpers";

/** A 3-step recurrence in scopes rnn.l0.t0..t2 and the gradients `grad` builds for its weights. */
function recurrence(): { loss: Tensor; grads: Tensor[] } {
  const weight = tensor([[0.5, -0.2], [0.1, 0.3]], { requiresGrad: true, name: "rnn.weight_hh_l0" });
  const bias = tensor([0.1, -0.1], { requiresGrad: true, name: "rnn.bias_hh_l0" });
  let h = tensor([[1, 2]], { name: "h0" });
  withScope("rnn", () =>
    withScope("l0", () => {
      for (let t = 0; t < 3; t++) withScope(`t${t}`, () => (h = h.matmul(weight).add(bias).tanh()));
    }),
  );
  const loss = h.sum();
  return { loss, grads: grad(loss, [weight, bias]) };
}

const isGradient = (t: Tensor) => t.scope !== undefined && (t.scope === "backward" || t.scope.startsWith("backward."));
const fill = (parsed: ParsedDot, id: string) => parsed.nodes.get(id)!.attrs.fillcolor;
const styles = (parsed: ParsedDot, id: string) => parsed.nodes.get(id)!.attrs.style.split(",");

describe("backward graphs", () => {
  test("alone: exactly the nodes grad built, the forward values they read as dashed references", () => {
    const { grads } = recurrence();
    const order = topologicalOrder(grads);
    const full = order.flatMap((t, i) => (isGradient(t) || grads.includes(t) ? [i] : []));
    const read = new Set(full.flatMap((i) => order[i].inputs.map((input) => order.indexOf(input))).filter((i) => !full.includes(i)));
    expect(full.length).toBeGreaterThan(10);

    const parsed = parseDot(toDot(grads, { backwardOnly: true }));
    expect([...parsed.nodes.keys()].sort()).toEqual([...full, ...read].map((i) => `n${i}`).sort());
    const gradientFill = fill(parsed, `n${full[0]}`);
    for (const i of full) {
      expect(styles(parsed, `n${i}`)).not.toContain("dashed");
      if (order[i].op !== "constant") expect(fill(parsed, `n${i}`), order[i].describe()).toBe(gradientFill);
    }
    for (const i of read) {
      expect(styles(parsed, `n${i}`)).toContain("dashed");
      expect(fill(parsed, `n${i}`)).not.toBe(gradientFill);
    }
    // References have no inputs drawn; every input of a full node is an edge.
    const expectedEdges = full.reduce((sum, i) => sum + order[i].inputs.length, 0);
    expect(parsed.edges).toHaveLength(expectedEdges);
    for (const edge of parsed.edges) expect(full.map((i) => `n${i}`)).toContain(edge.to);
  });

  test("the backward cluster mirrors the forward scopes: backward ⊃ rnn ⊃ l0 ⊃ t0, t1, t2", () => {
    const { grads } = recurrence();
    const order = topologicalOrder(grads);
    const parsed = parseDot(toDot(grads, { backwardOnly: true }));
    const backward = [...parsed.clusters.values()].find((c) => labelOf(parsed, c.id) === "backward")!;
    expect(backward.parent).toBeUndefined();
    expect(backward.attrs.style).toContain("dashed");
    order.forEach((t, i) => {
      if (!isGradient(t)) return;
      const chain = parsed.nodes.get(`n${i}`)!.clusters.map((id) => labelOf(parsed, id));
      expect(chain, `${t.describe()} in ${t.scope}`).toEqual(t.scope!.split("."));
      expect(parsed.nodes.get(`n${i}`)!.clusters[0]).toBe(backward.id);
    });
    const stepClusters = [...parsed.clusters.values()].filter((c) => c.parent !== undefined && /^t\d$/.test(labelOf(parsed, c.id)));
    const gradientSteps = stepClusters.filter((c) => {
      let top = c;
      while (top.parent !== undefined) top = parsed.clusters.get(top.parent)!;
      return top.id === backward.id;
    });
    expect(gradientSteps.map((c) => labelOf(parsed, c.id)).sort()).toEqual(["t0", "t1", "t2"]);
  });

  test("together with the forward graph: every node, gradient nodes and their edges drawn distinctly", async () => {
    const { loss, grads } = recurrence();
    const order = topologicalOrder([loss, ...grads]);
    const dot = toDot([loss, ...grads]);
    const parsed = parseDot(dot);
    expect(parsed.nodes.size).toBe(order.length);

    const gradientOps = order.flatMap((t, i) => (isGradient(t) && t.op !== "constant" ? [`n${i}`] : []));
    const forwardOps = order.flatMap((t, i) => (!isGradient(t) && !t.isLeaf ? [`n${i}`] : []));
    const gradientFills = new Set(gradientOps.map((id) => fill(parsed, id)));
    const forwardFills = new Set(forwardOps.map((id) => fill(parsed, id)));
    expect(gradientFills.size).toBe(1);
    expect(forwardFills.size).toBe(1);
    expect([...gradientFills][0]).not.toBe([...forwardFills][0]);

    const edgeColor = (to: string) => parsed.edges.filter((e) => e.to === to).map((e) => e.attrs.color);
    const gradientColor = edgeColor(gradientOps[0])[0];
    expect(gradientColor).toBeDefined();
    for (const id of gradientOps) for (const color of edgeColor(id)) expect(color).toBe(gradientColor);
    for (const id of forwardOps) for (const color of edgeColor(id)) expect(color).toBeUndefined();

    const topClusters = [...parsed.clusters.values()].filter((c) => c.parent === undefined);
    expect(topClusters.map((c) => labelOf(parsed, c.id)).sort()).toEqual(["backward", "rnn"]);
    await expect(toSvg(dot)).resolves.toContain("</svg>");
  });

  test("a saved gradient graph draws the same, and collapses forward and backward steps alike", () => {
    const { loss, grads } = recurrence();
    const saved = JSON.parse(JSON.stringify(toJSON(grads)));
    // Identical but for the `∂loss/∂...` lines: what a gradient is the gradient of lives beside the
    // live tensors (core's gradientTargets), and saved graphs do not carry it.
    const withoutGradientLabels = (dot: string) => dot.replace(/label="∂[^"\\]*\\n/g, 'label="');
    expect(toDot(saved, { backwardOnly: true })).toBe(withoutGradientLabels(toDot(grads, { backwardOnly: true })));
    expect(toDot(grads, { backwardOnly: true })).toContain('label="∂loss/∂rnn.weight_hh_l0\\nadd');

    const parsed = parseDot(toDot([loss, ...grads], { collapseDepth: 3 }));
    const groups = [...parsed.nodes.keys()].map((id) => labelOf(parsed, id).split("\n")[0]).filter((first) => /\.t\d$/.test(first));
    expect(groups.sort()).toEqual(["backward.rnn.l0.t0", "backward.rnn.l0.t1", "backward.rnn.l0.t2", "rnn.l0.t0", "rnn.l0.t1", "rnn.l0.t2"]);
  });
});
