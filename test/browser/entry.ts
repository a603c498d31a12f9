/**
 * What test/browser/page.test.ts bundles: the browser example as it is, plus measurements the
 * example does not show (the matmul worker's job count is internal). The result is left on
 * `globalThis.pageResult` for the test to read.
 */
import { tensor } from "@gradgraph/core";
import { Linear, load, loadCheckpoint, restore, save, saveCheckpoint, writeLossCurve } from "@gradgraph/nn";
import { writeGraph } from "@gradgraph/viz";
import { report } from "../../examples/browser/main";
import { wasmAvailable, workerJobs } from "../../packages/core/src/kernels/matmul";
import { setMainSpin } from "../../packages/core/src/kernels/matmul/wasmGemm";

/** Operands whose products sum exactly in float32 (multiples of 1/64 below 2^8), so any order of summation gives the loop's bits. */
const N = 256;
const entry = (i: number, salt: number) => (((i * 7 + salt) % 13) - 6) / 8;
const A = Float32Array.from({ length: N * N }, (_, i) => entry(i, 3));
const B = Float32Array.from({ length: N * N }, (_, i) => entry(i, 5));

function loopProduct(): Float32Array {
  const c = new Float32Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < N; k++) s += A[i * N + k] * B[k * N + j];
      c[i * N + j] = s;
    }
  }
  return c;
}

async function measure() {
  const page = await report;
  const expected = loopProduct();
  const jobsBefore = workerJobs();
  // Straight to the wait once the worker has claimed its half: where the page's main thread may
  // not block (Atomics.wait throws there), it must spin.
  setMainSpin(0);
  // A product the main thread finishes before the worker claims its half runs on one thread:
  // repeat (fresh leaves each time, or the value would be the cached one) until the worker took part.
  let products = 0;
  let mismatches = 0;
  const deadline = performance.now() + 20_000;
  while (products < 400 && performance.now() < deadline && (products < 8 || workerJobs() === jobsBefore)) {
    const c = tensor(A, { shape: [N, N] }).matmul(tensor(B, { shape: [N, N] })).data();
    if (!c.every((v, i) => v === expected[i])) mismatches++;
    products++;
  }
  // What each Node-only function says in a page, by its name.
  const nodeOnly: Record<string, () => Promise<unknown>> = {
    save: () => save(new Linear(2, 2), "model.safetensors"),
    load: () => load("model.safetensors"),
    restore: () => restore("model.safetensors", new Linear(2, 2)),
    saveCheckpoint: () => saveCheckpoint({}, "model.safetensors"),
    loadCheckpoint: () => loadCheckpoint("model.safetensors"),
    writeLossCurve: () => writeLossCurve("loss.svg", [1, 0.5]),
    writeGraph: () => writeGraph("graph.svg", tensor([1, 2]).sum()),
  };
  const nodeOnlyErrors: Record<string, string> = {};
  for (const [name, call] of Object.entries(nodeOnly)) {
    nodeOnlyErrors[name] = await call().then(
      () => "no error",
      (error: Error) => error.message,
    );
  }
  return { ...page, matmul: { wasm: wasmAvailable(), products, mismatches, workerJobs: workerJobs() - jobsBefore }, nodeOnlyErrors };
}

(globalThis as { pageResult?: unknown }).pageResult = measure().catch((error: Error) => ({ error: `${error.message}\n${error.stack}` }));
