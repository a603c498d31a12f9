/**
 * Float32 square matmul throughput per kernel path.
 * Run: node --import tsx bench/matmul.ts [sizes...]
 * Prints the median GFLOP/s (2·N³ flops per call) of repeated calls.
 */
import {
  gemm,
  getMatmulTuning,
  setMatmulBackend,
  setMatmulTuning,
  startMatmulWorker,
  wasmAvailable,
} from "../packages/core/src/kernels/matmul/index";

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
const NS = sizes.length > 0 ? sizes : [64, 256, 512, 1024];

function randomMatrix(len: number): Float32Array {
  const x = new Float32Array(len);
  for (let i = 0; i < len; i++) x[i] = Math.random() * 2 - 1;
  return x;
}

/** Median GFLOP/s, running for roughly budgetMs after a warm-up. */
function measure(n: number, budgetMs = 600): number {
  const a = randomMatrix(n * n);
  const b = randomMatrix(n * n);
  const out = new Float32Array(n * n);
  const run = (): void => gemm(n, n, n, a, 0, false, b, 0, false, out, 0);
  // Warm-up lets V8 tier the JS and WASM code up to TurboFan.
  const warmEnd = performance.now() + 150;
  do run(); while (performance.now() < warmEnd);
  const times: number[] = [];
  const end = performance.now() + budgetMs;
  while (times.length < 5 || (performance.now() < end && times.length < 2000)) {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  const median = times[times.length >> 1];
  return (2 * n ** 3) / (median * 1e6);
}

const defaults = getMatmulTuning();
const paths: { name: string; setup: () => void }[] = [
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

console.log(`float32 square matmul, median GFLOP/s (Node ${process.version})`);
console.log(["path".padEnd(16), ...NS.map((n) => `N=${n}`.padStart(9))].join(""));
for (const p of paths) {
  p.setup();
  const cells = NS.map((n) => measure(n).toFixed(1).padStart(9));
  console.log([p.name.padEnd(16), ...cells].join(""));
}
setMatmulTuning(defaults);
