/**
 * Forward mode by per-op rules, vmap by per-op batching rules, customJvp, and the testing kit's
 * checkJvp / checkVmap. Expected values come from an explicit loop over the samples, by hand, or
 * from reverse mode (a different walk over different rules).
 */
import { describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import { evaluate, func, grad, registerOp, stack, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";
import { assertClose, checkJvp, checkVmap, JvpCheckError } from "@gradgraph/core/testing";

const f64 = (values: number[], shape = [values.length]) => tensor(values, { shape, dtype: "float64" });
const values = (t: Tensor) => Array.from(evaluate([t])[0]);
const ops = (roots: Tensor[]) => topologicalOrder(roots).map((n) => n.op);
const seq = (n: number, scale = 1, offset = 0) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + offset) * scale);

describe("func.jvp by the ops' forward rules", () => {
  it("pushes tangents in one forward pass: no stand-in cotangent, no reverse pass", () => {
    const fn = (x: Tensor, w: Tensor) => F.tanh(F.matmul(w, F.sum(F.reshape(F.exp(x), [3, 2]), 1)));
    const [x, w] = [f64(seq(6)), f64(seq(6, 1, 2), [2, 3])];
    const { tangents } = func.jvp(fn, [x, w], [f64(seq(6, 1, 4)), f64(seq(6, 1, 5), [2, 3])]);
    expect(ops([tangents as Tensor])).not.toContain("standIn");
    // J·t against reverse mode: ⟨J·t, u⟩ = ⟨t, Jᵀ·u⟩ for the one-hot u of each output element.
    const t = [f64(seq(6, 1, 4)), f64(seq(6, 1, 5), [2, 3])];
    const jt = values(tangents as Tensor);
    for (const k of [0, 1]) {
      const u = f64(k === 0 ? [1, 0] : [0, 1]);
      const [gx, gw] = grad(fn(x, w), [x, w], u).map(values);
      const inner = gx.reduce((s, g, i) => s + g * values(t[0])[i], 0) + gw.reduce((s, g, i) => s + g * values(t[1])[i], 0);
      expect(jt[k]).toBeCloseTo(inner, 12);
    }
  });

  it("an op without a forward rule (a user's) gets J·t from its VJP transposed", () => {
    const cubeOp = registerOp({
      name: "test.cubeNoJvp",
      arity: 1,
      infer: ([x]) => x,
      kernel: ([x]) => x.data.map((v) => v * v * v),
      vjp: (g, { inputs: [x] }) => [F.mul(g, F.mul(F.mul(x, x), 3))],
    });
    const cube = (x: Tensor) => F.apply(cubeOp, [x]);
    const { tangents } = func.jvp(cube, [f64([1, 2])], [f64([1, -1])]);
    expect(values(tangents as Tensor)).toEqual([3, -12]);
    checkJvp(cube, [f64([0.5, -1.5])]);
  });

  it("linearize builds the tangent graph once and substitutes each tangent", () => {
    const { jvp } = func.linearize((x: Tensor) => F.mul(F.sin(x), x), f64([0, 1]));
    // d(x sin x) = (sin x + x cos x)·t.
    expect(values(jvp(f64([1, 1])) as Tensor)).toEqual([0, Math.sin(1) + Math.cos(1)]);
    expect(values(jvp(f64([2, 0])) as Tensor)).toEqual([0, 0]);
  });

  it("hessian is forward over reverse and equals reverse over reverse", () => {
    const fn = (x: Tensor) => F.sum(F.mul(F.exp(F.mul(x, 0.5)), F.sin(x)));
    const x = f64([0.3, -0.7, 1.1]);
    const forwardOverReverse = values(func.hessian(fn)(x) as Tensor);
    const reverseOverReverse = values(func.jacrev(func.grad(fn) as (x: Tensor) => Tensor)(x) as Tensor);
    assertClose(forwardOverReverse, reverseOverReverse, { atol: 1e-12, rtol: 1e-12 });
  });
});

describe("func.customJvp", () => {
  // log(1 + eˣ) with the stable tangent sigmoid(x)·t: its naive derivative eˣ / (1 + eˣ) is NaN at x = 800.
  const softplus = func.customJvp(
    (x: Tensor) => F.log(F.add(F.exp(x), 1)),
    ([t], { inputs: [x] }) => (t === null ? null : F.mul(F.sigmoid(x), t)),
    { name: "test.stableSoftplus" },
  );

  it("forward mode uses the rule, reverse mode its transpose", () => {
    const x = f64([800, 0]);
    const { tangents } = func.jvp(softplus, [x], [f64([1, 2])]);
    expect(values(tangents as Tensor)).toEqual([1, 1]);
    expect(values(grad(F.sum(softplus(x)), [x])[0])).toEqual([1, 0.5]);
    const naive = (y: Tensor) => F.log(F.add(F.exp(y), 1));
    expect(values(grad(F.sum(naive(x)), [x])[0])[0]).toBeNaN();
  });

  it("refuses a tangent of the wrong shape and a name taken, naming the rule", () => {
    const wrong = func.customJvp((x: Tensor) => x, () => f64([1, 2, 3]), { name: "test.wrongTangent" });
    expect(() => func.jvp(wrong, [f64([1])], [f64([1])])).toThrow(/the custom tangent 'test.wrongTangent' has float64 \[3\], but the output is float64 \[1\]/);
    expect(() => func.customJvp((x: Tensor) => x, () => null, { name: "test.stableSoftplus" })).toThrow(
      /func\.customJvp: an op named 'customJvp.test.stableSoftplus' is already registered/,
    );
  });
});

describe("func.vmap", () => {
  const batch = f64(seq(12), [3, 4]);

  it("equals a loop over the samples, and is one graph of batched ops", () => {
    const w = f64(seq(8, 1, 1), [4, 2]);
    const fn = (x: Tensor) => F.softmax(F.matmul(x, w), 0);
    const mapped = func.vmap(fn)(batch) as Tensor;
    const loop = stack([0, 1, 2].map((b) => fn(batch.select(0, b))), 0);
    assertClose(mapped, loop, { atol: 1e-15, rtol: 1e-15 });
    expect(ops([mapped])).not.toContain("vmapSample");
  });

  it("takes inDims and outDims, null for an unbatched argument, negative dims from the end", () => {
    const y = f64(seq(4, 1, 3));
    const mapped = func.vmap((a: Tensor, b: Tensor) => F.mul(a, b), { inDims: [-1, null], outDims: 1 })(F.transpose(batch, 0, 1), y) as Tensor;
    expect(mapped.shape).toEqual([4, 3]);
    assertClose(mapped, F.transpose(F.mul(batch, y), 0, 1));
  });

  it("nests: vmap of vmap is the two loops", () => {
    const cube = f64(seq(24), [2, 3, 4]);
    const mapped = func.vmap(func.vmap((x: Tensor) => F.sum(F.mul(x, x)), { inDims: 0 }), { inDims: 1 })(cube) as Tensor;
    expect(mapped.shape).toEqual([3, 2]);
    const expected = [0, 1, 2].map((j) => [0, 1].map((i) => values(cube.select(1, j).select(0, i)).reduce((s, v) => s + v * v, 0)));
    assertClose(mapped, expected, { rtol: 1e-14 });
  });

  it("composes with grad: per-sample gradients of a model's loss", () => {
    const w = f64(seq(8, 0.5, 1), [4, 2]);
    const targets = f64(seq(6, 1, 2), [3, 2]);
    const loss = (weight: Tensor, x: Tensor, target: Tensor) => F.sum(F.square(F.sub(F.tanh(F.matmul(x, weight)), target)));
    const perSample = func.vmap(func.grad(loss) as (...a: Tensor[]) => Tensor, { inDims: [null, 0, 0] })(w, batch, targets) as Tensor;
    expect(perSample.shape).toEqual([3, 4, 2]);
    const loop = stack([0, 1, 2].map((b) => grad(loss(w, batch.select(0, b), targets.select(0, b)), [w])[0]), 0);
    assertClose(perSample, loop, { atol: 1e-14, rtol: 1e-14 });
  });

  it("gives an unbatched output to every sample", () => {
    const mapped = func.vmap((x: Tensor, c: Tensor) => [F.neg(x), F.exp(c)], { inDims: [0, null] })(batch, f64([0])) as Tensor[];
    expect(mapped[1].shape).toEqual([3, 1]);
    expect(values(mapped[1])).toEqual([1, 1, 1]);
  });

  it("errors name vmap and what came", () => {
    const id = (x: Tensor) => x;
    expect(() => func.vmap(id, { inDims: null })(batch)).toThrow(/func\.vmap: no argument is batched/);
    expect(() => func.vmap((a: Tensor, b: Tensor) => F.add(a, b))(batch, f64([1, 2]))).toThrow(
      /func\.vmap: batched arguments must have one size along their inDims: argument 0 has 3, argument 1 has 2/,
    );
    expect(() => func.vmap(id, { inDims: 2 })(batch)).toThrow(/func\.vmap: inDims\[0\] is 2, out of range for a tensor of 2 dims/);
    expect(() => func.vmap(id, { inDims: [0, 0] })(batch)).toThrow(/func\.vmap: inDims has 2 entries, but there are 1/);
    expect(() => func.vmap(id, { inDims: "0" as never })(batch)).toThrow(/func\.vmap: inDims\[0\] must be an integer or null, got "0"/);
    expect(() => func.vmap(() => 3 as never)(batch)).toThrow(/func\.vmap: fn must return a Tensor or a non-empty array of Tensors, got 3/);
    expect(() => func.vmap((x: Tensor) => (x.item() > 0 ? x : F.neg(x)))(f64([1, 2]))).toThrow(/fn read the value of a batched argument/);
  });
});

describe("the testing kit's checkJvp and checkVmap", () => {
  it("checkJvp catches a wrong forward rule and passes the right one", () => {
    const base = {
      arity: 1,
      infer: ([x]: readonly F.TensorMeta[]) => x,
      kernel: ([x]: readonly F.Value[]) => x.data.map((v) => Math.sin(v)),
      vjp: (g: Tensor, { inputs: [x] }: { inputs: readonly Tensor[] }) => [F.mul(g, F.cos(x))],
    };
    const right = registerOp({ ...base, name: "test.sinRightJvp", jvp: ([t], { inputs: [x] }) => F.mul(t!, F.cos(x)) });
    const wrong = registerOp({ ...base, name: "test.sinWrongJvp", jvp: ([t], { inputs: [x] }) => F.mul(t!, F.sin(x)) });
    const x = f64([0.2, 1.3]);
    checkJvp((y: Tensor) => F.apply(right, [y]), [x]);
    expect(() => checkJvp((y: Tensor) => F.apply(wrong, [y]), [x])).toThrow(JvpCheckError);
    expect(() => checkJvp((y: Tensor) => F.apply(wrong, [y]), [x])).toThrow(/checkJvp: the tangent differs .*output 0 \(float64 \[2\]\): 2 of 2 elements differ/s);
  });

  it("checkVmap catches a wrong batching rule and passes the right one", () => {
    const base = {
      arity: 1,
      canonicalize: (_: unknown, attrs: F.Attrs) => attrs,
      infer: ([x]: readonly F.TensorMeta[]) => ({ shape: x.shape.slice(1), dtype: x.dtype }),
      // The first row, doubled.
      kernel: ([x]: readonly F.Value[], _attrs: F.Attrs, out: F.TensorMeta) => x.data.slice(0, out.shape.reduce((n, d) => n * d, 1)).map((v) => 2 * v),
      vjp: "nondifferentiable" as const,
    };
    const right = registerOp({ ...base, name: "test.firstRowRight", batch: ({ inputs: [x] }) => F.mul(F.select(x, 1, 0), 2) });
    const wrong = registerOp({ ...base, name: "test.firstRowWrong", batch: ({ inputs: [x] }) => F.mul(F.select(x, 1, 0), 3) });
    const xs = f64(seq(12), [2, 3, 2]);
    checkVmap((y: Tensor) => F.apply(right, [y]), [xs]);
    expect(() => checkVmap((y: Tensor) => F.apply(wrong, [y]), [xs])).toThrow(/checkVmap: output 0/);
  });
});
