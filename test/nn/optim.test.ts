import { Generator, type Tensor, randn, tensor } from "@gradgraph/core";
import { describe, expect, test } from "vitest";
import { Adam, AdamW, SGD, type Optimizer, clipGradNorm } from "../../packages/nn/src/optim";
import { assertClose } from "@gradgraph/core/testing";

/**
 * The optimizers are checked against the update rules written out as plain loops over numbers
 * (PyTorch 1.13's single-tensor code, transcribed), fed the same gradient sequence.
 */
type Rule = (p: number[], g: number[], state: Record<string, number[]>, step: number) => void;

const EXACT = { atol: 0, rtol: 1e-15 };
const STEPS = 6;

function gradients(seed: number, shapes: number[][]): Float64Array[][] {
  const gen = new Generator(seed);
  return Array.from({ length: STEPS }, () => shapes.map((s) => randn(s, { dtype: "float64", generator: gen }).data() as Float64Array));
}

function runOptimizer(make: (params: Tensor[]) => Optimizer<any>, initial: Float64Array[], shapes: number[][], grads: Float64Array[][]) {
  const params = initial.map((v, i) => tensor(v, { shape: shapes[i], requiresGrad: true }));
  const optimizer = make(params);
  for (const stepGrads of grads) {
    params.forEach((p, i) => {
      p.grad = tensor(stepGrads[i], { shape: shapes[i] });
    });
    optimizer.step();
  }
  return params.map((p) => Array.from(p.data()));
}

function runRule(rule: Rule, initial: Float64Array[], grads: Float64Array[][]) {
  const params = initial.map((v) => Array.from(v));
  const states = params.map(() => ({}) as Record<string, number[]>);
  grads.forEach((stepGrads, t) => params.forEach((p, i) => rule(p, Array.from(stepGrads[i]), states[i], t + 1)));
  return params;
}

function sgdRule(lr: number, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0): Rule {
  return (p, grad, state) => {
    const g = grad.map((v, j) => v + weightDecay * p[j]);
    let d = g;
    if (momentum !== 0) {
      state.buf = state.buf === undefined ? [...g] : state.buf.map((b, j) => b * momentum + (1 - dampening) * g[j]);
      d = nesterov ? g.map((v, j) => v + momentum * state.buf[j]) : state.buf;
    }
    for (let j = 0; j < p.length; j++) p[j] -= lr * d[j];
  };
}

function adamRule(lr: number, [b1, b2]: number[], eps: number, weightDecay: number, amsgrad: boolean, decoupled: boolean): Rule {
  return (p, grad, s, t) => {
    if (decoupled) for (let j = 0; j < p.length; j++) p[j] *= 1 - lr * weightDecay;
    const g = decoupled ? grad : grad.map((v, j) => v + weightDecay * p[j]);
    s.m ??= g.map(() => 0);
    s.v ??= g.map(() => 0);
    s.vmax ??= g.map(() => 0);
    for (let j = 0; j < p.length; j++) {
      s.m[j] = b1 * s.m[j] + (1 - b1) * g[j];
      s.v[j] = b2 * s.v[j] + (1 - b2) * g[j] * g[j];
      s.vmax[j] = Math.max(s.vmax[j], s.v[j]);
      const second = amsgrad ? s.vmax[j] : s.v[j];
      const denom = Math.sqrt(second) / Math.sqrt(1 - b2 ** t) + eps;
      p[j] -= ((lr / (1 - b1 ** t)) * s.m[j]) / denom;
    }
  };
}

const shapes = [[3, 2], [4]];
const initial = gradients(99, shapes)[0];
const grads = gradients(7, shapes);

describe("update rules match PyTorch 1.13's, step by step (float64)", () => {
  const cases: [string, (ps: Tensor[]) => Optimizer<any>, Rule][] = [
    ["SGD", (ps) => new SGD(ps, { lr: 0.1 }), sgdRule(0.1)],
    ["SGD momentum", (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9 }), sgdRule(0.05, 0.9)],
    ["SGD momentum + dampening + weight decay", (ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01 }), sgdRule(0.05, 0.8, 0.3, false, 0.01)],
    ["SGD nesterov", (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }), sgdRule(0.05, 0.9, 0, true)],
    ["Adam", (ps) => new Adam(ps, { lr: 0.01 }), adamRule(0.01, [0.9, 0.999], 1e-8, 0, false, false)],
    ["Adam weight decay + amsgrad", (ps) => new Adam(ps, { lr: 0.02, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1, amsgrad: true }), adamRule(0.02, [0.8, 0.99], 1e-6, 0.1, true, false)],
    ["AdamW (default weight decay 1e-2)", (ps) => new AdamW(ps, { lr: 0.01 }), adamRule(0.01, [0.9, 0.999], 1e-8, 1e-2, false, true)],
  ];
  for (const [name, make, rule] of cases) {
    test(name, () => {
      const actual = runOptimizer(make, initial, shapes, grads);
      const expected = runRule(rule, initial, grads);
      actual.forEach((p, i) => assertClose(p, expected[i], { atol: 1e-15, rtol: 1e-13, label: `param ${i}` }));
    });
  }

  test("the rule runners can tell the variants apart", () => {
    const plain = runRule(sgdRule(0.05, 0.9), initial, grads);
    const nesterov = runRule(sgdRule(0.05, 0.9, 0, true), initial, grads);
    expect(plain[0]).not.toEqual(nesterov[0]);
  });
});

describe("Optimizer behaviour", () => {
  test("parameters without a gradient are skipped and keep no state; zeroGrad clears gradients", () => {
    const a = tensor([1, 2], { requiresGrad: true, dtype: "float64" });
    const b = tensor([3, 4], { requiresGrad: true, dtype: "float64" });
    const opt = new Adam([a, b], { lr: 0.1 });
    a.grad = tensor([1, -1], { dtype: "float64" });
    opt.step();
    expect(Array.from(b.data())).toEqual([3, 4]);
    // Adam's first step moves each coordinate by lr * sign(g) (up to eps).
    assertClose(a.data(), [0.9, 2.1], { atol: 1e-8, rtol: 0, label: "a" });
    const { state } = opt.stateDict();
    expect(Object.keys(state)).toEqual(["0"]);
    expect(state[0].step).toBe(1);
    opt.zeroGrad();
    expect(a.grad).toBeUndefined();
  });

  test("parameter groups override the defaults", () => {
    const a = tensor([1], { requiresGrad: true, dtype: "float64" });
    const b = tensor([1], { requiresGrad: true, dtype: "float64" });
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    a.grad = tensor([1], { dtype: "float64" });
    b.grad = tensor([1], { dtype: "float64" });
    opt.step();
    expect([a.item(), b.item()]).toEqual([0.9, 0.5]);
    expect(opt.stateDict().paramGroups.map((g) => [g.lr, g.params])).toEqual([[0.1, [0]], [0.5, [1]]]);
  });

  test("a parameter updated with backward() and a real loss goes downhill", () => {
    const w = tensor([3, -2], { requiresGrad: true, dtype: "float64" });
    const opt = new SGD([w], { lr: 0.1, momentum: 0.5 });
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      opt.zeroGrad();
      const loss = w.mul(w).sum();
      loss.backward();
      losses.push(loss.item());
      opt.step();
    }
    expect(losses[29]).toBeLessThan(1e-4 * losses[0]);
  });

  test("stateDict is a snapshot, and loading it resumes bit for bit", () => {
    const make = (ps: Tensor[]) => new Adam(ps, { lr: 0.05, amsgrad: true });
    const full = runOptimizer(make, initial, shapes, grads);

    const params = initial.map((v, i) => tensor(v, { shape: shapes[i], requiresGrad: true }));
    const first = make(params);
    const feed = (opt: Optimizer<any>, stepGrads: Float64Array[]) => {
      params.forEach((p, i) => {
        p.grad = tensor(stepGrads[i], { shape: shapes[i] });
      });
      opt.step();
    };
    grads.slice(0, 3).forEach((g) => feed(first, g));
    const snapshot = first.stateDict();
    const saved = Array.from(snapshot.state[0].buffers.exp_avg.data());
    feed(first, grads[3]); // must not change the snapshot
    expect(Array.from(snapshot.state[0].buffers.exp_avg.data())).toEqual(saved);

    // Rewind the parameters, then continue with a fresh optimizer from the snapshot.
    const rewound = runOptimizer(make, initial, shapes, grads.slice(0, 3));
    params.forEach((p, i) => p.assign(Float64Array.from(rewound[i])));
    const second = make(params);
    second.loadStateDict(snapshot);
    grads.slice(3).forEach((g) => feed(second, g));
    params.forEach((p, i) => expect(Array.from(p.data())).toEqual(full[i]));
  });

  test("loadStateDict restores hyperparameters", () => {
    const p = tensor([1], { requiresGrad: true });
    const source = new SGD([p], { lr: 0.3, momentum: 0.7 });
    const target = new SGD([tensor([1], { requiresGrad: true })], { lr: 0.1 });
    target.loadStateDict(source.stateDict());
    expect(target.paramGroups[0].lr).toBe(0.3);
    expect(target.paramGroups[0].momentum).toBe(0.7);
    // Options a state dict leaves out keep their current values.
    const partial = source.stateDict();
    delete partial.paramGroups[0].momentum;
    partial.paramGroups[0].lr = 0.2;
    target.paramGroups[0].momentum = 0.5;
    target.loadStateDict(partial);
    expect([target.paramGroups[0].lr, target.paramGroups[0].momentum]).toEqual([0.2, 0.5]);
  });

  test("float32 parameters get float32 state and stay float32", () => {
    const p = tensor([1, 2, 3], { requiresGrad: true });
    const opt = new Adam([p]);
    p.grad = tensor([0.1, 0.2, 0.3]);
    opt.step();
    expect(p.data()).toBeInstanceOf(Float32Array);
    expect(opt.stateDict().state[0].buffers.exp_avg_sq.dtype).toBe("float32");
  });
});

describe("clipGradNorm", () => {
  const withGrad = (values: number[]) => {
    const p = tensor(values.map(() => 0), { requiresGrad: true, dtype: "float64" });
    p.grad = tensor(values, { dtype: "float64" });
    return p;
  };

  test("2-norm over all gradients together; scales by maxNorm / (norm + 1e-6) when above", () => {
    const ps = [withGrad([3, 0]), withGrad([4]), tensor([1], { requiresGrad: true })]; // the last has no grad
    const total = clipGradNorm(ps, 1);
    expect(total).toBe(5);
    const coefficient = 1 / (5 + 1e-6);
    assertClose(ps[0].grad!.data(), [3 * coefficient, 0], { ...EXACT, label: "p0" });
    assertClose(ps[1].grad!.data(), [4 * coefficient], { ...EXACT, label: "p1" });
  });

  test("below the limit nothing changes", () => {
    const p = withGrad([0.3, -0.4]);
    expect(clipGradNorm([p], 1)).toBeCloseTo(0.5, 15);
    expect(Array.from(p.grad!.data())).toEqual([0.3, -0.4]);
  });

  test("other norms: 1, 3 and infinity", () => {
    const grads = [[1, -2], [3]];
    expect(clipGradNorm(grads.map(withGrad), 100, 1)).toBe(6);
    assertClose(clipGradNorm(grads.map(withGrad), 100, 3), Math.cbrt(1 + 8 + 27), { atol: 0, rtol: 1e-14 });
    const ps = grads.map(withGrad);
    expect(clipGradNorm(ps, 1.5, Infinity)).toBe(3);
    assertClose(ps[1].grad!.data(), [(3 * 1.5) / (3 + 1e-6)], { ...EXACT, label: "scaled" });
  });

  test("a NaN gradient makes the norm NaN and every gradient NaN, as in PyTorch", () => {
    const ps = [withGrad([NaN, 1]), withGrad([2])];
    expect(clipGradNorm(ps, 1)).toBeNaN();
    expect(Array.from(ps[1].grad!.data())).toEqual([NaN]);
  });
});
