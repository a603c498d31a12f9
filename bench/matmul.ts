/**
 * Float32 matmul per kernel path: square sizes in GFLOP/s, and the shapes W3's training step
 * runs (about 250 calls per step) in µs per call.
 * Run: node --conditions=source --import tsx bench/matmul.ts [sizes...]
 * Every figure is the median over samples of batched calls (`medianMs`), after a warm-up.
 */
import { loadavg } from "node:os";
import { getHeapStatistics } from "node:v8";
import { PerformanceObserver } from "node:perf_hooks";
import {
  gemm,
  getMatmulTuning,
  setMatmulBackend,
  setMatmulTuning,
  startMatmulWorker,
  wasmAvailable,
  workerJobs,
} from "../packages/core/src/kernels/matmul/index";
import { gflops, medianMs, uniformArray } from "./common";

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
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

function operands(s: Shape, seed: number): () => void {
  const a = uniformArray(s.m * s.k, -1, 1, seed);
  const b = uniformArray(s.k * s.n, -1, 1, seed + 1);
  const out = new Float32Array(s.m * s.n);
  const accumulate = s.accumulate ?? false;
  // Accumulating into the same C forever would overflow to Infinity (and slow down): keep it small.
  if (accumulate) return () => { gemm(s.m, s.n, s.k, a, 0, s.transA, b, 0, s.transB, out, 0, true); out[0] = 0; };
  return () => gemm(s.m, s.n, s.k, a, 0, s.transA, b, 0, s.transB, out, 0);
}

/**
 * Heap bytes allocated per call: growth of the used heap over many calls during which no
 * collection ran (a GC observer tells), so the figure is exact when it is reported at all.
 */
function bytesPerCall(run: () => void, calls = 2000): number | undefined {
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

interface Path {
  name: string;
  setup: () => void;
}

const defaults = getMatmulTuning();
const paths: Path[] = [
  { name: "js", setup: () => { setMatmulBackend("js"); setMatmulTuning({ smallMaxWork: 0 }); } },
];
if (wasmAvailable()) {
  const threads = await startMatmulWorker();
  paths.push({
    name: "wasm-1thread",
    setup: () => { setMatmulBackend("wasm"); setMatmulTuning({ smallMaxWork: 0, threadMinWork: Infinity }); },
  });
  if (threads) {
    paths.push({
      name: "wasm-2threads",
      setup: () => { setMatmulBackend("wasm"); setMatmulTuning({ smallMaxWork: 0, threadMinWork: 0 }); },
    });
  }
  paths.push({
    name: "auto (default)",
    setup: () => { setMatmulBackend("wasm"); setMatmulTuning(defaults); },
  });
}

console.log(`Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log("float32 square matmul, median GFLOP/s");
console.log(["path".padEnd(16), ...NS.map((n) => `N=${n}`.padStart(9))].join(""));
for (const p of paths) {
  p.setup();
  const cells = NS.map((n) => {
    const run = operands({ label: "", m: n, n, k: n, transA: false, transB: false }, n);
    return gflops(n, medianMs(run, { warmupMs: 150, budgetMs: 600 })).toFixed(1).padStart(9);
  });
  console.log([p.name.padEnd(16), ...cells].join(""));
}

console.log("\nW3 shapes (m×n×k), median µs per call; heap bytes allocated per call");
console.log(["path".padEnd(16), ...W3_SHAPES.map((s) => s.label.padStart(20))].join(""));
for (const p of paths) {
  p.setup();
  const cells = W3_SHAPES.map((s, i) => {
    const run = operands(s, 100 + 2 * i);
    const us = medianMs(run, { warmupMs: 150, budgetMs: 500 }) * 1000;
    const bytes = bytesPerCall(run);
    return `${us.toFixed(1)} µs ${bytes === undefined ? "?" : bytes.toFixed(0)} B`.padStart(20);
  });
  console.log([p.name.padEnd(16), ...cells].join(""));
}
if (wasmAvailable()) console.log(`worker jobs: ${workerJobs()}`);
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
setMatmulTuning(defaults);
