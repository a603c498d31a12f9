/**
 * The engine around the ops: laziness and interning, evaluation of long chains and its memory,
 * higher-order gradients, backward/noGrad/valueAndGrad, user-registered ops, JSON round trips,
 * anomaly detection and the error messages users see.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import {
  AnomalyError,
  apply,
  builtinOps,
  concat,
  evaluate,
  evaluationStats,
  fromJSON,
  gather,
  Generator,
  grad,
  matmul,
  noGrad,
  ones,
  type OpDef,
  placeholder,
  randn,
  registerOp,
  setAnomalyDetection,
  square,
  sum,
  type Tensor,
  tensor,
  toJSON,
  topologicalOrder,
  valueAndGrad,
  withScope,
  zeroGrad,
} from "@gradgraph/core";
import { assertClose, checkGrad, checkGradGrad } from "@gradgraph/core/testing";

const f64 = (values: number[] | number[][], options: { shape?: number[]; requiresGrad?: boolean } = {}) =>
  tensor(values, { dtype: "float64", ...options });

function kernelsRun(fn: () => unknown): number {
  const before = evaluationStats.kernelInvocations;
  fn();
  return evaluationStats.kernelInvocations - before;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error, but none was thrown");
}

describe("laziness", () => {
  it("building ops runs no kernel", () => {
    const x = f64([1, 2, 3]);
    expect(kernelsRun(() => x.exp().mul(2).sum().add(x.tanh().max()).reshape(1, 1))).toBe(0);
  });

  it("evaluating runs exactly the kernels of the needed subgraph, once", () => {
    const x = f64([0.5, -1, 2]);
    const shared = x.exp();
    const needed = shared.mul(2);
    const unrelated = shared.tanh().sum();
    expect(kernelsRun(() => needed.data())).toBe(2); // exp, mul
    expect(unrelated.cachedValue).toBeUndefined();
    assertClose(needed, [0.5, -1, 2].map((v) => 2 * Math.exp(v)));
    expect(kernelsRun(() => needed.data())).toBe(0);
    expect(kernelsRun(() => needed.add(1).data())).toBe(1); // starts from the cached value
    expect(kernelsRun(() => unrelated.data())).toBe(3); // exp again (intermediates are not kept), tanh, sum
  });

  it("a value is fixed when its tensor is built: assigning a leaf changes only tensors built after, and drops no cached value", () => {
    const x = f64([1, 2]);
    const y = f64([3, 4]);
    const fromX = x.mul(2);
    const fromY = y.mul(3);
    const pending = x.add(y);
    evaluate([fromX, fromY]);
    x.assign([5, 6]);
    expect(kernelsRun(() => expect(Array.from(fromX.data())).toEqual([2, 4]))).toBe(0);
    expect(kernelsRun(() => expect(Array.from(fromY.data())).toEqual([9, 12]))).toBe(0);
    // Built before the assign, evaluated after: still the old x, as PyTorch would have computed it then.
    expect(Array.from(pending.data())).toEqual([4, 6]);
    const rebuilt = x.mul(2);
    expect(rebuilt).not.toBe(fromX);
    expect(Array.from(rebuilt.data())).toEqual([10, 12]);
  });

  it("data() is a copy: writing to it changes no tensor and no cached value", () => {
    const x = f64([1, 2]);
    const doubled = x.mul(2);
    evaluate([doubled]);
    x.data()[0] = 100;
    const values = doubled.data();
    values[1] = -1;
    expect(Array.from(x.data())).toEqual([1, 2]);
    expect(Array.from(doubled.data())).toEqual([2, 4]);
    expect(Array.from(x.add(1).data())).toEqual([2, 3]);
    expect(doubled.unsafeData()).toBe(doubled.unsafeData());
  });
});

describe("interning", () => {
  it("the same op, inputs and attrs give the same node", () => {
    const x = f64([1, 2, 3, 4], { shape: [2, 2] });
    const y = f64([5, 6, 7, 8], { shape: [2, 2] });
    expect(x.add(y)).toBe(x.add(y));
    expect(x.add(y)).not.toBe(y.add(x));
    expect(x.sum(0)).toBe(x.sum(0));
    expect(x.sum(0)).not.toBe(x.sum(1));
    expect(x.sum(0, true)).not.toBe(x.sum(0));
    // Attribute order in the object literal does not change identity.
    expect(apply(builtinOps.transpose, [x], { dim0: 0, dim1: 1 })).toBe(apply(builtinOps.transpose, [x], { dim1: 1, dim0: 0 }));
  });

  it("a shared subexpression built twice is computed once", () => {
    const x = f64([0.1, 0.2]);
    const y = f64([0.3, 0.4]);
    const twice = x.mul(y).exp().add(x.mul(y).exp());
    expect(kernelsRun(() => twice.data())).toBe(3); // mul, exp, add
    assertClose(twice, [0.03, 0.08].map((v) => 2 * Math.exp(v)), { rtol: 1e-15 });
  });

  it("nodes built under noGrad are not shared with nodes that require grad", () => {
    const x = f64([1, 2], { requiresGrad: true });
    const frozen = noGrad(() => x.mul(2));
    const live = x.mul(2);
    expect(frozen.requiresGrad).toBe(false);
    expect(live.requiresGrad).toBe(true);
    expect(live).not.toBe(frozen);
  });
});

describe("long graphs and memory", () => {
  it("a chain of 100,000 nodes evaluates and differentiates without overflowing the stack", () => {
    const steps = 50_000; // two nodes per step
    const rate = 1 + 1e-6;
    const shift = 1e-6;
    const start = [0.5, -2];
    const x = f64(start);
    let y = x;
    for (let i = 0; i < steps; i++) y = y.mul(rate).add(shift);
    expect(topologicalOrder([y]).length).toBeGreaterThan(100_000);
    const [dx] = grad(y.sum(), [x]);
    const [value, gradient] = evaluate([y, dx]);
    // y = x r^n + s (r^n - 1) / (r - 1), so dy/dx = r^n.
    const growth = rate ** steps;
    assertClose(value, start.map((v) => v * growth + (shift * (growth - 1)) / (rate - 1)), { rtol: 1e-9 });
    assertClose(gradient, [growth, growth], { rtol: 1e-9 });
  });

  it("toArray nests any rank without recursion, and tensor() takes its result back", () => {
    const deep = tensor([5], { shape: new Array(20_000).fill(1) });
    let value: unknown = deep.toArray();
    let depth = 0;
    for (; Array.isArray(value); value = value[0]) depth++;
    expect([depth, value]).toEqual([20_000, 5]);
    for (const shape of [[2, 3], [3, 1, 2], [2, 0], [0, 2], [2, 0, 3], [1, 1, 1], [4]]) {
      const size = shape.reduce((n, d) => n * d, 1);
      const x = tensor(Array.from({ length: size }, (_, i) => i + 1), { shape });
      const back = tensor(x.toArray() as number[][]);
      if (size > 0) expect(back.shape).toEqual(shape);
      expect(Array.from(back.data())).toEqual(Array.from(x.data()));
    }
  });

  it("keeps only the requested values: intermediates are dropped as soon as their last consumer ran", () => {
    v8.setFlagsFromString("--expose-gc");
    const collectGarbage = vm.runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;
    const bytes = 8 * 1_000_000;
    let peak = 0;
    // An identity whose kernel measures the memory held by typed arrays while the chain runs.
    const probe = registerOp({
      name: "engineTest.memoryProbe",
      arity: 1,
      infer: ([x]) => x,
      kernel: ([x]) => {
        collectGarbage({ type: "minor" });
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        return x.data;
      },
      vjp: "nondifferentiable",
    });
    const x = tensor(new Float64Array(1_000_000).fill(1));
    const chain: Tensor[] = [];
    let y = x;
    for (let i = 0; i < 16; i++) {
      y = apply(probe, [y.mul(1.5)]);
      chain.push(y);
    }
    collectGarbage();
    const baseline = process.memoryUsage().arrayBuffers;
    expect(y.data()[0]).toBe(1.5 ** 16);
    // Live at any time: the input being read and the output being written, plus whatever a minor GC
    // left behind; keeping every intermediate would hold 16 buffers.
    expect(peak - baseline).toBeLessThan(6 * bytes);
    expect(chain.slice(0, -1).every((node) => node.cachedValue === undefined)).toBe(true);
    expect(y.cachedValue).toBeDefined();
  });
});

describe("higher-order gradients", () => {
  const points = [-1.5, -0.3, 0, 0.7, 2];

  it("tanh'' matches -2 tanh (1 - tanh²)", () => {
    const x = f64(points);
    const [first] = grad(x.tanh().sum(), [x]);
    const [second] = grad(first.sum(), [x]);
    const t = points.map(Math.tanh);
    assertClose(first, t.map((v) => 1 - v * v), { atol: 1e-15 });
    assertClose(second, t.map((v) => -2 * v * (1 - v * v)), { atol: 1e-15 });
  });

  it("the derivatives of x*x*x are 3x², 6x and 6", () => {
    const x = f64(points);
    const [first] = grad(x.mul(x).mul(x).sum(), [x]);
    const [second] = grad(first.sum(), [x]);
    const [third] = grad(second.sum(), [x]);
    assertClose(first, points.map((v) => 3 * v * v), { atol: 1e-15 });
    assertClose(second, points.map((v) => 6 * v), { atol: 1e-15 });
    assertClose(third, points.map(() => 6), { atol: 1e-15 });
  });

  it("the Hessian-vector product of a 2-layer MLP loss matches finite differences of its gradient", () => {
    const generator = new Generator(7);
    const normal = (shape: number[]) => randn(shape, { dtype: "float64", generator });
    const inputs = normal([4, 3]);
    const targets = normal([4, 2]);
    const shapes = [[3, 5], [5], [5, 2], [2]];
    const params = shapes.map(normal);
    const direction = shapes.map(normal);
    const gradientAt = (ps: Tensor[]) => {
      const [w1, b1, w2, b2] = ps;
      const loss = square(inputs.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sub(targets)).mean();
      return { ps, grads: grad(loss, ps) };
    };

    const { ps, grads } = gradientAt(params);
    const directional = grads.map((g, i) => g.mul(direction[i]).sum()).reduce((a, b) => a.add(b));
    const hvp = evaluate(grad(directional, ps));

    const eps = 1e-5;
    const shifted = (sign: number) =>
      evaluate(gradientAt(params.map((p, i) => f64(Array.from(p.data(), (v, j) => v + sign * eps * direction[i].data()[j]), { shape: [...p.shape] }))).grads);
    const [plus, minus] = [shifted(1), shifted(-1)];
    hvp.forEach((h, i) => {
      const numeric = Array.from(h, (_, j) => (plus[i][j] - minus[i][j]) / (2 * eps));
      assertClose({ shape: shapes[i], data: h }, { shape: shapes[i], data: numeric }, { atol: 1e-8, rtol: 1e-6, label: `parameter ${i}` });
    });
  });
});

describe("backward, noGrad and valueAndGrad", () => {
  it("backward() accumulates into .grad across calls, and zeroGrad clears it", () => {
    const x = f64([1, -2, 3], { requiresGrad: true });
    const constant = f64([4, 5, 6]);
    x.mul(x).mul(constant).sum().backward();
    expect(Array.from(x.grad!.data())).toEqual([8, -20, 36]);
    x.mul(x).mul(constant).sum().backward();
    expect(Array.from(x.grad!.data())).toEqual([16, -40, 72]);
    expect(constant.grad).toBeUndefined();
    zeroGrad([x]);
    expect(x.grad).toBeUndefined();
  });

  it("a value used several times receives the sum of all contributions", () => {
    const values = [0.5, -1];
    const x = f64(values, { requiresGrad: true });
    const hidden = x.mul(3);
    hidden.add(hidden.exp()).add(x.tanh()).sum().backward();
    assertClose(x.grad!, values.map((v) => 3 + 3 * Math.exp(3 * v) + 1 - Math.tanh(v) ** 2), { atol: 1e-14 });
  });

  it("noGrad builds nodes that do not require grad, so backward refuses them", () => {
    const x = f64([1, 2], { requiresGrad: true });
    const y = noGrad(() => x.mul(2).sum());
    expect(y.requiresGrad).toBe(false);
    expect(() => y.backward()).toThrow(/does not require grad/);
    expect(y.item()).toBe(6);
  });

  it("valueAndGrad returns the value and the gradient for every argument", () => {
    const a = f64([1, 2, 3]);
    const b = f64([4, -5, 6]);
    const [value, [da, db]] = valueAndGrad((p: Tensor, q: Tensor) => p.mul(q).sum())(a, b);
    expect(value.item()).toBe(4 - 10 + 18);
    expect(Array.from(da.data())).toEqual([4, -5, 6]);
    expect(Array.from(db.data())).toEqual([1, 2, 3]);
  });

  it("gradients of broadcast operands are summed back to the operands' shapes", () => {
    const a = f64([1, 2, 3, 4, 5, 6], { shape: [2, 1, 3] });
    const b = f64([1, 10, 100, 1000], { shape: [4, 1] });
    const [da, db] = grad(a.mul(b).sum(), [a, b]);
    expect(da.shape).toEqual([2, 1, 3]);
    expect(db.shape).toEqual([4, 1]);
    // Each a[i,0,k] meets every b[j,0]; each b[j,0] meets every a element.
    expect(Array.from(da.data())).toEqual(new Array(6).fill(1111));
    expect(Array.from(db.data())).toEqual(new Array(4).fill(21));
    // Batched matmul against a shared matrix, the case TensorFlow.js got wrong for years.
    const generator = new Generator(3);
    checkGrad((p, q) => matmul(p, q), [randn([2, 3, 4], { dtype: "float64", generator }), randn([4, 2], { dtype: "float64", generator })]);
    checkGrad((p, q) => p.div(q), [randn([3, 1, 2], { dtype: "float64", generator }), f64([2, -3], { shape: [2] })]);
  });
});

describe("a user-registered op", () => {
  // softplus(x) = log(1 + e^x), computed stably; its VJP g·sigmoid(x) is built from registered ops,
  // so it can be differentiated again.
  const softplusDef: OpDef = {
    name: "userSoftplus",
    arity: 1,
    infer: ([x]) => x,
    kernel: ([x], _attrs, out) => {
      const result = out.dtype === "float32" ? new Float32Array(x.data.length) : new Float64Array(x.data.length);
      x.data.forEach((v, i) => (result[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))));
      return result;
    },
    vjp: (g, { inputs: [x] }) => [g.mul(x.sigmoid())],
  };
  const softplusOp = registerOp(softplusDef);
  const softplus = (x: Tensor) => apply(softplusOp, [x]);
  const points = [-3, -0.5, 0, 0.25, 4];

  it("computes its values and works with backward like a built-in", () => {
    const x = f64(points, { requiresGrad: true });
    assertClose(softplus(x), points.map((v) => Math.log(1 + Math.exp(v))), { rtol: 1e-15 });
    softplus(x).sum().backward();
    assertClose(x.grad!, points.map((v) => 1 / (1 + Math.exp(-v))), { rtol: 1e-15 });
  });

  it("has first and second order gradients that match finite differences", () => {
    const x = f64(points, { shape: [5] });
    checkGrad(softplus, [x]);
    checkGradGrad(softplus, [x]);
    checkGradGrad((v: Tensor) => softplus(v.mul(v)).sum(), [x]);
  });

  it("round-trips through JSON", () => {
    const x = f64(points, { shape: [5] });
    const y = withScope("head", () => softplus(x.mul(2)).sum());
    const text = JSON.stringify(toJSON([y]));
    const restored = fromJSON(JSON.parse(text)).outputs;
    expect(JSON.stringify(toJSON(restored))).toBe(text);
    expect(restored[0]).not.toBe(y);
    expect(restored[0].item()).toBe(y.item());
  });

  it("cannot be registered twice, nor can a built-in name be taken", () => {
    expect(() => registerOp(softplusDef)).toThrow("registerOp: an op named 'userSoftplus' is already registered");
    expect(() => registerOp({ ...softplusDef, name: "add" })).toThrow(/'add' is already registered/);
  });
});

describe("JSON round trip", () => {
  it("keeps constants (NaN, ±Infinity, -0) in every dtype, attrs, names and scopes exactly", () => {
    const special = tensor([NaN, Infinity, -Infinity, -0, 1.5, 1e-300], { dtype: "float64", name: "special" });
    const weights = tensor([[0.1, -2.5], [3, 4]], { dtype: "float32", name: "weights" });
    const index = tensor([[1, 0], [0, 1]], { dtype: "int32", name: "index" });
    const outputs = withScope("layer", () => [
      gather(weights, 1, index).transpose(0, 1).sum(0, true),
      withScope("inner", () => special.mul(2).max()),
    ]);
    const original = toJSON(outputs);
    const text = JSON.stringify(original);
    const restored = fromJSON(JSON.parse(text));
    expect(JSON.stringify(toJSON(restored.outputs))).toBe(text);

    const before = topologicalOrder(outputs);
    expect(restored.nodes).toHaveLength(before.length);
    restored.nodes.forEach((node, i) => {
      const was = before[i];
      expect([node.op, node.dtype, node.scope, node.name, node.shape, node.attrs]).toEqual([was.op, was.dtype, was.scope, was.name, was.shape, was.attrs]);
      const [now, then] = [Array.from(node.data()), Array.from(was.data())];
      expect(now.every((v, j) => Object.is(v, then[j]))).toBe(true);
    });
    expect(restored.outputs[1].scope).toBe("layer.inner");
    expect(Object.is(restored.nodes.find((n) => n.name === "special")!.data()[3], -0)).toBe(true);
    expect(Number.isNaN(restored.outputs[1].item())).toBe(true);
    // gather picks [[-2.5, 0.1], [3, 4]]; the transposed column sums are -2.5 + 0.1 and 3 + 4, in float32.
    expect(Array.from(restored.outputs[0].data())).toEqual([Math.fround(-2.5 + Math.fround(0.1)), 7]);
  });
});

describe("anomaly detection", () => {
  it("names the op and the scope that produced NaN", () => {
    const x = f64([1, -1]);
    const y = withScope("layer", () => x.log()).sum();
    setAnomalyDetection(true);
    try {
      const error = (() => {
        try {
          y.data();
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(AnomalyError);
      expect((error as Error).message).toMatch(/^anomaly: op 'log' in 'layer' produced NaN/);
    } finally {
      setAnomalyDetection(false);
    }
    expect(Number.isNaN(y.item())).toBe(true);
  });
});

describe("errors", () => {
  it("matmul prints both shapes", () => {
    expect(messageOf(() => matmul(ones([1, 5]), ones([2, 5])))).toBe("matmul: shapes cannot be multiplied (1x5 and 2x5)");
  });

  it("broadcasting names the dimension and both sizes", () => {
    expect(messageOf(() => ones([2, 3]).add(ones([4, 3])))).toMatch(/size of tensor a \(2\) must match the size of tensor b \(4\) at non-singleton dimension 0/);
    expect(messageOf(() => ones([5, 2]).mul(ones([3, 5, 4])))).toMatch(/\(2\) must match .* \(4\) at non-singleton dimension 2/);
  });

  it("reshape, permute, expand and concat say what is wrong", () => {
    const x = ones([2, 3]);
    expect(messageOf(() => x.reshape(4))).toBe("reshape: shape [4] is invalid for input of size 6");
    expect(messageOf(() => x.reshape(-1, -1))).toMatch(/only one dimension can be inferred/);
    expect(messageOf(() => x.permute(0))).toMatch(/^permute: number of dims don't match/);
    expect(messageOf(() => x.permute(1, 1))).toMatch(/^permute: duplicate dims are not allowed/);
    expect(messageOf(() => x.expand(4, 3))).toMatch(/^expand: the expanded size of the tensor \(4\) must match the existing size \(2\) at non-singleton dimension 0/);
    expect(messageOf(() => concat([x, ones([3])]))).toMatch(/^concat: tensors must have the same number of dimensions/);
    expect(messageOf(() => concat([x, ones([3, 3])], 1))).toMatch(/^concat: sizes of tensors must match except in dimension 1. Expected size 2 but got size 3/);
  });

  it("gather checks the index dtype when built and the index values when run", () => {
    const x = ones([2, 3]);
    expect(messageOf(() => gather(x, 1, ones([2, 1])))).toBe("gather: index must be an int32 tensor, got float32");
    const outOfRange = gather(x, 1, tensor([[5], [0]], { dtype: "int32" }));
    expect(messageOf(() => outOfRange.data())).toBe("gather: index 5 is out of bounds for dimension 1 with size 3");
  });

  it("a placeholder needs a value before anything depending on it is evaluated", () => {
    const input = placeholder([2], "float32", "input");
    const y = input.add(1);
    expect(messageOf(() => y.data())).toMatch(/^placeholder 'input' \[2\] float32 has no value/);
    input.assign([1, 2]);
    expect(Array.from(y.data())).toEqual([2, 3]);
  });

  it("grad of a non-scalar output needs gradOutput", () => {
    const x = f64([1, 2]);
    expect(messageOf(() => grad(x.mul(2), [x]))).toMatch(/grad can be implicitly created only for scalar outputs; output has shape \[2\]/);
  });

  it("a VJP returning the wrong shape is caught, naming the op", () => {
    const badVjp = registerOp({
      name: "engineTest.badVjp",
      arity: 1,
      infer: ([x]) => x,
      kernel: ([x]) => x.data,
      vjp: (g) => [sum(g)],
    });
    const x = f64([1, 2, 3, 4], { shape: [2, 2] });
    expect(messageOf(() => grad(square(apply(badVjp, [x])).sum(), [x]))).toBe(
      "grad: the gradient of 'engineTest.badVjp' for input 0 has float64 [], but the input is float64 [2, 2]",
    );
  });
});

describe("integer results", () => {
  it("never require gradients, as in PyTorch (a cast to int32, a comparison's int32 operands)", () => {
    const x = tensor([1.5, -2.5], { requiresGrad: true });
    expect(x.cast("int32").requiresGrad).toBe(false);
    expect(x.cast("int32")).toBe(x.cast("int32"));
    expect(x.cast("int32").cast("float32").requiresGrad).toBe(false);
    expect(x.mul(2).requiresGrad).toBe(true);
  });
});
