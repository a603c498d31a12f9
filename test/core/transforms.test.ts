/**
 * The function transforms' semantics beyond the PyTorch fixtures: nesting without confusing
 * variables, clean and interned result graphs, argnums and hasAux, errors that name the transform,
 * customVjp, stopGradient and checkpoint. Expected values are hand-computed.
 */
import { describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import { compile, detach, evaluate, fromJSON, func, grad, placeholder, stopGradient, type Tensor, tensor, toJSON, topologicalOrder } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";

const f64 = (values: number[], shape = [values.length]) => tensor(values, { shape, dtype: "float64" });
const values = (t: Tensor) => Array.from(evaluate([t])[0]);
const ops = (roots: Tensor[]) => topologicalOrder(roots).map((n) => n.op);

describe("func.grad and func.valueAndGrad", () => {
  it("nested grads keep their variables apart when both are the same tensor", () => {
    // f(x) = d/dy sum(x·y) at y = x0 is x, so grad f is ones; confusing y with x would give 2.
    const x0 = f64([1, 2, 3]);
    const inner = (x: Tensor) => func.grad((y: Tensor) => F.sum(F.mul(x, y)))(x0) as Tensor;
    const outer = func.grad((x: Tensor) => F.sum(inner(x)))(x0) as Tensor;
    expect(values(outer)).toEqual([1, 1, 1]);
  });

  it("returns graphs with no trace of the transform, interned with the same nodes built directly", () => {
    const x = f64([0.5, -1]);
    const loss = (w: Tensor) => F.sum(F.tanh(F.mul(w, w)));
    const first = func.grad(loss)(x) as Tensor;
    expect(ops([first])).not.toContain("standIn");
    expect(topologicalOrder([first])).toContain(F.tanh(F.mul(x, x)));
    expect(ops([first])).toEqual(ops(grad(loss(x), [x])));
    // d/dw sum(tanh(w²)) = 2w·(1 - tanh²(w²)), by hand.
    assertClose(first, [0.5, -1].map((w) => 2 * w * (1 - Math.tanh(w * w) ** 2)));
  });

  it("argnums picks the arguments (a list gives a list), the others stay constants", () => {
    const [a, b, c] = [f64([2]), f64([3]), f64([5])];
    const fn = (x: Tensor, y: Tensor, z: Tensor) => F.sum(F.mul(F.mul(x, y), F.square(z)));
    expect(values(func.grad(fn, { argnums: 1 })(a, b, c) as Tensor)).toEqual([50]);
    const [dz, dx] = func.grad(fn, { argnums: [-1, 0] })(a, b, c) as Tensor[];
    expect([values(dz), values(dx)]).toEqual([[60], [75]]);
  });

  it("hasAux passes aux through, restored, in grad's and valueAndGrad's layouts", () => {
    const x = f64([1, 2]);
    const fn = (w: Tensor) => {
      const y = F.mul(w, 3);
      return [F.sum(y), { scaled: y, note: "kept" }] as unknown as Tensor[];
    };
    const [gradient, aux] = func.grad(fn, { hasAux: true })(x) as [Tensor, { scaled: Tensor; note: string }];
    expect(values(gradient)).toEqual([3, 3]);
    expect(values(aux.scaled)).toEqual([3, 6]);
    expect(aux.note).toBe("kept");
    expect(ops([aux.scaled])).not.toContain("standIn");
    const [[value, aux2], g2] = func.valueAndGrad(fn, { hasAux: true })(x) as [[Tensor, { scaled: Tensor }], Tensor];
    expect([values(value), values(aux2.scaled), values(g2)]).toEqual([[9], [3, 6], [3, 3]]);
  });

  it("keeps the graph-level grad and valueAndGrad as they were", () => {
    const x = f64([2]);
    expect(values(grad(F.square(x), [x])[0])).toEqual([4]);
    const [value, [g]] = F.valueAndGrad((w: Tensor) => F.sum(F.square(w)))(x);
    expect([values(value), values(g)]).toEqual([[4], [4]]);
  });

  it("refuses what it cannot differentiate, naming the transform", () => {
    const x = f64([1, 2]);
    expect(() => func.grad((w: Tensor) => F.mul(w, 2))(x)).toThrow(/func\.grad: expected fn to return a scalar Tensor, got shape \[2\]/);
    expect(() => func.grad((w: Tensor) => F.sum(w), { argnums: 2 })(x)).toThrow(/func\.grad: argnums 2 is out of range for a call with 1 argument/);
    expect(() => func.grad((w: Tensor) => F.sum(w), { argnums: [0, 0] })(x)).toThrow(/func\.grad: argnums must be distinct/);
    expect(() => func.grad((w: Tensor) => F.sum(w), { argnum: 0 } as never)(x)).toThrow(/func\.grad: unknown option 'argnum'/);
    expect(() => func.grad((w: Tensor) => F.sum(w))(tensor([1, 2], { dtype: "int32" }))).toThrow(/only float tensors can be differentiated, argument 0 is int32 \[2\]/);
    expect(() => func.grad((() => 3) as never)(x)).toThrow(/func\.grad: the function's result must be a Tensor or a non-empty array of Tensors, got number 3/);
    expect(() => func.grad((w: Tensor) => F.sum(w), { hasAux: true })(x)).toThrow(/func\.grad: with hasAux, fn must return \[output, aux\]/);
    expect(() => func.grad(3 as never)).toThrow(/func\.grad: fn must be a function, got number 3/);
    const linear = func.linearize((w: Tensor) => F.mul(w, w), x);
    expect(() => linear.jvp()).toThrow(/func\.linearize: expected 1 tangents, one per primal, got 0/);
    expect(() => linear.jvp(tensor([1, 2, 3], { dtype: x.dtype }))).toThrow(/func\.linearize: tangent 0 has .* \[3\], but primal 0 is .* \[2\]/);
  });
});

describe("func.vjp, func.jvp, the Jacobians and hvp", () => {
  it("vjp's pullback checks its cotangents against the outputs", () => {
    const { outputs, pullback } = func.vjp((x: Tensor) => [F.sin(x), F.sum(x)], f64([0, 1]));
    expect((outputs as Tensor[]).map((o) => o.shape)).toEqual([[2], []]);
    expect(() => pullback(f64([1, 1]))).toThrow(/func\.vjp: the pullback expects an array of 2 Tensors, one per output/);
    expect(() => pullback([f64([1, 1, 1]), f64([1], [])])).toThrow(/func\.vjp: cotangent 0 has float64 \[3\], but output 0 is float64 \[2\]/);
    // [cos 0, cos 1]·u₀ + u₁ for u = ([2, 3], 10), by hand.
    assertClose(pullback([f64([2, 3]), f64([10], [])])[0], [2 + 10, 3 * Math.cos(1) + 10]);
  });

  it("jvp of several arguments is the sum of their directional derivatives", () => {
    // d(x·y) = y·dx + x·dy.
    const { outputs, tangents } = func.jvp((x: Tensor, y: Tensor) => F.mul(x, y), [f64([2, 3]), f64([5, 7])], [f64([1, 0]), f64([0, 1])]);
    expect([values(outputs as Tensor), values(tangents as Tensor)]).toEqual([[10, 21], [5, 3]]);
    expect(() => func.jvp((x: Tensor) => x, [f64([1])], [])).toThrow(/func\.jvp: tangents must be an array of 1 Tensors, one per primal/);
    expect(() => func.jvp((x: Tensor) => x, [f64([1])], [f64([1, 2])])).toThrow(/func\.jvp: tangent 0 has float64 \[2\], but primal 0 is float64 \[1\]/);
  });

  it("nests Jacobians as torch.func does: by output when fn returns a list, by argument when argnums is a list", () => {
    const [x, y] = [f64([1, 2]), f64([3])];
    const fn = (a: Tensor, b: Tensor) => [F.mul(a, b), F.sum(a)];
    const blocks = func.jacrev(fn, { argnums: [0, 1] })(x, y) as Tensor[][];
    expect(blocks.map((row) => row.map((b) => b.shape))).toEqual([[[2, 2], [2, 1]], [[2], [1]]]);
    expect(blocks.map((row) => row.map(values))).toEqual([[[3, 0, 0, 3], [1, 2]], [[1, 1], [0]]]);
    expect((func.jacfwd((a: Tensor) => F.mul(a, 3))(x) as Tensor).shape).toEqual([2, 2]);
    expect((func.jacobian(fn)(x, y) as Tensor[]).map((b) => b.shape)).toEqual([[2, 2], [2]]);
  });

  it("gives zeros for an argument fn does not use and for empty outputs", () => {
    const jacobian = func.jacrev((a: Tensor, b: Tensor) => F.mul(a, 2), { argnums: [0, 1] })(f64([1]), f64([1, 2])) as Tensor[];
    expect(values(jacobian[1])).toEqual([0, 0]);
    const empty = func.jacfwd((a: Tensor) => F.sum(a, 0, true))(tensor([], { shape: [0, 2], dtype: "float64" })) as Tensor;
    expect(empty.shape).toEqual([1, 2, 0, 2]);
  });

  it("hessian and hvp of x·y·z, by hand", () => {
    const args = [f64([2], []), f64([3], []), f64([5], [])];
    const product = (x: Tensor, y: Tensor, z: Tensor) => F.mul(F.mul(x, y), z);
    const blocks = func.hessian(product, { argnums: [0, 1, 2] })(...args) as Tensor[][];
    expect(blocks.map((row) => row.map((b) => values(b)[0]))).toEqual([
      [0, 5, 3],
      [5, 0, 2],
      [3, 2, 0],
    ]);
    const { output, hvp } = func.hvp(product, args, [f64([1], []), f64([0], []), f64([-1], [])]);
    expect([values(output), ...hvp.map(values)]).toEqual([[30], [-3], [3], [3]]);
    expect(() => func.hvp((x: Tensor) => x, [f64([1, 2])], [f64([1, 2])])).toThrow(/func\.hvp: expected fn to return a scalar Tensor, got shape \[2\]/);
  });

  it("results can be compiled, and compiled again from the cache", () => {
    const w = placeholder([3], "float64", "w");
    const hessianOf = func.hessian((x: Tensor) => F.sum(F.exp(F.mul(x, x))))(w) as Tensor;
    const program = compile({ inputs: [w], outputs: [hessianOf] });
    const [h] = program.run([[0.5, 0, -1]]);
    // d²/dx² exp(x²) = (2 + 4x²)·exp(x²) on the diagonal, zero off it.
    const diagonal = [0.5, 0, -1].map((v) => (2 + 4 * v * v) * Math.exp(v * v));
    assertClose({ shape: [3, 3], data: h }, { shape: [3, 3], data: [diagonal[0], 0, 0, 0, diagonal[1], 0, 0, 0, diagonal[2]] }, { rtol: 1e-12 });
  });
});

describe("func.customVjp", () => {
  // log(1 + eˣ) with the stable gradient sigmoid(x): the naive graph's gradient is eˣ/(1 + eˣ), NaN at 800.
  const softplusStable = func.customVjp(
    function logOnePlusExp(x: Tensor) {
      return F.log(F.add(F.exp(x), 1));
    },
    (g, { inputs: [x] }) => [F.mul(g, F.sigmoid(x))],
  );

  it("takes its gradient from bwd, never from fn's graph", () => {
    const x = f64([800, 0]);
    const [g] = grad(F.sum(softplusStable(x)), [x]);
    expect(values(g)).toEqual([1, 0.5]);
    const [naive] = grad(F.sum(F.log(F.add(F.exp(x), 1))), [x]);
    expect(Number.isNaN(values(naive)[0])).toBe(true);
  });

  it("keeps fn's value and graph, and differentiates bwd again", () => {
    const x = f64([0.3]);
    const y = softplusStable(x);
    assertClose(y, [Math.log1p(Math.exp(0.3))], { rtol: 1e-15 });
    expect(y.op).toBe("customVjp.logOnePlusExp");
    expect(ops([y])).toContain("log");
    // d/dx sigmoid(x) = s(1 - s).
    const s = 1 / (1 + Math.exp(-0.3));
    assertClose(func.grad((v: Tensor) => F.sum(func.grad((u: Tensor) => F.sum(softplusStable(u)))(v) as Tensor))(x) as Tensor, [s * (1 - s)], { rtol: 1e-14 });
  });

  it("a straight-through estimator: round's value, the identity's gradient", () => {
    const roundStraightThrough = func.customVjp((x: Tensor) => F.round(x), (g) => [g], { name: "roundStraightThrough" });
    const x = f64([0.4, 1.6]);
    expect(values(roundStraightThrough(x))).toEqual([0, 2]);
    expect(values(grad(F.sum(F.mul(roundStraightThrough(x), f64([3, 4]))), [x])[0])).toEqual([3, 4]);
  });

  it("goes through jvp and the Jacobians, which transpose bwd", () => {
    const x = f64([800, 0]);
    const { tangents } = func.jvp(softplusStable, [x], [f64([2, 2])]);
    expect(values(tangents as Tensor)).toEqual([2, 1]);
    expect(values(func.jacfwd(softplusStable)(x) as Tensor)).toEqual([1, 0, 0, 0.5]);
  });

  it("exports to JSON, loads where it is registered, and compiles", () => {
    const x = placeholder([2], "float64", "x");
    const y = softplusStable(x);
    const [g] = grad(F.sum(y), [x]);
    const loaded = fromJSON(JSON.parse(JSON.stringify(toJSON([y, g]))));
    expect(loaded.outputs[0].op).toBe("customVjp.logOnePlusExp");
    const program = compile({ inputs: [x], outputs: [y, g] });
    const [value, gradient] = program.run([[800, 0]]);
    // The value is fn's own, overflowing at 800; only the gradient is bwd's.
    expect([Array.from(value), Array.from(gradient)]).toEqual([[Infinity, Math.log(2)], [1, 0.5]]);
  });

  it("refuses a wrong bwd and a name taken, naming the custom gradient", () => {
    const wrongCount = func.customVjp((a: Tensor, b: Tensor) => F.mul(a, b), (g) => [g], { name: "wrongCount" });
    const x = f64([1, 2]);
    expect(() => grad(F.sum(wrongCount(x, x)), [x])).toThrow(/the custom gradient 'wrongCount' must return a list of 2 entries, one per argument \(null for none\), got 1 entries/);
    const wrongShape = func.customVjp((a: Tensor) => a, () => [f64([1])], { name: "wrongShape" });
    expect(() => grad(F.sum(wrongShape(x)), [x])).toThrow(/the custom gradient 'wrongShape' for argument 0 has float64 \[1\], but the argument is float64 \[2\]/);
    expect(() => func.customVjp((a: Tensor) => a, (g) => [g], { name: "wrongShape" })).toThrow(/func\.customVjp: an op named 'customVjp\.wrongShape' is already registered/);
    expect(() => func.customVjp((a: Tensor) => a, (g) => [g])).toThrow(/func\.customVjp: fn has no name: pass options\.name/);
  });
});

describe("stopGradient", () => {
  it("is detach: the same node, no gradient through it", () => {
    const x = f64([3]);
    expect(stopGradient(x)).toBe(detach(x));
    expect(values(grad(F.mul(stopGradient(x), x), [x])[0])).toEqual([3]);
    expect(() => stopGradient(3 as never)).toThrow(/stopGradient: x must be a Tensor, got number 3/);
  });
});

describe("func.checkpoint", () => {
  const w = f64([0.5, -0.25, 0.75, 1], [2, 2]);
  const cell = (h: Tensor, x: Tensor) => [F.tanh(F.add(F.matmul(h, w), x)), F.sigmoid(h)];

  it("gives the gradients of the plain graph, to its arguments and to the weights it reads", () => {
    const h0 = f64([0.1, -0.2]);
    const xs = [f64([1, 2]), f64([-1, 0.5]), f64([0.3, 0.3])];
    const run = (step: (h: Tensor, x: Tensor) => Tensor[]) => {
      let h = h0;
      let total = F.sum(h0);
      for (const x of xs) {
        const [next, gate] = step(h, x);
        total = F.add(total, F.sum(F.mul(next, gate)));
        h = next;
      }
      return grad(total, [h0, w, ...xs]);
    };
    const plain = run(cell);
    const checkpointed = run((h, x) => func.checkpoint(cell, h, x) as Tensor[]);
    checkpointed.forEach((g, i) => assertClose(g, plain[i], { rtol: 1e-14, atol: 1e-15 }));
  });

  it("composes with the function transforms: func.grad and func.hessian through a checkpoint", () => {
    const x = f64([0.3, -0.6]);
    const through = (h: Tensor) => F.sum(F.mul(...(func.checkpoint(cell, h, x) as [Tensor, Tensor])));
    const direct = (h: Tensor) => F.sum(F.mul(...(cell(h, x) as [Tensor, Tensor])));
    const h = f64([0.1, 0.2]);
    assertClose(func.grad(through)(h) as Tensor, func.grad(direct)(h) as Tensor, { rtol: 1e-14, atol: 1e-15 });
    assertClose(func.hessian(through)(h) as Tensor, func.hessian(direct)(h) as Tensor, { rtol: 1e-13, atol: 1e-15 });
  });

  it("lowers the evaluator's peak of live values for a long chain with several weights", () => {
    // Replays exec/evaluate.ts's schedule: its topological order, each value dropped after its last consumer.
    const peakBytes = (outputs: Tensor[]) => {
      const order = topologicalOrder(outputs, (n) => n.isLeaf);
      const uses = new Map<Tensor, number>();
      for (const node of [...order.flatMap((n) => n.inputs), ...outputs]) uses.set(node, (uses.get(node) ?? 0) + 1);
      let [live, peak] = [0, 0];
      for (const node of order.filter((n) => !n.isLeaf)) {
        live += node.size * 8;
        peak = Math.max(peak, live);
        for (const input of node.inputs) {
          uses.set(input, uses.get(input)! - 1);
          if (uses.get(input) === 0 && !input.isLeaf) live -= input.size * 8;
        }
      }
      return peak;
    };
    const weights = [0, 1, 2].map((k) => f64(Array.from({ length: 64 }, (_, i) => Math.sin(i + k) / 8), [8, 8]));
    const step = (h: Tensor) => F.tanh(F.add(F.matmul(F.sigmoid(F.matmul(h, weights[0])), weights[1]), F.matmul(h, weights[2])));
    const segment = (h: Tensor) => [0, 1, 2, 3, 4, 5, 6, 7].reduce((state) => step(state), h);
    const peakOf = (checkpointed: boolean) => {
      let h = f64(Array.from({ length: 128 }, (_, i) => Math.cos(i)), [16, 8]);
      let loss = F.sum(h);
      for (let s = 0; s < 16; s++) {
        h = checkpointed ? (func.checkpoint(segment, h) as Tensor) : segment(h);
        loss = F.add(loss, F.sum(F.square(h)));
      }
      return peakBytes([loss, ...grad(loss, weights)]);
    };
    const [plain, checkpointed] = [peakOf(false), peakOf(true)];
    expect(checkpointed).toBeLessThan(plain / 3);
  });

  it("recomputes: the gradient reads new copies of fn's nodes, one copy for all of fn's outputs", () => {
    const [h, x] = [f64([0.1, -0.2]), f64([1, 2])];
    const outputs = func.checkpoint(cell, h, x) as Tensor[];
    const gradients = grad(F.sum(F.add(outputs[0], outputs[1])), [h, x]);
    const forward = new Set(topologicalOrder(outputs));
    const tanhs = topologicalOrder(gradients).filter((n) => n.op === "tanh");
    expect(tanhs.length).toBe(1);
    expect(forward.has(tanhs[0])).toBe(false);
    expect(() => func.checkpoint(cell)).toThrow(/func\.checkpoint: expected at least one tensor argument after fn, got none/);
    // The checkpoint and stand-in ops are registered, so such gradients export and load like any graph.
    const loaded = fromJSON(JSON.parse(JSON.stringify(toJSON(gradients)))).outputs;
    loaded.forEach((g, i) => expect(values(g)).toEqual(values(gradients[i])));
  });
});
