/**
 * Dense matrix-multiply kernels on typed arrays (no graph code).
 *
 * Float32 dispatch: tiny products run a direct loop (no packing, no copies);
 * the rest go to the WebAssembly SIMD kernel (two threads above a work
 * threshold), or to the blocked JS kernel when WebAssembly is unavailable or
 * the "js" backend is selected. Float64 always uses the blocked JS kernel.
 *
 * Accumulate mode (`C += op(A)·op(B)`) gives, on every path and for every shape,
 * the bits of T = op(A)·op(B) computed by the same path into an array of C's
 * type, then C[i] = C[i] + T[i] rounded to that type: each path finishes its
 * k-sum (over all k-blocks) apart from C and adds C_old once at the end.
 */
import { blockedGemm, naiveGemm, type FloatArray } from "./jsGemm";
import {
  clearPackedCache,
  getPauseOnLag,
  getThreadMinWork,
  matmulAllocations,
  setPauseOnLag,
  setThreadMinWork,
  startMatmulWorker,
  wasmAvailable,
  wasmGemm,
  workerJobs,
} from "./wasmGemm";

export type { FloatArray };
export { clearPackedCache, matmulAllocations, startMatmulWorker, wasmAvailable, workerJobs };

/**
 * Resolves once the WebAssembly kernel is compiled and its worker thread can
 * take jobs, so the first products of a program already use both cores. Never
 * rejects: where WebAssembly or threads are unavailable (e.g. a browser page
 * without cross-origin isolation) it resolves at once and the kernels run on
 * one thread.
 */
export async function ready(): Promise<void> {
  await startMatmulWorker();
}

export type MatmulBackend = "js" | "wasm";

let backend: MatmulBackend = "wasm";

/**
 * Up to this m·n·k the direct loop beats packing (JS) or copying into WASM
 * memory: the WASM path costs ~0.7 µs fixed (two copies in, three calls, one
 * copy out), which the direct loop only exceeds at about 8×8×8.
 */
let smallMaxWork = 8 * 8 * 8;

/** "wasm" (default) falls back to JS by itself where WebAssembly is unavailable. */
export function setMatmulBackend(b: MatmulBackend): void {
  backend = b;
}

export function getMatmulBackend(): MatmulBackend {
  return backend;
}

export interface MatmulTuning {
  /** m·n·k at or below which the direct loop is used. */
  smallMaxWork?: number;
  /** m·n·k from which the WASM path splits work with the worker thread. */
  threadMinWork?: number;
  /**
   * After the worker kept this thread waiting (its core busy with other work),
   * run products below 112³ on one thread for a while (default true). Off, every
   * product from threadMinWork on is split: tests and benchmarks force paths so.
   */
  pauseOnLag?: boolean;
}

/** Tests use this to force a path (e.g. threading on a moderate size). */
export function setMatmulTuning(t: MatmulTuning): void {
  if (t.smallMaxWork !== undefined) smallMaxWork = t.smallMaxWork;
  if (t.threadMinWork !== undefined) setThreadMinWork(t.threadMinWork);
  if (t.pauseOnLag !== undefined) setPauseOnLag(t.pauseOnLag);
}

export function getMatmulTuning(): Required<MatmulTuning> {
  return { smallMaxWork, threadMinWork: getThreadMinWork(), pauseOnLag: getPauseOnLag() };
}

/**
 * out[m×n] = op(A)·op(B), row-major, overwriting out; with `accumulate`,
 * out += op(A)·op(B) (the same bits as the product into a temporary, then an
 * add). op(A) is m×k: A is stored m×k, or k×m when transA (read in place, no
 * copy). op(B) is k×n: B stored k×n, or n×k when transB. Offsets let a batched
 * caller point at one matrix of a batch. out must not overlap a or b.
 */
export function gemm(
  m: number, n: number, k: number,
  a: FloatArray, aOffset: number, transA: boolean,
  b: FloatArray, bOffset: number, transB: boolean,
  out: FloatArray, outOffset: number, accumulate = false,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    // T is all +0; C + 0 still turns -0 into +0, as the separate add would.
    if (accumulate) for (let i = outOffset; i < outOffset + m * n; i++) out[i] += 0;
    else out.fill(0, outOffset, outOffset + m * n);
    return;
  }
  const work = m * n * k;
  if (work <= smallMaxWork) {
    naiveGemm(m, n, k, a, aOffset, transA, b, bOffset, transB, out, outOffset, accumulate);
    return;
  }
  if (
    backend === "wasm" &&
    a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array &&
    wasmGemm(m, n, k, a, aOffset, transA, b, bOffset, transB, out, outOffset, accumulate)
  ) {
    return;
  }
  blockedGemm(m, n, k, a, aOffset, transA, b, bOffset, transB, out, outOffset, accumulate);
}

/**
 * One gemm per matrix of a batch: product i reads op(A) at `aOffsets[i]` and op(B) at
 * `bOffsets[i]` and writes (or, with `accumulate`, adds into) `outOffsets[i]`, so
 * broadcast batch operands are read in place.
 *
 * A batch that shares one B and whose A and C matrices follow each other row-major (a Linear or
 * an RNN's input projection applied to a whole (L, B, in) sequence) is one product of
 * batch·m rows, on the WebAssembly kernel: one B packing and one call that both threads can share,
 * instead of `batch` small ones. Its bits are the same: that kernel's sum for an element depends
 * only on k, never on how many rows it is given (tested against the per-matrix loop).
 */
export function batchedGemm(
  m: number, n: number, k: number,
  a: FloatArray, aOffsets: readonly number[], transA: boolean,
  b: FloatArray, bOffsets: readonly number[], transB: boolean,
  out: FloatArray, outOffsets: readonly number[], accumulate = false,
): void {
  const count = outOffsets.length;
  if (
    count > 1 && m * n * k > smallMaxWork && backend === "wasm" &&
    !transA && stacksRows(aOffsets, m * k) && stacksRows(outOffsets, m * n) && stacksRows(bOffsets, 0) &&
    a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array &&
    wasmGemm(count * m, n, k, a, aOffsets[0], false, b, bOffsets[0], transB, out, outOffsets[0], accumulate)
  ) {
    return;
  }
  for (let i = 0; i < count; i++) {
    gemm(m, n, k, a, aOffsets[i], transA, b, bOffsets[i], transB, out, outOffsets[i], accumulate);
  }
}

/** Offsets that place matrices of `size` elements one right after another (size 0: all one matrix). */
function stacksRows(offsets: readonly number[], size: number): boolean {
  for (let i = 1; i < offsets.length; i++) if (offsets[i] !== offsets[0] + i * size) return false;
  return true;
}
