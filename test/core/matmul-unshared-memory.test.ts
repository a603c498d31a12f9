/**
 * Where the engine refuses shared WebAssembly memory (Firefox and Safari outside a cross-origin
 * isolated page), the SIMD kernel still runs, on unshared memory and one thread. Here a
 * WebAssembly whose Memory refuses `shared: true` stands in for such a page, with the kernel
 * module loaded afresh so that it meets that WebAssembly first.
 */
import { afterAll, expect, test, vi } from "vitest";

/** The slice of the WebAssembly JS API the kernel uses; the repo's TS libs don't declare it. */
interface MemoryDescriptor {
  initial: number;
  maximum: number;
  shared: boolean;
}
const real = (globalThis as unknown as { WebAssembly: { Module: object; Instance: object; Memory: new (d: MemoryDescriptor) => object } }).WebAssembly;
class MemoryRefusingShared extends real.Memory {
  constructor(descriptor: MemoryDescriptor) {
    if (descriptor.shared) throw new TypeError("WebAssembly.Memory: shared memory needs a cross-origin isolated page");
    super(descriptor);
  }
}

afterAll(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

/** Multiples of 1/8 in [-0.75, 0.75]: every product and partial sum is exact in float32, in any order. */
const operand = (length: number, salt: number) => Float32Array.from({ length }, (_, i) => (((i * 7 + salt) % 13) - 6) / 8);

function loop(m: number, n: number, k: number, a: Float32Array, b: Float32Array): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}

test("the WASM kernel runs on unshared memory, single-threaded, with the loop's values", async () => {
  vi.stubGlobal("WebAssembly", { Module: real.Module, Instance: real.Instance, Memory: MemoryRefusingShared });
  vi.resetModules();
  const kernel = await import("../../packages/core/src/kernels/matmul/wasmGemm");
  expect(kernel.wasmAvailable()).toBe(true);
  // Threads need the memory shared: the worker is not even started.
  expect(await kernel.startMatmulWorker()).toBe(false);
  kernel.setThreadMinWork(0);

  // The scratch lies past the kept B slots, beyond the first 1 MiB: the first call grows the memory,
  // which replaces its buffer. 8x8x8 is read in place; 300x260x270 is packed.
  for (const [m, n, k] of [[8, 8, 8], [33, 17, 40], [300, 260, 270]]) {
    const a = operand(m * k, 3);
    const b = operand(k * n, 5);
    const out = new Float32Array(m * n);
    expect(kernel.wasmGemm(m, n, k, a, 0, false, b, 0, false, out, 0, false), `${m}x${n}x${k}`).toBe(true);
    expect(Array.from(out), `${m}x${n}x${k}`).toEqual(Array.from(loop(m, n, k, a, b)));
  }
  expect(kernel.workerJobs()).toBe(0);
});
