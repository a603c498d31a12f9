/**
 * Float32 matmul per kernel path: square sizes in GFLOP/s, and the shapes W3's training step
 * runs (about 250 calls per step) in µs per call, with the heap bytes each call allocates.
 *
 * Run: node --conditions=source --import tsx bench/matmul.ts [--baseline <index.ts>] [sizes...]
 *
 * `--baseline` loads another copy of the kernels (e.g. an older commit's, extracted with
 * `git archive <rev> packages/core/src/kernels/matmul | tar -x -C /tmp/base`, plus a
 * package.json with "type": "module" there) and times it in the same process, interleaved.
 * The paths are interleaved too: each figure is the median over rounds, and every round times
 * each path once (a warm-up, then a batch of calls of at least 2 ms), so a machine whose speed
 * drifts (shared cores) shifts all paths alike instead of whichever ran last.
 */
import { loadavg } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { getHeapStatistics } from "node:v8";
import * as current from "../packages/core/src/kernels/matmul/index";
import { uniformArray } from "./common";

type Kernels = Pick<typeof current, "gemm" | "getMatmulTuning" | "setMatmulBackend" | "setMatmulTuning" | "startMatmulWorker" | "wasmAvailable">;

const args = process.argv.slice(2);
const baselineAt = args.indexOf("--baseline");
const baselinePath = baselineAt >= 0 ? args[baselineAt + 1] : undefined;
const sizes = args.filter((x, i) => i !== baselineAt && i !== baselineAt + 1).map(Number).filter((x) => x > 0);
const NS = sizes.length > 0 ? sizes : [64, 256, 512, 1024];

/** m×n×k with the stored layouts W3's compiled step uses (transposes are read in place). */
interface Shape {
  label: string;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** C += A·B: the W_hh gradient summed over time steps. */
  accumulate?: boolean;
}
const W3_SHAPES: Shape[] = [
  { label: "32×128×32 x·Wihᵀ", m: 32, n: 128, k: 32, transA: false, transB: true },
  { label: "32×128×128 h·Whhᵀ", m: 32, n: 128, k: 128, transA: false, transB: true },
  { label: "32×128×128 g·Whh", m: 32, n: 128, k: 128, transA: false, transB: false },
  { label: "128×128×32 gᵀ·h", m: 128, n: 128, k: 32, transA: true, transB: false },
  { label: "same, C +=", m: 128, n: 128, k: 32, transA: true, transB: false, accumulate: true },
];

interface Path {
  name: string;
  kernels: Kernels;
  setup: () => void;
  /** Kernels without accumulate mode add a separately computed product (what a program did before). */
  canAccumulate: boolean;
}

async function pathsOf(kernels: Kernels, suffix: string, canAccumulate: boolean): Promise<Path[]> {
  const defaults = kernels.getMatmulTuning();
  const paths: Path[] = [
    { name: `js${suffix}`, kernels, canAccumulate, setup: () => { kernels.setMatmulBackend("js"); kernels.setMatmulTuning({ smallMaxWork: 0 }); } },
  ];
  if (!kernels.wasmAvailable()) return paths;
  const threads = await kernels.startMatmulWorker();
  const wasm = (name: string, tuning: object): Path => ({
    name: `${name}${suffix}`,
    kernels,
    canAccumulate,
    setup: () => { kernels.setMatmulBackend("wasm"); kernels.setMatmulTuning({ ...defaults, ...tuning }); },
  });
  paths.push(wasm("wasm-1thread", { smallMaxWork: 0, threadMinWork: Infinity }));
  if (threads) paths.push(wasm("wasm-2threads", { smallMaxWork: 0, threadMinWork: 0, pauseOnLag: false }));
  paths.push(wasm("auto (default)", {}));
  return paths;
}

function caller(p: Path, s: Shape, seed: number): () => void {
  const a = uniformArray(s.m * s.k, -1, 1, seed);
  const b = uniformArray(s.k * s.n, -1, 1, seed + 1);
  const out = new Float32Array(s.m * s.n);
  const { gemm } = p.kernels;
  if (!s.accumulate) return () => gemm(s.m, s.n, s.k, a, 0, s.transA, b, 0, s.transB, out, 0);
  // out[0] reset: a sum that grows forever would overflow (and slow down).
  if (p.canAccumulate) return () => { gemm(s.m, s.n, s.k, a, 0, s.transA, b, 0, s.transB, out, 0, true); out[0] = 0; };
  const t = new Float32Array(s.m * s.n);
  return () => {
    gemm(s.m, s.n, s.k, a, 0, s.transA, b, 0, s.transB, t, 0);
    for (let i = 0; i < t.length; i++) out[i] += t[i];
    out[0] = 0;
  };
}

/** Median ms per call of each path on one shape, over interleaved rounds. */
function interleaved(paths: Path[], s: Shape, rounds: number): number[] {
  const runs = paths.map((p, i) => { p.setup(); return caller(p, s, 100 + i); });
  const perCall = runs.map((run, i) => {
    paths[i].setup();
    const end = performance.now() + 100; // warm-up: V8 tiers JS and WASM up to TurboFan
    let calls = 0;
    do { run(); calls++; } while (performance.now() < end);
    return 100 / calls;
  });
  const samples: number[][] = paths.map(() => []);
  for (let r = 0; r < rounds; r++) {
    paths.forEach((p, i) => {
      p.setup();
      const run = runs[i];
      // The previous path's worker may still be spinning; let it settle before timing.
      const warmEnd = performance.now() + 0.5;
      do run(); while (performance.now() < warmEnd);
      const batch = Math.max(1, Math.ceil(2 / perCall[i]));
      const t = performance.now();
      for (let c = 0; c < batch; c++) run();
      samples[i].push((performance.now() - t) / batch);
    });
  }
  return samples.map((x) => x.sort((a, b) => a - b)[x.length >> 1]);
}

/**
 * Heap bytes allocated per call: growth of the used heap over many calls during which no
 * collection ran (a GC observer tells), so the figure is exact when it is reported at all.
 */
function bytesPerCall(p: Path, s: Shape, calls = 2000): number | undefined {
  p.setup();
  const run = caller(p, s, 7);
  for (let i = 0; i < 200; i++) run();
  for (let attempt = 0; attempt < 5; attempt++) {
    let collections = 0;
    const obs = new PerformanceObserver((list) => { collections += list.getEntries().length; });
    obs.observe({ entryTypes: ["gc"] });
    const before = getHeapStatistics().used_heap_size;
    for (let i = 0; i < calls; i++) run();
    const after = getHeapStatistics().used_heap_size;
    obs.disconnect();
    // The observer reports asynchronously; a collection in the window also shows as shrinkage.
    if (collections === 0 && after >= before) return (after - before) / calls;
  }
  return undefined;
}

const paths = await pathsOf(current, "", true);
if (baselinePath !== undefined) {
  const base = (await import(pathToFileURL(baselinePath).href)) as Kernels;
  paths.push(...(await pathsOf(base, " [base]", false)));
}
const row = (name: string, cells: string[], width: number): string => [name.padEnd(22), ...cells.map((c) => c.padStart(width))].join("");

console.log(`Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
if (baselinePath !== undefined) console.log(`[base] = ${baselinePath}`);
console.log("float32 square matmul, median GFLOP/s");
console.log(row("path", NS.map((n) => `N=${n}`), 9));
const square = NS.map((n) => interleaved(paths, { label: "", m: n, n, k: n, transA: false, transB: false }, n >= 1024 ? 5 : 9));
paths.forEach((p, i) => console.log(row(p.name, square.map((ms, j) => ((2 * NS[j] ** 3) / (ms[i] * 1e6)).toFixed(1)), 9)));

console.log("\nW3 shapes (m×n×k), median µs per call");
console.log(row("path", W3_SHAPES.map((s) => s.label), 20));
const w3 = W3_SHAPES.map((s) => interleaved(paths, s, 25));
paths.forEach((p, i) => console.log(row(p.name, w3.map((ms) => (ms[i] * 1000).toFixed(1)), 20)));

console.log("\nheap bytes allocated per call (W3 shapes)");
paths.filter((p) => !p.name.startsWith("js")).forEach((p) => {
  console.log(row(p.name, W3_SHAPES.map((s) => { const b = bytesPerCall(p, s); return b === undefined ? "?" : b.toFixed(0); }), 20));
});
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
