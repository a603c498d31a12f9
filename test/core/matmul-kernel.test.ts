import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  assembleWat,
  MATMUL_GENERATED_PATH,
  MATMUL_WAT_PATH,
  renderGeneratedModule,
} from "../../packages/core/scripts/build-wasm";
import {
  gemm,
  getMatmulBackend,
  getMatmulTuning,
  setMatmulBackend,
  setMatmulTuning,
  startMatmulWorker,
  wasmAvailable,
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
  { name: "WASM SIMD, two threads", backend: "wasm", tuning: { smallMaxWork: 0, threadMinWork: 0 }, maxDim: 70, runs: 150 },
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
    setMatmulTuning({ ...saved.tuning, smallMaxWork: 0, threadMinWork: 0 });
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

test("committed WASM bytes match matmul.wat", async () => {
  const bytes = await assembleWat("matmul.wat", readFileSync(MATMUL_WAT_PATH, "utf8"));
  expect(Buffer.from(MATMUL_WASM_BASE64, "base64").equals(Buffer.from(bytes))).toBe(true);
  // Also catches hand edits to the generated module's text.
  expect(readFileSync(MATMUL_GENERATED_PATH, "utf8")).toBe(renderGeneratedModule(bytes));
});
