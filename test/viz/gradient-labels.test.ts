import { createRequire } from "node:module";
import { type Tensor, grad, gradientTargets, tensor, topologicalOrder } from "@gradgraph/core";
import { RNN } from "@gradgraph/nn";
import { toDot } from "@gradgraph/viz";
import { describe, expect, test } from "vitest";
import { labelOf, parseDot } from "./helpers";

/** nn.RNN(3 → 2) over four steps, loss = output.sum() + hN.sum(), and the gradient of every parameter. */
function rnnLoss(): { rnn: RNN; loss: Tensor; grads: Tensor[] } {
  const rnn = new RNN({ inputSize: 3, hiddenSize: 2, batchFirst: true });
  const x = tensor([[[1, 2, 3], [2, 1, 0], [0, 1, 1], [1, 1, 1]]], { name: "x" });
  const [output, hN] = rnn.forward(x);
  const loss = output.sum().add(hN.sum());
  return { rnn, loss, grads: grad(loss, rnn.parameters()) };
}

const PARAMETERS = ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"];

describe("gradient labels", () => {
  test("core records what grad returned each node as the gradient of", () => {
    const { rnn, loss, grads } = rnnLoss();
    const parameters = rnn.parameters();
    expect(parameters.map((p) => p.name)).toEqual(PARAMETERS);
    grads.forEach((g, i) => expect(gradientTargets(g)).toEqual([{ output: loss, input: parameters[i] }]));
    expect(gradientTargets(loss)).toEqual([]);
    // Asked for twice, one gradient node is recorded once; a second output adds its own record.
    const [first, second] = grad(loss, [parameters[0], parameters[0]]);
    expect(second).toBe(first);
    expect(gradientTargets(first)).toEqual([{ output: loss, input: parameters[0] }]);
    const twice = loss.mul(2);
    const other = grad(twice, [parameters[0]])[0];
    expect(gradientTargets(other).map((t) => t.output)).toContain(twice);
  });

  test("every gradient output is labelled ∂loss/∂<parameter>, without the user naming it", () => {
    const { loss, grads } = rnnLoss();
    const drawings: [Tensor[], boolean][] = [[[loss, ...grads], false], [grads, true]];
    for (const [outputs, backwardOnly] of drawings) {
      const order = topologicalOrder(outputs);
      const parsed = parseDot(toDot(outputs, { backwardOnly }));
      grads.forEach((g, i) => {
        const lines = labelOf(parsed, `n${order.indexOf(g)}`).split("\n");
        expect(lines[0]).toBe(`∂loss/∂${PARAMETERS[i]}`);
        expect(lines[1]).toBe(g.op);
      });
      const labelled = [...parsed.nodes.keys()].filter((id) => labelOf(parsed, id).includes("∂"));
      expect(labelled).toHaveLength(grads.length);
    }
  });

  test("a collapsed scope lists the gradients inside it", () => {
    const { loss, grads } = rnnLoss();
    const order = topologicalOrder([loss, ...grads]);
    const parsed = parseDot(toDot([loss, ...grads], { collapseDepth: 1 }));
    grads.forEach((g, i) => {
      const scope = g.scope!.split(".").slice(0, 2).join(".");
      // Gradients built in backward.rnn.l0 sit in the box backward.rnn; those built in backward stay single.
      const id = scope === "backward.rnn" ? [...parsed.nodes.keys()].find((k) => labelOf(parsed, k).startsWith("backward.rnn\n"))! : `n${order.indexOf(g)}`;
      expect(labelOf(parsed, id)).toContain(`∂loss/∂${PARAMETERS[i]}`);
    });
  });

  test("a named output and unnamed inputs are spelled out; a user's name wins", () => {
    const w = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
    const b = tensor([0.1, 0.2], { requiresGrad: true, name: "b" });
    const out = tensor([[1, 2]]).matmul(w).add(b).tanh().sum();
    out.name = "objective";
    const [gw, gb] = grad(out, [w, b]);
    const order = topologicalOrder([out, gw, gb]);
    const parsed = parseDot(toDot([out, gw, gb]));
    expect(labelOf(parsed, `n${order.indexOf(gw)}`).split("\n")[0]).toBe(`∂objective/∂constant #${order.indexOf(w)}`);
    expect(labelOf(parsed, `n${order.indexOf(gb)}`).split("\n")[0]).toBe("∂objective/∂b");
    gb.name = "my bias gradient";
    expect(labelOf(parseDot(toDot([out, gw, gb])), `n${order.indexOf(gb)}`).split("\n")[0]).toBe("my bias gradient");
  });
});

interface Box {
  name?: string;
  label?: string;
  bb?: string;
}

describe("forward and backward side by side", () => {
  test("edges from forward values into gradient nodes do not rank the gradient graph", () => {
    const { loss, grads } = rnnLoss();
    const parsed = parseDot(toDot([loss, ...grads]));
    // Gradient nodes are those `grad` built: the ones scoped under backward, by the tensors themselves.
    const order = topologicalOrder([loss, ...grads]);
    const isGradient = (id: string) => order[Number(id.slice(1))].scope?.split(".")[0] === "backward";
    let readsForward = 0;
    for (const edge of parsed.edges) {
      if (isGradient(edge.to) && !isGradient(edge.from)) {
        readsForward++;
        expect(edge.attrs.constraint, `${edge.from} -> ${edge.to}`).toBe("false");
        expect(edge.attrs.style).toBe("dashed");
      } else {
        expect(edge.attrs.constraint, `${edge.from} -> ${edge.to}`).toBeUndefined();
      }
    }
    expect(readsForward).toBeGreaterThan(8); // every step's backward reads that step's forward values
  });

  test("Graphviz lays the backward cluster beside the forward one, not below it", async () => {
    const { loss, grads } = rnnLoss();
    const { instance } = createRequire(new URL("../../packages/viz/package.json", import.meta.url))("@viz-js/viz") as {
      instance(): Promise<{ render(dot: string, options: { format: string }): { output: string } }>;
    };
    const layout = JSON.parse((await instance()).render(toDot([loss, ...grads]), { format: "json" }).output) as { bb: string; objects: Box[] };
    const boxOf = (label: string) => layout.objects.find((o) => o.name?.startsWith("cluster") && o.label === label)!.bb!.split(",").map(Number);
    const [, forwardBottom, , forwardTop] = boxOf("rnn"); // the first "rnn" cluster is the forward one
    const [, backwardBottom, , backwardTop] = boxOf("backward");
    const height = Number(layout.bb.split(",")[3]);
    // Side by side: the picture is barely taller than the taller of the two clusters (stacked or
    // staggered, as when those edges rank the gradient graph, it is half as tall again or more).
    const taller = Math.max(forwardTop - forwardBottom, backwardTop - backwardBottom);
    expect(height / taller).toBeLessThan(1.3);
  });
});
