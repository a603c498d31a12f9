/**
 * The evaluator's program cache: a graph seen again with the same structure runs as a compiled
 * program, and gives exactly the interpreter's values, bit for bit, on misses and on hits.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  clearProgramCache,
  configureProgramCache,
  evaluate,
  Generator,
  grad,
  programCacheStats,
  sum,
  type Tensor,
  tensor,
} from "@gradgraph/core";
import { buildRandomGraph, expectSameBits, feedFor, graphArb, interpreted } from "../helpers/random-graphs";

const stats = () => programCacheStats();

/** Builds the random graph of `spec` on fresh leaves holding data drawn from `seed`: outputs and gradients. */
type GraphSpec = typeof graphArb extends fc.Arbitrary<infer T> ? T : never;

function randomGraphOf({ dtype, shape, lowerRank, steps, outputs }: GraphSpec, seed: number): Tensor[] {
  const generator = new Generator(seed);
  const leaf = (s: number[]) => tensor(feedFor(s, dtype, generator), { shape: s, dtype, requiresGrad: true });
  const leaves = [leaf(shape), leaf(shape.slice(Math.min(lowerRank, shape.length - 1))), leaf(shape)];
  const results = buildRandomGraph(leaves, steps).slice(-outputs);
  const objective = results.map((r) => sum(r.mul(tensor(feedFor(r.shape, r.dtype, generator), { shape: r.shape, dtype: r.dtype })))).reduce((a, b) => a.add(b));
  return [...results, ...grad(objective, leaves)];
}

describe("the program cache", () => {
  it("on random graphs built again and again (new nodes, new values, one structure): the interpreter's values, bit for bit", () => {
    const hitsBefore = stats().hits;
    fc.assert(
      fc.property(graphArb, (spec) => {
        for (let round = 0; round < 4; round++) {
          const seed = spec.seed + round;
          const expected = interpreted(() => evaluate(randomGraphOf(spec, seed)));
          const before = stats();
          const actual = evaluate(randomGraphOf(spec, seed));
          actual.forEach((values, k) => expectSameBits(values, expected[k], `round ${round}, output ${k}`));
          if (round >= 2 && before.misses + before.hits < stats().misses + stats().hits) expect(stats().hits).toBeGreaterThan(before.hits);
        }
      }),
      { numRuns: 60 },
    );
    expect(stats().hits - hitsBefore).toBeGreaterThan(30);
  });

  it("compiles on the second sighting, runs the program from then on, and can be switched off", () => {
    clearProgramCache();
    const chain = (x: Tensor) => x.mul(2).tanh().add(1).exp().sum();
    const base = stats();
    const values = [0.5, -0.25].map((v) => chain(tensor([v, 2 * v, 3 * v])).item());
    expect(stats().misses - base.misses).toBe(1);
    expect(stats().compiled - base.compiled).toBe(1);
    const hitsBefore = stats().hits;
    expect(chain(tensor([0.5, 1, 1.5])).item()).toBe(values[0]);
    expect(stats().hits - hitsBefore).toBe(1);
    configureProgramCache({ enabled: false });
    try {
      const hits = stats().hits;
      expect(chain(tensor([-0.25, -0.5, -0.75])).item()).toBe(values[1]);
      expect(stats().hits).toBe(hits);
    } finally {
      configureProgramCache({ enabled: true });
    }
  });

  it("keeps at most `capacity` programs, dropping the least recently used", () => {
    clearProgramCache();
    configureProgramCache({ capacity: 2 });
    try {
      const shapes = [[2], [3], [4]];
      const run = (shape: number[]) => tensor(new Float32Array(shape[0]).fill(1)).mul(2).add(1).tanh().sum().item();
      const evicted = stats().evicted;
      for (const shape of shapes) for (let i = 0; i < 3; i++) run(shape);
      expect(stats().size).toBe(2);
      expect(stats().evicted - evicted).toBe(1);
    } finally {
      configureProgramCache({ capacity: 64 });
    }
  });

  it("refuses settings that make no sense", () => {
    expect(() => configureProgramCache({ capacity: 0 })).toThrow("configureProgramCache: capacity must be a positive integer, got 0");
    expect(() => configureProgramCache({ enabled: "yes" as unknown as boolean })).toThrow("configureProgramCache: enabled must be true or false");
  });

  it("a leaf assigned between two builds feeds each graph the version it was built with", () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const build = () => w.mul(w).tanh().mul(3).add(w).sum();
    const first = build();
    w.assign([4, 5, 6]);
    const second = build();
    w.assign([7, 8, 9]);
    const third = build();
    const [a, b, c] = evaluate([first, second, third]).map((v) => v[0]);
    const reference = (values: number[]) => values.reduce((total, v) => total + Math.fround(Math.fround(Math.tanh(Math.fround(v * v)) * 3) + v), 0);
    expect([a, b, c]).toEqual([reference([1, 2, 3]), reference([4, 5, 6]), reference([7, 8, 9])].map(Math.fround));
  });
});
