/**
 * torch.nn.init against PyTorch (init-functions.json, written by make_init_functions.py): after
 * manualSeed(seed) each function must give PyTorch's values (bit for bit where the method is
 * PyTorch's, within the stated bound where it cannot be) and leave the generator where PyTorch
 * leaves it (the torch.rand(4) drawn afterwards matches bit for bit in every case).
 */
import { Generator, type Tensor, manualSeed, rand, tensor, zeros } from "@gradgraph/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { fillKaimingUniform, fillNormal, fillUniform, init } from "../../packages/nn/src";
import { type FixtureTensor, loadFixture } from "../helpers/fixtures";

type Args = Record<string, number | string>;

interface InitCase {
  id: string;
  type: "init";
  seed: number;
  function: string;
  args: Args;
  shape: number[];
  dtype: "float32" | "float64";
  values: FixtureTensor;
  after: FixtureTensor;
}

interface GainCase {
  id: string;
  type: "gain";
  nonlinearity: string;
  param: number | null;
  gain: number;
}

interface ErrorCase {
  id: string;
  type: "error";
  function: string;
  args: Args;
  shape?: number[];
  error: string;
}

type Case = InitCase | GainCase | ErrorCase | { id: string; type: "module" };

const cases = loadFixture<Case>("init-functions.json");
const ran = new Set<string>();

/** PyTorch's spelling of option values as ours: fan_out → fanOut, leaky_relu → leakyRelu. */
const camelCase = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** PyTorch's keyword arguments as our options (the names are single words in both). */
const optionsOf = (args: Args) => Object.fromEntries(Object.entries(args).map(([key, value]) => [key, typeof value === "string" ? camelCase(value) : value]));

function withoutArgs(name: string, call: (t: Tensor) => Tensor) {
  return (t: Tensor, args: Args) => {
    expect(args, `${name} takes no options`).toEqual({});
    return call(t);
  };
}

/** Each PyTorch function as ours. */
const calls: Record<string, (t: Tensor, args: Args) => Tensor> = {
  uniform_: (t, args) => init.uniform(t, optionsOf(args)),
  normal_: (t, args) => init.normal(t, optionsOf(args)),
  constant_: (t, { val, ...rest }) => {
    expect(rest).toEqual({});
    return init.constant(t, val as number);
  },
  ones_: withoutArgs("ones_", init.ones),
  zeros_: withoutArgs("zeros_", init.zeros),
  eye_: withoutArgs("eye_", init.eye),
  dirac_: (t, args) => init.dirac(t, optionsOf(args)),
  xavier_uniform_: (t, args) => init.xavierUniform(t, optionsOf(args)),
  xavier_normal_: (t, args) => init.xavierNormal(t, optionsOf(args)),
  kaiming_uniform_: (t, args) => init.kaimingUniform(t, optionsOf(args)),
  kaiming_normal_: (t, args) => init.kaimingNormal(t, optionsOf(args)),
  trunc_normal_: (t, args) => init.truncNormal(t, optionsOf(args)),
  orthogonal_: (t, args) => init.orthogonal(t, optionsOf(args)),
};

const expectedValues = (c: InitCase) => (c.dtype === "float32" ? Array.from(Float32Array.from(c.values.data)) : c.values.data);

/** The values' own scale, about the distribution's std: what the normal-based tolerances are relative to. */
const rootMeanSquare = (values: readonly number[]) => Math.sqrt(values.reduce((sum, v) => sum + v * v, 0) / Math.max(values.length, 1));

/**
 * How far each function may be from PyTorch, and why; undefined means bit for bit.
 * - Normal draws come from the core's Generator.fillNormal: the same uniforms, structure and
 *   rounding as PyTorch, but JS's log/sin/cos instead of glibc's (float64: an ulp here and there)
 *   and, for float32 tensors of 16 or more elements, instead of the float polynomials of
 *   PyTorch's AVX2 kernel, which the fixture's PyTorch dispatches to (its portable kernel, which
 *   the core follows, agrees to an ulp): at most 1.8e-6·std over 100000 draws, hence 4e-6·std.
 * - truncNormal: PyTorch's float32 erfinv is a rational start plus two Newton steps (a few ulps);
 *   ours is correct to double precision, then rounded. Measured: 8 float32 ulps of the smallest values.
 * - orthogonal: LAPACK's float32 Householder QR against ours in float64 (rounded), on those normal
 *   draws. Measured: 6e-7 (float32) and 4e-16 (float64), times the gain.
 */
function tolerance(c: InitCase): ((expected: number, scale: number) => number) | undefined {
  const f32 = c.dtype === "float32";
  switch (c.function) {
    case "normal_":
    case "xavier_normal_":
    case "kaiming_normal_":
      return (_, scale) => (f32 ? 4e-6 : 2e-15) * scale;
    case "trunc_normal_":
      return (expected, scale) => (f32 ? 1e-6 : 1e-14) * (scale + Math.abs(expected));
    case "orthogonal_":
      return () => (f32 ? 1e-6 : 1e-14) * Number(c.args.gain ?? 1);
    default:
      return undefined;
  }
}

describe("after manualSeed, each init function gives PyTorch's values and leaves the generator where PyTorch does", () => {
  for (const c of cases.filter((c): c is InitCase => c.type === "init")) {
    test(`${c.id}: ${c.function}(${c.dtype} [${c.shape.join(", ")}], ${JSON.stringify(c.args)})`, () => {
      const call = calls[c.function];
      expect(call, `no call for PyTorch's ${c.function}`).toBeDefined();
      const t = zeros(c.shape, { dtype: c.dtype, requiresGrad: true, name: "weight" });
      manualSeed(c.seed);
      expect(call(t, c.args)).toBe(t);
      expect(Array.from(rand([4]).data()), "torch.rand(4) afterwards").toEqual(Array.from(Float32Array.from(c.after.data)));
      expect([t.dtype, t.shape, t.requiresGrad, t.name]).toEqual([c.dtype, c.shape, true, "weight"]);
      const actual = Array.from(t.data());
      const expected = expectedValues(c);
      const bound = tolerance(c);
      if (bound === undefined) {
        expect(actual).toEqual(expected);
      } else {
        const scale = rootMeanSquare(expected);
        const outside = actual.flatMap((v, i) => (Math.abs(v - expected[i]) <= bound(expected[i], scale) ? [] : [`[${i}] ${v} vs ${expected[i]}`]));
        expect(outside).toEqual([]);
        expect(actual.length).toBe(expected.length);
      }
      ran.add(c.id);
    });
  }

  test("the positional fills the layers use draw the same values (uniform, normal, kaimingUniform with a = sqrt(5))", () => {
    const byId = (id: string) => cases.find((c): c is InitCase => c.id === id)!;
    const fills: [InitCase, (t: Tensor) => Tensor][] = [
      [byId("uniform_bounds"), (t) => fillUniform(t, -2, 3)],
      [byId("normal_small"), (t) => fillNormal(t)],
      [byId("kaiming_uniform_linear"), (t) => fillKaimingUniform(t, Math.sqrt(5))],
    ];
    for (const [c, fill] of fills) {
      const t = zeros(c.shape, { dtype: c.dtype });
      manualSeed(c.seed);
      fill(t);
      expect(Array.from(t.data()), c.id).toEqual(expectedValues(c));
    }
  });
});

describe("calculateGain is PyTorch's calculate_gain", () => {
  for (const c of cases.filter((c): c is GainCase => c.type === "gain")) {
    test(c.id, () => {
      expect(init.calculateGain(camelCase(c.nonlinearity) as init.Nonlinearity, c.param ?? undefined)).toBe(c.gain);
      ran.add(c.id);
    });
  }
});

describe("errors carry PyTorch's message, named by our function", () => {
  for (const c of cases.filter((c): c is ErrorCase => c.type === "error")) {
    test(c.id, () => {
      const call =
        c.function === "calculate_gain"
          ? () => init.calculateGain(c.args.nonlinearity as init.Nonlinearity)
          : () => calls[c.function](zeros(c.shape!), c.args);
      const ours = `init.${camelCase(c.function.replace(/_$/, ""))}`;
      expect(call).toThrow(`${ours}: ${c.error}`);
      ran.add(c.id);
    });
  }

  test("arguments PyTorch has no counterpart for: spellings, dtypes, non-leaves, ranges", () => {
    const w = zeros([3, 4]);
    expect(() => init.kaimingUniform(w, { mode: "fan_out" as "fanOut" })).toThrow(
      'init.kaimingUniform: mode must be "fanIn" or "fanOut" (PyTorch\'s "fan_in" and "fan_out"), got "fan_out"',
    );
    expect(() => init.kaimingNormal(w, { nonlinearity: "leaky_relu" as "leakyRelu" })).toThrow(
      `init.kaimingNormal: Unsupported nonlinearity leaky_relu (PyTorch's "leaky_relu" is spelt "leakyRelu" here); expected one of "linear"`,
    );
    expect(() => init.kaimingUniform(w, { negative_slope: 0.2 } as init.KaimingOptions)).toThrow("init.kaimingUniform: unknown option(s) 'negative_slope'");
    expect(() => init.normal(zeros([2], { dtype: "int32" }))).toThrow("init.normal: expected a float tensor, got int32");
    expect(() => init.orthogonal(w.add(1))).toThrow("init.orthogonal: expected a leaf tensor (a parameter, buffer or constant) to fill in place, got the output of 'add'");
    expect(() => init.uniform(w, { a: 1, b: 0 })).toThrow("init.uniform: uniform_ expects from <= to, got 1 > 0");
    expect(() => init.normal(w, { std: -1 })).toThrow("init.normal: normal_ expects std >= 0");
    expect(() => init.truncNormal(w, { std: 0 })).toThrow("init.truncNormal: std must be positive, got 0");
    expect(() => init.truncNormal(w, { a: 2, b: -2 })).toThrow("init.truncNormal: expected a <= b, got a = 2, b = -2");
    expect(() => init.xavierUniform(w, { generator: {} as Generator })).toThrow("init.xavierUniform: generator must be a Generator, got an object");
    expect(() => init.constant(w, "1" as unknown as number)).toThrow('init.constant: value must be a number, got "1"');
    expect(() => init.dirac(zeros([2, 2, 3]), { groups: 0 })).toThrow("init.dirac: groups must be a positive integer, got 0");
    expect(() => init.calculateGain("leakyRelu", Number.NaN)).toThrow("init.calculateGain: param (the negative slope) must be a finite number, got NaN");
  });
});

describe("beyond the fixture's shapes", () => {
  test("orthogonal: rows (wide) or columns (tall) are orthonormal, times gain, for any shape", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1000 }), (rows, columns, seed) => {
        const w = init.orthogonal(zeros([rows, columns], { dtype: "float64" }), { gain: 3, generator: new Generator(seed) });
        const m = w.toArray() as number[][];
        const [outer, inner] = rows <= columns ? [rows, columns] : [columns, rows];
        const entry = (i: number, k: number) => (rows <= columns ? m[i][k] : m[k][i]);
        for (let i = 0; i < outer; i++) {
          for (let j = 0; j < outer; j++) {
            let dot = 0;
            for (let k = 0; k < inner; k++) dot += entry(i, k) * entry(j, k);
            expect(Math.abs(dot - (i === j ? 9 : 0))).toBeLessThan(1e-12);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  test("truncNormal stays within [a, b], including far in a tail", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.double({ min: -6, max: 6, noNaN: true }),
        fc.double({ min: 0, max: 4, noNaN: true }),
        fc.constantFrom("float32" as const, "float64" as const),
        (mean, std, a, width, dtype) => {
          const values = init.truncNormal(zeros([64], { dtype }), { mean, std, a, b: a + width, generator: new Generator(1) }).data();
          const round = dtype === "float32" ? Math.fround : (x: number) => x;
          for (const v of values) {
            expect(v).toBeGreaterThanOrEqual(round(a));
            expect(v).toBeLessThanOrEqual(round(a + width));
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  test("the fills leave int32 tensors' dtype alone and zero-element tensors untouched", () => {
    expect(Array.from(init.constant(zeros([3], { dtype: "int32" }), 7.9).data())).toEqual([7, 7, 7]);
    const empty = zeros([0, 4]);
    manualSeed(3);
    const before = rand([2]).data();
    manualSeed(3);
    init.kaimingNormal(empty);
    init.orthogonal(empty);
    expect(rand([2]).data(), "no draws for an empty tensor").toEqual(before);
    expect(init.eye(tensor([[5, 5, 5]])).toArray()).toEqual([[1, 0, 0]]);
  });
});

test("every case of init-functions.json ran (module cases run in module-features.test.ts)", () => {
  expect(new Set(cases.map((c) => c.type))).toEqual(new Set(["init", "gain", "error", "module"]));
  const expected = cases.filter((c) => c.type !== "module").map((c) => c.id);
  expect(expected.filter((id) => !ran.has(id))).toEqual([]);
  expect(ran.size).toBe(expected.length);
});
