import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Generator, defaultGenerator, manualSeed } from "../../packages/core/src/basics/random";

interface Tensor {
  shape: number[];
  data: number[];
}
interface Construction {
  module: "RNN" | "LSTM" | "GRU" | "Linear";
  args: Record<string, number | boolean | string>;
  params: Record<string, Tensor>;
}
interface InitCase {
  id: string;
  seed: number;
  constructions: Construction[];
  after: Tensor;
}

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/init.json", import.meta.url), "utf8"),
) as { cases: InitCase[] };

interface ParamSpec {
  name: string;
  shape: number[];
  bound: number;
}

const GATES = { RNN: 1, LSTM: 4, GRU: 3 } as const;

/**
 * The parameters a module's reset_parameters() fills, in named_parameters()
 * order, each with the bound of its uniform_(-bound, bound). Bounds are
 * computed in float64 exactly as the Python source does.
 */
function initSpecs(c: Construction): ParamSpec[] {
  const a = c.args;
  if (c.module === "Linear") {
    const fanIn = a.in_features as number;
    const out = a.out_features as number;
    // kaiming_uniform_(weight, a=sqrt(5)): gain = sqrt(2 / (1 + a**2)), bound = sqrt(3) * gain / sqrt(fan_in)
    const slope = Math.sqrt(5);
    const gain = Math.sqrt(2.0 / (1 + slope * slope));
    const weightBound = Math.sqrt(3.0) * (gain / Math.sqrt(fanIn));
    const specs: ParamSpec[] = [{ name: "weight", shape: [out, fanIn], bound: weightBound }];
    if (a.bias !== false) specs.push({ name: "bias", shape: [out], bound: 1 / Math.sqrt(fanIn) });
    return specs;
  }
  const hidden = a.hidden_size as number;
  const layers = (a.num_layers as number | undefined) ?? 1;
  const dirs = a.bidirectional === true ? 2 : 1;
  const rows = GATES[c.module] * hidden;
  const bound = 1.0 / Math.sqrt(hidden);
  const specs: ParamSpec[] = [];
  for (let k = 0; k < layers; k++) {
    const inK = k === 0 ? (a.input_size as number) : dirs * hidden;
    for (const sfx of dirs === 2 ? ["", "_reverse"] : [""]) {
      specs.push({ name: `weight_ih_l${k}${sfx}`, shape: [rows, inK], bound });
      specs.push({ name: `weight_hh_l${k}${sfx}`, shape: [rows, hidden], bound });
      if (a.bias !== false) {
        specs.push({ name: `bias_ih_l${k}${sfx}`, shape: [rows], bound });
        specs.push({ name: `bias_hh_l${k}${sfx}`, shape: [rows], bound });
      }
    }
  }
  return specs;
}

/** Fixture numbers are the exact float32 values written as doubles. */
const asFloat32 = (t: Tensor): Float32Array => Float32Array.from(t.data);

describe("Generator matches torch.manual_seed + default init (init.json)", () => {
  for (const tc of fixture.cases) {
    it(tc.id, () => {
      const gen = new Generator().manualSeed(tc.seed);
      for (const c of tc.constructions) {
        const specs = initSpecs(c);
        expect(specs.map((s) => s.name)).toEqual(Object.keys(c.params));
        for (const spec of specs) {
          const expected = c.params[spec.name];
          expect(spec.shape).toEqual(expected.shape);
          const got = new Float32Array(spec.shape.reduce((x, y) => x * y, 1));
          gen.fillUniform(got, -spec.bound, spec.bound);
          expect(got, `${c.module}.${spec.name}`).toEqual(asFloat32(expected));
        }
      }
      const after = new Float32Array(8);
      gen.fillUniform(after, 0, 1); // torch.rand(8)
      expect(after).toEqual(asFloat32(tc.after));
    });
  }
});

describe("Generator", () => {
  it("is a standard mt19937", () => {
    // Reference outputs of std::mt19937 with its default seed 5489.
    const gen = new Generator(5489);
    expect(gen.nextUint32()).toBe(3499211612);
    for (let i = 2; i < 10000; i++) gen.nextUint32();
    expect(gen.nextUint32()).toBe(4123659995);
  });

  it("random64 puts the first 32-bit draw in the high word", () => {
    const a = new Generator(7);
    const b = new Generator(7);
    const hi = BigInt(b.nextUint32());
    const lo = BigInt(b.nextUint32());
    expect(a.nextUint64()).toBe((hi << 32n) | lo);
  });

  it("float64 uniform keeps the low 53 bits of random64", () => {
    const a = new Generator(3);
    const b = new Generator(3);
    const out = new Float64Array(64);
    a.fillUniform(out, 0, 1);
    for (const v of out) expect(v).toBe(Number(b.nextUint64() & ((1n << 53n) - 1n)) * 2 ** -53);
  });

  it("manualSeed on the default generator", () => {
    manualSeed(1);
    const a = new Float32Array(5);
    defaultGenerator.fillUniform(a, -2, 3);
    const b = new Float32Array(5);
    new Generator(1).fillUniform(b, -2, 3);
    expect(a).toEqual(b);
  });

  it("rejects bad arguments like torch", () => {
    const gen = new Generator(0);
    expect(() => gen.fillUniform(new Float32Array(1), 1, 0)).toThrow(RangeError);
    expect(() => gen.fillUniform(new Float32Array(1), 0, 1e39)).toThrow(RangeError);
    expect(() => gen.fillNormal(new Float64Array(1), 0, -1)).toThrow(RangeError);
    expect(() => gen.manualSeed(0.5)).toThrow(RangeError);
  });
});

describe("Generator properties", () => {
  // from/to on a 1/1024 grid keep to - from exact in float32, so no result can round past `to`.
  // It can still round up onto `to` itself, as in torch, hence the closed interval.
  const grid = fc.integer({ min: -4096, max: 4096 }).map((k) => k / 1024);
  const bounds = fc.tuple(grid, grid).map(([x, y]) => (x <= y ? [x, y] : [y, x]));

  it("uniform values lie in [from, to] for both dtypes", () => {
    fc.assert(
      fc.property(fc.nat(), bounds, fc.boolean(), (seed, [from, to], f32) => {
        const out = f32 ? new Float32Array(40) : new Float64Array(40);
        new Generator(seed).fillUniform(out, from, to);
        return out.every((v) => v >= from && v <= to);
      }),
    );
  });

  it("rand values lie in [0, 1)", () => {
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        const out = new Float32Array(100);
        new Generator(seed).fillUniform(out, 0, 1);
        return out.every((v) => v >= 0 && v < 1);
      }),
    );
  });

  it("the same seed gives the same stream, after any prefix", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.nat(700), (seed, skip) => {
        const a = new Generator(seed);
        for (let i = 0; i < skip; i++) a.nextUint32();
        const b = new Generator(seed);
        for (let i = 0; i < skip; i++) b.nextUint32();
        const x = new Float64Array(10);
        const y = new Float64Array(10);
        a.fillNormal(x, 1, 2);
        b.fillNormal(y, 1, 2);
        return x.every((v, i) => Object.is(v, y[i])) && a.nextUint32() === b.nextUint32();
      }),
    );
  });

  it("seeds use only their low 32 bits, negatives as two's complement", () => {
    expect(new Generator(-1).nextUint32()).toBe(new Generator(2 ** 32 - 1).nextUint32());
    expect(new Generator(2 ** 32 + 5).nextUint32()).toBe(new Generator(5).nextUint32());
  });
});

describe("fillNormal", () => {
  /** How many 32-bit draws a fill consumed, found by replaying the stream. */
  function drawsUsed(fill: (g: Generator) => void): number {
    const g = new Generator(11);
    fill(g);
    const next = g.nextUint32();
    const ref = new Generator(11);
    for (let n = 0; n < 1000; n++) if (ref.nextUint32() === next) return n;
    return -1;
  }

  it("consumes the stream as torch does", () => {
    // >= 16 elements: one uniform per element, plus 16 more when n is not a multiple of 16.
    expect(drawsUsed((g) => g.fillNormal(new Float32Array(32), 0, 1))).toBe(32);
    expect(drawsUsed((g) => g.fillNormal(new Float32Array(20), 0, 1))).toBe(36);
    expect(drawsUsed((g) => g.fillNormal(new Float64Array(20), 0, 1))).toBe(72);
    // < 16 elements: Box-Muller pairs of 64-bit draws, the twin is cached.
    expect(drawsUsed((g) => g.fillNormal(new Float32Array(3), 0, 1))).toBe(8);
  });

  it("uses the cached twin across calls and drops it on reseed", () => {
    const a = new Generator(5);
    const x = new Float64Array(2);
    a.fillNormal(x, 0, 1);
    const b = new Generator(5);
    const y1 = new Float64Array(1);
    const y2 = new Float64Array(1);
    b.fillNormal(y1, 0, 1);
    b.fillNormal(y2, 0, 1); // served from the cache
    expect([y1[0], y2[0]]).toEqual([x[0], x[1]]);

    b.fillNormal(y1, 0, 1); // caches a twin
    b.manualSeed(5);
    b.fillNormal(y2, 0, 1);
    expect(y2[0]).toBe(x[0]);
  });

  it("is standard normal after scaling, for both dtypes and paths", () => {
    for (const out of [new Float32Array(20000), new Float64Array(20000), new Float64Array(15)]) {
      const gen = new Generator(123);
      const samples: number[] = [];
      while (samples.length < 20000) {
        gen.fillNormal(out, 3, 2);
        samples.push(...out);
      }
      const mean = samples.reduce((s, v) => s + v, 0) / samples.length;
      const sd = Math.sqrt(samples.reduce((s, v) => s + (v - mean) ** 2, 0) / samples.length);
      expect(mean).toBeCloseTo(3, 1);
      expect(sd).toBeCloseTo(2, 1);
    }
  });
});
