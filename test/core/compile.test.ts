/**
 * compile(): programs must compute exactly what the lazy evaluator computes (bit for bit: the
 * compiler reorders no arithmetic), on every run, with fresh feeds and changing leaves.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  type Attrs,
  binaryOp,
  type DType,
  Generator,
  type Tensor,
  type TypedArray,
  compile,
  configureProgramCache,
  evaluate,
  exp,
  grad,
  matmul,
  amax,
  noGrad,
  placeholder,
  registerOp,
  scalar,
  sigmoid,
  sliceBackward,
  stack,
  sum,
  tanh,
  tensor,
  unaryOp,
  type ViewRule,
  viewKernel,
  where,
} from "@gradgraph/core";
import { Linear, mseLoss, RNN, SGD } from "@gradgraph/nn";
import { FLOAT64, expectClose, fromFixture } from "../helpers/fixtures";
import { buildRandomGraph, expectSameBits, feedFor, graphArb } from "../helpers/random-graphs";
import { buildRecurrent, loadRecurrentCases, runRecurrent } from "../helpers/recurrent-cases";

// The reference is the interpreter: the evaluator's own cached programs would compare compiled with compiled.
beforeAll(() => configureProgramCache({ enabled: false }));
afterAll(() => configureProgramCache({ enabled: true }));

/** Runs `program` on fresh feeds and checks every output against the evaluator, `runs` times. */
function expectMatchesEvaluator(inputs: readonly Tensor[], outputs: readonly Tensor[], runs: number, seed: number): void {
  const program = compile({ inputs, outputs });
  const generator = new Generator(seed);
  for (let run = 0; run < runs; run++) {
    const feeds = inputs.map((x) => feedFor(x.shape, x.dtype, generator));
    const compiled = program.run(feeds).map((a) => Array.from(a));
    inputs.forEach((x, i) => x.assign(feeds[i]));
    evaluate(outputs).forEach((expected, k) => expectSameBits(compiled[k], expected, `run ${run}, output ${k} (${outputs[k].describe()})`));
  }
}

// ---------------------------------------------------------------------------------------------
// Random graphs

describe("compile: random graphs", () => {
  it("equals the evaluator bit for bit, run after run, including the gradients", () => {
    fc.assert(
      fc.property(graphArb, ({ dtype, shape, lowerRank, steps, outputs, seed }) => {
        // A full-shape input, a broadcasting one, and a parameter read in place (not fed).
        const inputs = [placeholder(shape, dtype, "x"), placeholder(shape.slice(Math.min(lowerRank, shape.length - 1)), dtype, "y")];
        const parameter = tensor(feedFor(shape, dtype, new Generator(seed + 1)), { shape, dtype });
        const pool = buildRandomGraph([...inputs, parameter], steps);
        const results = pool.slice(-outputs);
        const weights = new Generator(seed + 2);
        const objective = results
          .map((r) => sum(r.mul(tensor(feedFor(r.shape, r.dtype, weights), { shape: r.shape, dtype: r.dtype }))))
          .reduce((total, term) => total.add(term));
        const gradients = grad(objective, [...inputs, parameter]);
        expectMatchesEvaluator(inputs, [...results, ...gradients], 3, seed);
      }),
      { numRuns: 120 },
    );
  });
});

describe("compile: reductions", () => {
  // Loops walk memory order (accumulating rows 4 at a time) or keep one accumulator per output;
  // either way each output must add its terms in the evaluator's order and rounding.
  const reductionArb = fc.record({
    shape: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
    picks: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    keepdim: fc.boolean(),
    kind: fc.constantFrom("sum", "max"),
    dtype: fc.constantFrom<DType>("float32", "float64", "int32"),
    seed: fc.nat(),
  });
  it("equal the evaluator bit for bit over any dims, with a fused producer", () => {
    fc.assert(
      fc.property(reductionArb, ({ shape, picks, keepdim, kind, dtype, seed }) => {
        const dims = shape.flatMap((_, d) => (picks[d] ? [d] : []));
        const x = placeholder(shape, dtype);
        const y = placeholder(shape.slice(1), dtype);
        const reduce = kind === "sum" ? sum : amax;
        const outputs = [reduce(x.mul(y).add(x), dims.length === 0 ? undefined : dims, keepdim)];
        expectMatchesEvaluator([x, y], outputs, 2, seed);
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// What the passes do

describe("compile: passes", () => {
  it("reads a transposed weight in place: x·Wᵀ is one gemm call", () => {
    const x = placeholder([3, 4]);
    const w = tensor(feedFor([5, 4], "float32", new Generator(1)), { shape: [5, 4], dtype: "float32" });
    const program = compile({ inputs: [x], outputs: [matmul(x, w.T)] });
    expect(program.stats.kernels).toBe(1);
    expectMatchesEvaluator([x], [matmul(x, w.T)], 2, 2);
  });

  it("reads a user op's view in place and fuses a user op's formula, as for built-ins", () => {
    const swapLastTwo = (values: readonly number[]) => [...values.slice(0, -2), values[values.length - 1], values[values.length - 2]];
    const view: ViewRule<Attrs> = (input, _attrs, out) => ({ offset: input.offset, shape: out.shape, strides: swapLastTwo(input.strides) });
    const swapOp = registerOp({
      name: "compileTest.swapLastTwo",
      arity: 1,
      infer: ([x]) => ({ shape: swapLastTwo(x.shape), dtype: x.dtype }),
      kernel: viewKernel(view),
      vjp: "nondifferentiable",
      view,
    });
    const cubeOp = registerOp(unaryOp("compileTest.cube", "a * a * a", "nondifferentiable"));
    const x = placeholder([3, 4]);
    const w = tensor(feedFor([5, 4], "float32", new Generator(1)), { shape: [5, 4], dtype: "float32" });
    const product = matmul(x, apply(swapOp, [w]));
    expect(compile({ inputs: [x], outputs: [product] }).stats.kernels).toBe(1);
    const chain = apply(cubeOp, [tanh(x)]).add(1);
    const program = compile({ inputs: [x], outputs: [chain] });
    expect(program.stats.kernels).toBe(1);
    expect(program.stats.fusedOps).toBe(2);
    expectMatchesEvaluator([x], [product, chain], 2, 3);
  });

  it("binds each fused op's helpers to it alone, though two ops call theirs by one name", () => {
    const plusOp = registerOp(binaryOp("compileTest.plus", { expr: "combine(a, b)", helpers: { combine: (a, b) => a + b } }, "nondifferentiable"));
    const minusOp = registerOp(binaryOp("compileTest.minus", { expr: "combine(a, b)", helpers: { combine: (a, b) => a - b } }, "nondifferentiable"));
    const x = placeholder([5]);
    const chain = apply(minusOp, [apply(plusOp, [x, x]), x]).mul(3);
    const program = compile({ inputs: [x], outputs: [chain] });
    expect(program.stats.kernels).toBe(1);
    expect(Array.from(program.run([[1, 2, 3, 4, 5]])[0])).toEqual([3, 6, 9, 12, 15]);
    expectMatchesEvaluator([x], [chain], 2, 9);
  });

  it("adds each product of a sum of matrix products into one output (gemm's accumulate mode): no add loop, the same bits", () => {
    const generator = new Generator(4);
    const weight = (rows: number, cols: number) => tensor(feedFor([rows, cols], "float32", generator), { shape: [rows, cols], dtype: "float32" });
    const x = placeholder([6, 5]);
    const [a, b, c] = [weight(5, 7), weight(5, 7), weight(5, 7)];
    const total = matmul(x, a).add(matmul(x, b)).add(matmul(x.mul(0.5), c)).add(matmul(x, a.mul(2)));
    const program = compile({ inputs: [x], outputs: [total.tanh()] });
    // Four gemms into one array, the halved input, the doubled weight, the tanh; no product is stored.
    expect(program.stats.kernels).toBe(4 + 1 + 1 + 1);
    expect(program.stats.storedValues).toBe(4);
    expectMatchesEvaluator([x], [total.tanh()], 3, 5);
  });

  it("fuses an elementwise chain, and the chain feeding a reduction, into single loops", () => {
    const x = placeholder([8, 16]);
    const chain = tanh(x.mul(2).add(1)).mul(x);
    const program = compile({ inputs: [x], outputs: [chain, sum(exp(chain.neg()), 1)] });
    // chain (4 ops) is one loop; exp(neg(chain)) is fused into the sum's loop.
    expect(program.stats.kernels).toBe(2);
    expect(program.stats.fusedOps).toBe(3 + 2);
  });

  it("merges equal nodes built with and without gradients, and folds constant subgraphs", () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const x = placeholder([3]);
    const twice = w.mul(x);
    const alsoTwice = noGrad(() => w.mul(x));
    expect(alsoTwice).not.toBe(twice);
    const program = compile({ inputs: [x], outputs: [twice.add(alsoTwice).add(scalar(2).mul(3))] });
    expect(program.stats.mergedNodes).toBe(1);
    expect(program.stats.foldedNodes).toBe(1);
    expect(program.stats.kernels).toBe(1);
    expect(Array.from(program.run([[1, 1, 2]])[0])).toEqual([1 + 1 + 6, 2 + 2 + 6, 6 + 6 + 6]);
  });

  it("reuses buffers of dead values: a chain of 12 layers needs a few buffers, not one per layer", () => {
    const x = placeholder([4, 6]);
    const w = tensor(feedFor([6, 6], "float32", new Generator(3)), { shape: [6, 6], dtype: "float32" });
    let h = x;
    for (let layer = 0; layer < 12; layer++) h = tanh(matmul(h, w)).add(h);
    const program = compile({ inputs: [x], outputs: [h] });
    expect(program.stats.storedValues).toBe(24);
    expect(program.stats.buffers).toBeLessThanOrEqual(3);
    expectMatchesEvaluator([x], [h], 2, 4);
  });

  it("lets each step write its slot of a stack in place: stacking copies nothing", () => {
    const x = placeholder([3, 4]);
    const steps = [1, 2, 3].map((k) => tanh(x.mul(k)));
    const stacked = stack(steps, 0);
    const program = compile({ inputs: [x], outputs: [stacked, steps[2].add(1)] });
    expect(program.stats.kernels).toBe(4);
    expectMatchesEvaluator([x], [stacked, steps[2].add(1)], 2, 6);
  });

  it("reads a slice of a slice's gradient as the gradient itself or as zeros", () => {
    const g = placeholder([2, 3]);
    const placed = sliceBackward(g, 0, 1, 1, 5);
    const outputs = [placed.slice(0, 1, 3), placed.slice(0, 3, 5).add(1), placed.slice(0, 0, 2)];
    const program = compile({ inputs: [g], outputs });
    // The first is g itself and the second a loop over a literal 0; only the overlapping third
    // needs the zero-filled array (a fill and a copy; the slice itself is a window of it).
    expect(program.stats.kernels).toBe(0 + 1 + 2);
    expectMatchesEvaluator([g], outputs, 2, 8);
  });

  it("drops work nobody needs", () => {
    const x = placeholder([2, 3]);
    const unused = exp(x).sum();
    const kept = x.T.mul(2);
    const program = compile({ inputs: [x], outputs: [kept] });
    expect(unused.size).toBe(1);
    expect(program.stats.kernels).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Fast float32 math

describe("compile: float32 tanh, sigmoid and exp", () => {
  // These loops take a fast path that must fall back to the op's formula wherever the float32
  // rounding is in doubt; bench/verify-fast-math.ts checks all 2^32 inputs. Here: special values,
  // random values, and "hard" ones whose double result lies within 1e-12 of a float32 rounding
  // boundary (where a fast path without its fallback would round the wrong way now and then).
  const references: [typeof tanh, (v: number) => number][] = [
    [tanh, Math.tanh],
    [sigmoid, (v) => 1 / (1 + Math.exp(-v))],
    [exp, Math.exp],
  ];
  const specials = [0, -0, 1e-45, 1e-38, 1e-7, 0.5, 9, 9.01, 9.02, 10, 10.5, 20, 80, 80.5, 88.7, 89, 100, 3.4e38, Infinity, NaN];
  const random = new Float32Array(2_000_000);
  new Generator(5).fillNormal(random, 0, 4);
  for (let i = 0; i < 20_000; i++) random[i] = Math.fround(random[i] * 30);
  for (const [op, reference] of references) {
    it(`${op.name} equals the evaluator bit for bit`, () => {
      const hard = random.filter((v) => {
        const exact = reference(v);
        return Math.fround(exact * (1 - 1e-12)) !== Math.fround(exact * (1 + 1e-12));
      });
      expect(hard.length).toBeGreaterThan(20);
      const values = Float32Array.from([...specials, ...specials.map((v) => -v), ...hard, ...random.subarray(0, 100_000)]);
      const x = placeholder([values.length]);
      const program = compile({ inputs: [x], outputs: [op(x)] });
      x.assign(values);
      expectSameBits(program.run([values])[0], op(x).data(), op.name);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Programs: feeds, leaves, updates

describe("compile: programs", () => {
  it("returns the same output arrays every run, overwritten with the new values", () => {
    const x = placeholder([2]);
    const program = compile({ inputs: [x], outputs: [x.mul(3)] });
    const first = program.run([[1, 2]])[0];
    expect(Array.from(first)).toEqual([3, 6]);
    const second = program.run([[5, 7]])[0];
    expect(second).toBe(first);
    expect(Array.from(first)).toEqual([15, 21]);
  });

  it("refuses the wrong number of feeds, wrong sizes, and unfed placeholders", () => {
    const x = placeholder([2, 2], "float32", "x");
    const y = placeholder([2], "float32", "y");
    const program = compile({ inputs: [x], outputs: [x.add(1)] });
    expect(() => program.run([])).toThrow(/expected 1 feeds/);
    expect(() => program.run([[1, 2, 3]])).toThrow(/feed 0 'x' needs 4 values for \[2, 2\], got 3/);
    expect(() => compile({ inputs: [x], outputs: [x.add(y)] })).toThrow(/placeholder 'y' \[2\] float32 has no value/);
    expect(() => compile({ outputs: [x], updates: [[x.add(1), x]] })).toThrow(/must target a constant leaf/);
  });

  it("traces a function on placeholders", () => {
    const program = compile((a, b) => [a.mul(b).sum(), a.sub(b)], [{ shape: [3] }, { shape: [3] }]);
    const [dot, difference] = program.run([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(dot)).toEqual([32]);
    expect(Array.from(difference)).toEqual([-3, -3, -3]);
  });

  it("reads leaves in place each run, so assign() is seen", () => {
    const w = tensor([1, 2]);
    const x = placeholder([2]);
    const program = compile({ inputs: [x], outputs: [x.mul(w)] });
    expect(Array.from(program.run([[1, 1]])[0])).toEqual([1, 2]);
    w.assign([10, 20]);
    expect(Array.from(program.run([[1, 1]])[0])).toEqual([10, 20]);
  });

  it("computes every update before writing any, and returns outputs as they were before the writes", () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    const program = compile({ outputs: [a, b.mul(1)], updates: [[a, b], [b, a.add(b)]] });
    const [aBefore, bTimesOne] = program.run().map((v) => Array.from(v));
    expect(aBefore).toEqual([1, 2]);
    expect(bTimesOne).toEqual([3, 4]);
    expect(Array.from(a.data())).toEqual([3, 4]);
    expect(Array.from(b.data())).toEqual([4, 6]);
  });

  it("a compiled SGD-with-momentum training step equals nn's eager SGD, step after step", () => {
    const generator = new Generator(7);
    const makeModel = () => {
      const rnn = new RNN({ inputSize: 3, hiddenSize: 5, generator: new Generator(11) });
      const head = new Linear(5, 1, { generator: new Generator(12) });
      return { rnn, head, params: [...rnn.parameters(), ...head.parameters()] };
    };
    const data = tensor(feedFor([4, 2, 3], "float32", generator), { shape: [4, 2, 3], dtype: "float32" });
    const target = tensor([[0.5], [-0.25]]);
    const lossOf = (model: ReturnType<typeof makeModel>, x: Tensor) => mseLoss(model.head.call(model.rnn.call(x)[0].select(0, -1)), target);
    const [lr, momentum] = [0.1, 0.9];

    // Compiled: parameters and momentum buffers are leaves the program updates in place.
    const compiled = makeModel();
    const x = placeholder([4, 2, 3]);
    const loss = lossOf(compiled, x);
    const grads = grad(loss, compiled.params);
    const buffers = compiled.params.map((p) => tensor(new Float32Array(p.size), { shape: p.shape }));
    const velocities = buffers.map((buf, i) => buf.mul(momentum).add(grads[i]));
    const program = compile({
      inputs: [x],
      outputs: [loss],
      updates: [
        ...buffers.map((buf, i) => [buf, velocities[i]] as const),
        ...compiled.params.map((p, i) => [p, p.sub(velocities[i].mul(lr))] as const),
      ],
    });

    const eager = makeModel();
    const optimizer = new SGD(eager.params, { lr, momentum });
    for (let step = 0; step < 4; step++) {
      const compiledLoss = program.run([data.data()])[0][0];
      optimizer.zeroGrad();
      const eagerLoss = lossOf(eager, data);
      eagerLoss.backward();
      expect(compiledLoss, `loss at step ${step}`).toBe(eagerLoss.item());
      optimizer.step();
      compiled.params.forEach((p, i) => expectSameBits(p.data(), eager.params[i].data(), `step ${step}, ${p.name}`));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Recurrent modules

describe("compile: RNN, LSTM and GRU forward and backward", () => {
  const cases = [
    ...loadRecurrentCases("rnn.json").slice(0, 4),
    ...loadRecurrentCases("lstm.json").slice(0, 3),
    ...loadRecurrentCases("gru.json").slice(0, 3),
  ];
  for (const c of cases) {
    it(`${c.id}: equals the evaluator bit for bit and PyTorch within float tolerance`, () => {
      for (const dtype of ["float32", "float64"] as const) {
        const module = buildRecurrent(c.mode, c.config, dtype);
        module.loadStateDict(c.params);
        const input = placeholder(c.input.shape, dtype, "input");
        const h0 = c.h0 === null ? undefined : fromFixture(c.h0, dtype);
        const c0 = c.c0 === null || c.c0 === undefined ? undefined : fromFixture(c.c0, dtype);
        const [output, finals] = runRecurrent(module, input, h0, c0);
        const upstream = [c.upstream.output, c.upstream.h_n, c.upstream.c_n].filter((u) => u !== undefined);
        const objective = [output, ...finals].map((t, i) => sum(t.mul(fromFixture(upstream[i]!, dtype)))).reduce((s, t) => s.add(t));
        const params = module.parameters();
        const outputs = [output, ...finals, ...grad(objective, [input, ...params])];
        const program = compile({ inputs: [input], outputs });
        const results = program.run([c.input.data]);
        input.assign(c.input.data);
        evaluate(outputs).forEach((expected, k) => expectSameBits(results[k], expected, `${dtype} output ${k}`));

        const expected = c[dtype];
        const tolerance = dtype === "float64" ? FLOAT64 : { atol: 1e-5, rtol: 1e-4 };
        expectClose(results[0], expected.output.data, tolerance, `${dtype} output`);
        expectClose(results[1 + finals.length], expected.grads.input.data, tolerance, `${dtype} d input`);
        module.namedParameters().forEach(([name], i) => {
          expectClose(results[2 + finals.length + i] as TypedArray, expected.grads.params[name].data, tolerance, `${dtype} d ${name}`);
        });
      }
    });
  }
});
