/**
 * Float32 GEMM on the WebAssembly SIMD kernel in matmul.wat, optionally split
 * across a worker thread that runs the same module on the same shared memory.
 */
import { packPanelsJs, packTilesJs } from "./jsGemm";
import { MATMUL_WASM_BASE64 } from "./matmulWasm.generated";

// Must match the register tile of $kernel4x8 in matmul.wat.
const MR = 4;
const NR = 8;
// Measured on Zen 5 (48 KB L1d, 1 MB L2) at N = 1024; see bench/matmul.ts.
const KC = 256;
const NC_PANELS = 64;

/** The slice of the WebAssembly JS API used here; the repo's TS libs don't declare it. */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
type GemmExport = (
  ap: number, bp: number, cp: number, ldc: number, k: number,
  t0: number, t1: number, j0: number, j1: number, kcMax: number, ncMax: number,
) => void;

interface Engine {
  module: object;
  memory: WasmMemory;
  gemm: GemmExport;
  f32: Float32Array;
}

const PAGE = 65536;
const MAX_PAGES = 65536;

let engine: Engine | null | undefined;

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function getEngine(): Engine | null {
  if (engine !== undefined) return engine;
  engine = null;
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  try {
    const module = new api.Module(decodeBase64(MATMUL_WASM_BASE64));
    const memory = new api.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const instance = new api.Instance(module, { env: { memory } });
    const gemm = instance.exports.gemm as GemmExport;
    engine = { module, memory, gemm, f32: new Float32Array(memory.buffer) };
  } catch {
    // No SIMD, no threads proposal (shared memory), or no WebAssembly at all.
    engine = null;
  }
  return engine;
}

export function wasmAvailable(): boolean {
  return getEngine() !== null;
}

function ensureBytes(e: Engine, bytes: number): boolean {
  const have = e.memory.buffer.byteLength;
  if (bytes > have) {
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) return false;
    e.memory.grow(pages);
  }
  // A grown shared memory hands out a new, longer SharedArrayBuffer.
  if (e.f32.buffer.byteLength !== e.memory.buffer.byteLength) e.f32 = new Float32Array(e.memory.buffer);
  return true;
}

// ---------------------------------------------------------------------------
// Worker thread

// Control block slots (Int32Array over a SharedArrayBuffer).
const SEQ = 0; // job number posted by the main thread
const DONE = 1; // job number the worker finished
const READY = 2; // 1 once the worker instantiated the module, -1 if it failed
const FAILED = 3; // job number whose gemm threw in the worker
const ARGS = 4; // 11 gemm arguments

/**
 * Plain CommonJS source (eval worker) rather than a separate file, so the
 * library works unchanged when bundled by tsup or any consumer's bundler.
 */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const ctrl = new Int32Array(workerData.ctrl);
let gemm;
try {
  const instance = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
  gemm = instance.exports.gemm;
  Atomics.store(ctrl, ${READY}, 1);
} catch (err) {
  Atomics.store(ctrl, ${READY}, -1);
  throw err;
}
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  const a = ctrl.subarray(${ARGS}, ${ARGS + 11});
  try {
    gemm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
  } catch {
    Atomics.store(ctrl, ${FAILED}, seen);
  }
  Atomics.store(ctrl, ${DONE}, seen);
  Atomics.notify(ctrl, ${DONE});
}
`;

interface WorkerHandle {
  ctrl: Int32Array;
  seq: number;
}

interface WorkerLike {
  unref(): void;
  on(event: "error" | "exit", cb: () => void): void;
}
type WorkerCtor = new (src: string, opts: { eval: true; workerData: unknown }) => WorkerLike;

/** undefined: not tried yet; null: threads unavailable. */
let worker: WorkerHandle | null | undefined;

function loadWorkerCtor(): WorkerCtor | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.("node:worker_threads") as { Worker?: WorkerCtor } | undefined;
  return mod?.Worker ?? null;
}

/** Starts the helper thread if not tried yet; returns it only once it is ready. */
function readyWorker(e: Engine): WorkerHandle | null {
  if (worker === undefined) {
    worker = null;
    try {
      const Worker = loadWorkerCtor();
      if (Worker) {
        const ctrlBuf = new SharedArrayBuffer(4 * (ARGS + 11));
        const w = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { module: e.module, memory: e.memory, ctrl: ctrlBuf },
        });
        // Never keep the process alive for a helper that only sleeps between jobs.
        w.unref();
        const handle: WorkerHandle = { ctrl: new Int32Array(ctrlBuf), seq: 0 };
        const disable = (): void => {
          Atomics.store(handle.ctrl, READY, -1);
          if (worker === handle) worker = null;
        };
        w.on("error", disable);
        w.on("exit", disable);
        worker = handle;
      }
    } catch {
      worker = null;
    }
  }
  return worker && Atomics.load(worker.ctrl, READY) === 1 ? worker : null;
}

/**
 * Starts the worker and resolves once it can take jobs (false if threads are
 * unavailable). Optional: large calls start it lazily anyway, but run on one
 * thread until it is ready.
 */
export async function startMatmulWorker(timeoutMs = 10_000): Promise<boolean> {
  const e = getEngine();
  if (!e) return false;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (readyWorker(e)) return true;
    if (!worker || Atomics.load(worker.ctrl, READY) === -1 || Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
}

// ---------------------------------------------------------------------------

/** Minimum m·n·k for which the second thread pays off; see bench/matmul.ts. */
let threadMinWork = 128 * 128 * 128;

export function setThreadMinWork(work: number): void {
  threadMinWork = work;
}

export function getThreadMinWork(): number {
  return threadMinWork;
}

/** Returns false (without touching out) if the operands don't fit in WASM memory. */
export function wasmGemm(
  m: number, n: number, k: number,
  a: Float32Array, aOffset: number, transA: boolean,
  b: Float32Array, bOffset: number, transB: boolean,
  out: Float32Array, outOffset: number,
): boolean {
  const e = getEngine();
  if (!e) return false;
  const tiles = Math.ceil(m / MR);
  const panels = Math.ceil(n / NR);
  const ldc = panels * NR;
  // 64-byte alignment keeps every tile/panel start on a cache line.
  const ap = 0;
  const bp = align64(ap + tiles * MR * k * 4);
  const cp = align64(bp + panels * NR * k * 4);
  const end = cp + tiles * MR * ldc * 4;
  if (!ensureBytes(e, end)) return false;
  const f32 = e.f32;
  packTilesJs(m, k, a, aOffset, transA, f32, MR, ap >> 2);
  packPanelsJs(n, k, b, bOffset, transB, f32, NR, bp >> 2);

  const w = m * n * k >= threadMinWork && tiles >= 2 ? readyWorker(e) : null;
  if (w) {
    // Tiles are the split axis: each thread writes disjoint rows of C.
    const mid = tiles >> 1;
    const c = w.ctrl;
    c.set([ap, bp, cp, ldc * 4, k, mid, tiles, 0, panels, KC, NC_PANELS], ARGS);
    const seq = ++w.seq;
    Atomics.store(c, SEQ, seq);
    Atomics.notify(c, SEQ);
    e.gemm(ap, bp, cp, ldc * 4, k, 0, mid, 0, panels, KC, NC_PANELS);
    let done: number;
    while ((done = Atomics.load(c, DONE)) !== seq) Atomics.wait(c, DONE, done);
    if (Atomics.load(c, FAILED) === seq) {
      e.gemm(ap, bp, cp, ldc * 4, k, mid, tiles, 0, panels, KC, NC_PANELS);
    }
  } else {
    e.gemm(ap, bp, cp, ldc * 4, k, 0, tiles, 0, panels, KC, NC_PANELS);
  }

  const c0 = cp >> 2;
  if (ldc === n) {
    out.set(f32.subarray(c0, c0 + m * n), outOffset);
  } else {
    for (let i = 0; i < m; i++) {
      out.set(f32.subarray(c0 + i * ldc, c0 + i * ldc + n), outOffset + i * n);
    }
  }
  return true;
}

function align64(x: number): number {
  return Math.ceil(x / 64) * 64;
}
