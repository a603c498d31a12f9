import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  assembleWat,
  MATMUL_GENERATED_PATH,
  MATMUL_WAT_PATH,
  renderGeneratedModule,
} from "../../packages/core/scripts/build-wasm";
import { ready as publicReady } from "@gradgraph/core";
import {
  batchedGemm,
  clearPackedCache,
  gemm,
  getMatmulBackend,
  getMatmulTuning,
  matmulAllocations,
  ready,
  setMatmulBackend,
  setMatmulTuning,
  startMatmulWorker,
  wasmAvailable,
  workerJobs,
  type FloatArray,
  type MatmulBackend,
  type MatmulTuning,
} from "../../packages/core/src/kernels/matmul/index";
import { MATMUL_WASM_BASE64 } from "../../packages/core/src/kernels/matmul/matmulWasm.generated";

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  aOffset: number;
  bOffset: number;
  outOffset: number;
  seed: number;
}

/** Deterministic values in [-1, 1); exactly representable in float32. */
function fillRandom(x: FloatArray, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < x.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = ((s >>> 8) - (1 << 23)) / (1 << 23);
  }
}

/** Float64 triple loop over the stored layouts, plus Σ|a·b| to scale the tolerance. */
function reference(c: Case, a: FloatArray, b: FloatArray): { value: Float64Array; mag: Float64Array } {
  const { m, n, k } = c;
  const value = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        const av = a[c.aOffset + (c.transA ? p * m + i : i * k + p)];
        const bv = b[c.bOffset + (c.transB ? j * k + p : p * n + j)];
        s += av * bv;
        t += Math.abs(av * bv);
      }
      value[i * n + j] = s;
      mag[i * n + j] = t;
    }
  }
  return { value, mag };
}

const SENTINEL = 12345.5;

function check(c: Case, dtype: "float32" | "float64"): void {
  const Ctor = dtype === "float32" ? Float32Array : Float64Array;
  const a = new Ctor(c.aOffset + c.m * c.k + 3);
  const b = new Ctor(c.bOffset + c.k * c.n + 3);
  fillRandom(a, c.seed);
  fillRandom(b, c.seed * 7 + 1);
  const outLen = c.outOffset + c.m * c.n + 3;
  const out = new Ctor(outLen).fill(SENTINEL);
  gemm(c.m, c.n, c.k, a, c.aOffset, c.transA, b, c.bOffset, c.transB, out, c.outOffset);
  const { value, mag } = reference(c, a, b);
  // Float32 summation in a different order (and float32 rounding of products)
  // can differ from the exact sum by about k·eps·Σ|a·b|.
  const eps = dtype === "float32" ? 2 ** -23 : 2 ** -51;
  for (let i = 0; i < c.m * c.n; i++) {
    const got = out[c.outOffset + i];
    const want = value[i];
    const tol = (c.k + 2) * eps * mag[i] + 1e-30;
    if (!(Math.abs(got - want) <= tol)) {
      throw new Error(`${JSON.stringify(c)} ${dtype}: out[${i}] = ${got}, expected ${want} ± ${tol}`);
    }
  }
  for (let i = 0; i < c.outOffset; i++) expect(out[i]).toBe(SENTINEL);
  for (let i = c.outOffset + c.m * c.n; i < outLen; i++) expect(out[i]).toBe(SENTINEL);
}

const dim = (max: number): fc.Arbitrary<number> =>
  fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17), fc.integer({ min: 1, max }));

const caseArb = (max: number): fc.Arbitrary<Case> =>
  fc.record({
    m: dim(max),
    n: dim(max),
    k: dim(max),
    transA: fc.boolean(),
    transB: fc.boolean(),
    aOffset: fc.integer({ min: 0, max: 9 }),
    bOffset: fc.integer({ min: 0, max: 9 }),
    outOffset: fc.integer({ min: 0, max: 9 }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  });

/** Shapes that cross the k-block (256), column-block (64·8) and tile/panel edges. */
const EDGE_SHAPES: [number, number, number][] = [
  [1, 5, 2],
  [1, 1, 1],
  [5, 1, 7],
  [1, 600, 3],
  [6, 530, 20],
  [13, 11, 300],
  [33, 17, 513],
  [70, 9, 260],
];

function edgeCases(): Case[] {
  const cases: Case[] = [];
  let seed = 1;
  for (const [m, n, k] of EDGE_SHAPES) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        cases.push({ m, n, k, transA, transB, aOffset: seed % 5, bOffset: (seed * 3) % 7, outOffset: seed % 4, seed: seed++ });
      }
    }
  }
  return cases;
}

interface PathConfig {
  name: string;
  backend: MatmulBackend;
  tuning: MatmulTuning;
  maxDim: number;
  runs: number;
}

const PATHS: PathConfig[] = [
  { name: "direct loop", backend: "wasm", tuning: { smallMaxWork: Infinity }, maxDim: 40, runs: 150 },
  { name: "blocked JS", backend: "js", tuning: { smallMaxWork: 0 }, maxDim: 70, runs: 150 },
  { name: "WASM SIMD, one thread", backend: "wasm", tuning: { smallMaxWork: 0, threadMinWork: Infinity }, maxDim: 70, runs: 150 },
  { name: "WASM SIMD, two threads", backend: "wasm", tuning: { smallMaxWork: 0, threadMinWork: 0, pauseOnLag: false }, maxDim: 70, runs: 150 },
];

describe("gemm kernels vs float64 triple loop", () => {
  let saved: { backend: MatmulBackend; tuning: Required<MatmulTuning> };
  beforeAll(() => {
    saved = { backend: getMatmulBackend(), tuning: getMatmulTuning() };
  });
  afterAll(() => {
    setMatmulBackend(saved.backend);
    setMatmulTuning(saved.tuning);
  });

  test("WebAssembly kernel and worker thread are available on Node", async () => {
    expect(wasmAvailable()).toBe(true);
    expect(await startMatmulWorker()).toBe(true);
  });

  for (const p of PATHS) {
    test(`float32, ${p.name}`, () => {
      setMatmulBackend(p.backend);
      setMatmulTuning({ ...saved.tuning, ...p.tuning });
      for (const c of edgeCases()) check(c, "float32");
      fc.assert(fc.property(caseArb(p.maxDim), (c) => check(c, "float32")), { numRuns: p.runs });
    });
  }

  test("float32, two threads on a size that grows WASM memory", () => {
    setMatmulBackend("wasm");
    setMatmulTuning({ ...saved.tuning, smallMaxWork: 0, threadMinWork: 0, pauseOnLag: false });
    check({ m: 301, n: 257, k: 333, transA: true, transB: false, aOffset: 3, bOffset: 1, outOffset: 2, seed: 99 }, "float32");
  });

  test("float32, default dispatch", () => {
    setMatmulBackend(saved.backend);
    setMatmulTuning(saved.tuning);
    for (const c of edgeCases()) check(c, "float32");
    fc.assert(fc.property(caseArb(40), (c) => check(c, "float32")), { numRuns: 100 });
  });

  test("float64 (blocked JS and direct loop)", () => {
    setMatmulBackend(saved.backend);
    for (const smallMaxWork of [0, Infinity]) {
      setMatmulTuning({ ...saved.tuning, smallMaxWork });
      for (const c of edgeCases()) check(c, "float64");
      fc.assert(fc.property(caseArb(50), (c) => check(c, "float64")), { numRuns: 100 });
    }
  });

  test("k = 0 zeroes the output; empty outputs are a no-op", () => {
    const out = new Float32Array([7, 7, 7, 7, 7]);
    gemm(2, 2, 0, new Float32Array(0), 0, false, new Float32Array(0), 0, false, out, 1);
    expect(Array.from(out)).toEqual([7, 0, 0, 0, 0]);
    gemm(0, 3, 4, new Float32Array(0), 0, false, new Float32Array(12), 0, false, out, 0);
    expect(out[0]).toBe(7);
  });
});

// ---------------------------------------------------------------------------
// Accumulate mode, thread split, packed-B reuse, allocations: all bit for bit.

type DType = "float32" | "float64";

interface Operands {
  c: Case;
  a: FloatArray;
  b: FloatArray;
  /** The output array with C_old in place (values that make rounding and signed zeros matter). */
  out: FloatArray;
}

function operands(c: Case, dtype: DType): Operands {
  const Ctor = dtype === "float32" ? Float32Array : Float64Array;
  const a = new Ctor(c.aOffset + c.m * c.k + 3);
  const b = new Ctor(c.bOffset + c.k * c.n + 3);
  fillRandom(a, c.seed);
  fillRandom(b, c.seed * 7 + 1);
  const out = new Ctor(c.outOffset + c.m * c.n + 3);
  fillRandom(out, c.seed * 13 + 5);
  // Scaled so that C_old + T rounds (a scale that sums into the same binade would
  // hide a wrong order), plus signed zeros and exact cancellations.
  for (let i = 0; i < out.length; i++) {
    const r = i % 7;
    out[i] = r === 0 ? -0 : r === 1 ? 0 : r === 2 ? out[i] * 1e3 : r === 3 ? out[i] * 1e-3 : out[i] * (1 + c.k);
  }
  return { c, a, b, out };
}

function run(o: Operands, out: FloatArray, accumulate: boolean): void {
  const { c } = o;
  gemm(c.m, c.n, c.k, o.a, c.aOffset, c.transA, o.b, c.bOffset, c.transB, out, c.outOffset, accumulate);
}

/** The definition: T from the plain gemm into a fresh array of the same type, then C[i] = C[i] + T[i]. */
function tempPlusAdd(o: Operands): FloatArray {
  const { c } = o;
  const t = o.out instanceof Float32Array ? new Float32Array(c.m * c.n) : new Float64Array(c.m * c.n);
  gemm(c.m, c.n, c.k, o.a, c.aOffset, c.transA, o.b, c.bOffset, c.transB, t, 0);
  const want = o.out.slice();
  for (let i = 0; i < t.length; i++) want[c.outOffset + i] = want[c.outOffset + i] + t[i];
  return want;
}

function firstDifference(x: FloatArray, y: FloatArray): number {
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return i;
  return -1;
}

function expectSameBits(got: FloatArray, want: FloatArray, what: string): void {
  const i = firstDifference(got, want);
  if (i !== -1) throw new Error(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
}

/** Shapes around the k-blocks (256 in both kernels), the tile and panel edges and the raw/packed limit (128²). */
const ACC_SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 2], [4, 8, 256], [5, 9, 257], [7, 13, 600], [32, 128, 32], [32, 128, 128],
  [128, 128, 32], [129, 130, 129], [9, 300, 70], [64, 3, 513],
];

function accumulateCases(dtype: DType): Case[] {
  const cases: Case[] = [];
  let seed = 3;
  for (const [m, n, k] of ACC_SHAPES) {
    // The float64 kernel is plain JS: the largest shapes add time, not coverage.
    if (dtype === "float64" && m * n * k > 2e6) continue;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        cases.push({ m, n, k, transA, transB, aOffset: seed % 4, bOffset: (seed * 5) % 7, outOffset: seed % 3, seed: seed++ });
      }
    }
  }
  return cases;
}

function checkAccumulate(c: Case, dtype: DType): void {
  const o = operands(c, dtype);
  const want = tempPlusAdd(o);
  const got = o.out.slice();
  run(o, got, true);
  expectSameBits(got, want, `${JSON.stringify(c)} ${dtype} accumulate`);
}

describe("accumulate, thread split and reuse are exact", () => {
  let saved: { backend: MatmulBackend; tuning: Required<MatmulTuning> };
  beforeAll(async () => {
    saved = { backend: getMatmulBackend(), tuning: getMatmulTuning() };
    await ready();
  });
  afterAll(() => {
    setMatmulBackend(saved.backend);
    setMatmulTuning(saved.tuning);
  });

  test("ready() resolves from the package entry once the worker runs", async () => {
    await publicReady();
    expect(await startMatmulWorker()).toBe(true);
  });

  for (const p of PATHS) {
    for (const dtype of ["float32", "float64"] as const) {
      // Float64 runs the direct loop or the blocked JS kernel whatever the backend.
      if (dtype === "float64" && p.name.startsWith("WASM")) continue;
      test(`C += op(A)·op(B) equals T then C + T, ${dtype}, ${p.name}`, () => {
        setMatmulBackend(p.backend);
        setMatmulTuning({ ...saved.tuning, ...p.tuning });
        for (const c of accumulateCases(dtype)) checkAccumulate(c, dtype);
        fc.assert(fc.property(caseArb(p.maxDim), (c) => checkAccumulate(c, dtype)), { numRuns: p.runs });
      });
    }
  }

  test("accumulate with the default dispatch and in batches", () => {
    setMatmulBackend(saved.backend);
    setMatmulTuning(saved.tuning);
    for (const c of accumulateCases("float32")) checkAccumulate(c, "float32");
    // Two products summed into one C (the W_hh gradient over time steps), batched.
    const [m, n, k] = [32, 128, 32];
    const a = new Float32Array(3 * m * k);
    const b = new Float32Array(3 * k * n);
    fillRandom(a, 11);
    fillRandom(b, 12);
    const sum = new Float32Array(m * n);
    batchedGemm(m, n, k, a, [0, m * k, 2 * m * k], true, b, [0, k * n, 2 * k * n], false, sum, [0, 0, 0], true);
    const want = new Float32Array(m * n);
    const t = new Float32Array(m * n);
    for (let s = 0; s < 3; s++) {
      gemm(m, n, k, a, s * m * k, true, b, s * k * n, false, t, 0);
      for (let i = 0; i < t.length; i++) want[i] = want[i] + t[i];
    }
    expectSameBits(sum, want, "batched accumulate");
  });

  test("a batch of stacked matrices sharing one B (one product of batch·m rows) gives the per-matrix bits", () => {
    setMatmulBackend("wasm");
    const stacked = fc.record({
      m: fc.integer({ min: 1, max: 37 }),
      n: fc.integer({ min: 1, max: 70 }),
      // Past 256 the WASM kernel sums k in blocks: the rows given must not change those either.
      k: fc.integer({ min: 1, max: 300 }),
      count: fc.integer({ min: 2, max: 6 }),
      transB: fc.boolean(),
      accumulate: fc.boolean(),
      offset: fc.integer({ min: 0, max: 5 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
      path: fc.constantFrom<MatmulTuning>(
        saved.tuning,
        { ...saved.tuning, threadMinWork: Infinity },
        { ...saved.tuning, threadMinWork: 0, pauseOnLag: false },
      ),
    });
    fc.assert(
      fc.property(stacked, ({ m, n, k, count, transB, accumulate, offset, seed, path }) => {
        setMatmulTuning(path);
        const a = new Float32Array(offset + count * m * k);
        const b = new Float32Array(k * n);
        fillRandom(a, seed);
        fillRandom(b, seed + 1);
        const start = new Float32Array(offset + count * m * n);
        fillRandom(start, seed + 2);
        const offsets = (size: number) => Array.from({ length: count }, (_, i) => offset + i * size);
        const got = start.slice();
        batchedGemm(m, n, k, a, offsets(m * k), false, b, new Array(count).fill(0), transB, got, offsets(m * n), accumulate);
        const want = start.slice();
        for (let i = 0; i < count; i++) gemm(m, n, k, a, offset + i * m * k, false, b, 0, transB, want, offset + i * m * n, accumulate);
        expectSameBits(got, want, `stacked batch ${JSON.stringify({ m, n, k, count, transB, accumulate })}`);
      }),
      { numRuns: 120 },
    );
    setMatmulTuning(saved.tuning);
  });

  test("k = 0 accumulates zeros (and -0 becomes +0, as C + 0 does)", () => {
    for (const Ctor of [Float32Array, Float64Array]) {
      const out = new Ctor([7, -0, 2.5, 7]);
      gemm(1, 2, 0, new Ctor(0), 0, false, new Ctor(0), 0, false, out, 1, true);
      expect(Object.is(out[1], 0)).toBe(true);
      expect(Array.from(out)).toEqual([7, 0, 2.5, 7]);
    }
  });

  test("the thread split gives the single-thread bits, and the worker takes part", () => {
    setMatmulBackend("wasm");
    const jobsBefore = workerJobs();
    const shapes: Case[] = [
      ...accumulateCases("float32"),
      { m: 301, n: 257, k: 333, transA: true, transB: false, aOffset: 1, bOffset: 2, outOffset: 3, seed: 5 },
      { m: 160, n: 200, k: 300, transA: false, transB: true, aOffset: 0, bOffset: 0, outOffset: 0, seed: 6 },
      { m: 3, n: 7, k: 4000, transA: false, transB: false, aOffset: 0, bOffset: 0, outOffset: 0, seed: 7 },
    ];
    const check = (c: Case): void => {
      const o = operands(c, "float32");
      for (const accumulate of [false, true]) {
        setMatmulTuning({ ...saved.tuning, smallMaxWork: 0, threadMinWork: Infinity });
        const one = o.out.slice();
        run(o, one, accumulate);
        setMatmulTuning({ ...saved.tuning, smallMaxWork: 0, threadMinWork: 0, pauseOnLag: false });
        const two = o.out.slice();
        run(o, two, accumulate);
        expectSameBits(two, one, `${JSON.stringify(c)} two threads, accumulate ${accumulate}`);
      }
    };
    for (const c of shapes) check(c);
    fc.assert(fc.property(caseArb(140), check), { numRuns: 150 });
    // The main thread takes a job back when the worker is slow to claim it (its core
    // busy): a loaded machine can make it do everything, so give the worker time.
    setMatmulTuning({ ...saved.tuning, smallMaxWork: 0, threadMinWork: 0, pauseOnLag: false });
    const big = operands({ m: 256, n: 256, k: 256, transA: false, transB: false, aOffset: 0, bOffset: 0, outOffset: 0, seed: 9 }, "float32");
    for (let i = 0; i < 400 && workerJobs() === jobsBefore; i++) run(big, big.out, false);
    expect(workerJobs()).toBeGreaterThan(jobsBefore);
  });

  test("a B kept between calls follows every change of B's bits", () => {
    setMatmulBackend("wasm");
    // transB is always packed (and kept); 60×300 is packed for its size; a small row-major B
    // is kept raw when the worker reads it (two threads).
    for (const [threadMinWork, c] of [
      [Infinity, { m: 32, n: 128, k: 128, transA: false, transB: true, aOffset: 0, bOffset: 0, outOffset: 0, seed: 21 }],
      [Infinity, { m: 20, n: 300, k: 60, transA: false, transB: false, aOffset: 1, bOffset: 2, outOffset: 0, seed: 22 }],
      [0, { m: 32, n: 128, k: 128, transA: false, transB: true, aOffset: 0, bOffset: 0, outOffset: 0, seed: 23 }],
      [0, { m: 32, n: 128, k: 128, transA: false, transB: false, aOffset: 5, bOffset: 3, outOffset: 0, seed: 24 }],
      [0, { m: 128, n: 128, k: 32, transA: true, transB: false, aOffset: 0, bOffset: 7, outOffset: 0, seed: 25 }],
    ] as const) {
      setMatmulTuning({ ...saved.tuning, smallMaxWork: 0, threadMinWork, pauseOnLag: false });
      const o = operands(c, "float32");
      const fresh = (): FloatArray => {
        clearPackedCache();
        const out = new Float32Array(c.m * c.n);
        run(o, out, false);
        return out;
      };
      const cached = (): FloatArray => {
        const out = new Float32Array(c.m * c.n);
        run(o, out, false);
        return out;
      };
      cached();
      expectSameBits(cached(), fresh(), "unchanged B");
      fresh();
      // One element, the last one, and a sign flip of a zero: every bit counts.
      o.b[c.bOffset + 17] += 0.25;
      expectSameBits(cached(), fresh(), "one element changed");
      o.b[c.bOffset + c.k * c.n - 1] = -o.b[c.bOffset + c.k * c.n - 1];
      expectSameBits(cached(), fresh(), "last element changed");
      o.b[c.bOffset] = 0;
      cached();
      cached();
      o.b[c.bOffset] = -0;
      expectSameBits(cached(), fresh(), "+0 became -0");
      // Changed twice in a row, then kept.
      o.b[c.bOffset + 5] += 1;
      expectSameBits(cached(), fresh(), "changed again");
      cached();
      o.b[c.bOffset + 6] += 1;
      expectSameBits(cached(), fresh(), "changed after a kept copy");
      expectSameBits(cached(), fresh(), "then unchanged");
      // Another array with the same bits at the same offset reuses nothing wrongly.
      const copy = o.b.slice();
      const viaCopy = new Float32Array(c.m * c.n);
      gemm(c.m, c.n, c.k, o.a, c.aOffset, c.transA, copy, c.bOffset, c.transB, viaCopy, 0);
      expectSameBits(viaCopy, fresh(), "a copy of B");
    }
  });

  test("repeated calls allocate nothing (allocation hook of the WASM path)", () => {
    setMatmulBackend("wasm");
    const shapes: Case[] = [
      { m: 32, n: 128, k: 32, transA: false, transB: true, aOffset: 0, bOffset: 0, outOffset: 0, seed: 1 },
      { m: 32, n: 128, k: 128, transA: false, transB: true, aOffset: 4096, bOffset: 0, outOffset: 0, seed: 2 },
      { m: 32, n: 128, k: 128, transA: false, transB: false, aOffset: 0, bOffset: 0, outOffset: 4096, seed: 3 },
      { m: 128, n: 128, k: 32, transA: true, transB: false, aOffset: 128, bOffset: 4096, outOffset: 0, seed: 4 },
      { m: 30, n: 50, k: 300, transA: true, transB: true, aOffset: 3, bOffset: 5, outOffset: 7, seed: 5 },
      { m: 200, n: 180, k: 150, transA: false, transB: false, aOffset: 1, bOffset: 2, outOffset: 3, seed: 6 },
    ];
    const ops = shapes.map((c) => operands(c, "float32"));
    // The B of W3's weight gradient: one stacked array read at 50 offsets, a new key each call.
    const [m, n, k] = [128, 128, 32];
    const g = new Float32Array(m * k);
    const stacked = new Float32Array(50 * k * n);
    const grad = new Float32Array(m * n);
    fillRandom(g, 31);
    fillRandom(stacked, 32);
    for (const threadMinWork of [Infinity, 0]) {
      setMatmulTuning({ ...saved.tuning, smallMaxWork: 0, threadMinWork, pauseOnLag: false });
      const all = (): void => {
        for (const o of ops) {
          run(o, o.out, false);
          run(o, o.out, true);
        }
        for (let t = 0; t < 50; t++) gemm(m, n, k, g, 0, true, stacked, t * k * n, false, grad, 0, t > 0);
      };
      all(); // views and cache slots are made on first sight of an (array, offset)
      const before = matmulAllocations(); 
      for (let i = 0; i < 20; i++) all();
      expect(matmulAllocations() - before).toBe(0);
    }
  });
});

test("committed WASM bytes match matmul.wat", async () => {
  const bytes = await assembleWat("matmul.wat", readFileSync(MATMUL_WAT_PATH, "utf8"));
  expect(Buffer.from(MATMUL_WASM_BASE64, "base64").equals(Buffer.from(bytes))).toBe(true);
  // Also catches hand edits to the generated module's text.
  expect(readFileSync(MATMUL_GENERATED_PATH, "utf8")).toBe(renderGeneratedModule(bytes));
});
