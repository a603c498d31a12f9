/**
 * Float32 GEMM on the WebAssembly SIMD kernel in matmul.wat, optionally split
 * across a worker thread that runs the same module on the same shared memory.
 */
import { MATMUL_WASM_BASE64 } from "./matmulWasm.generated";

// Must match the register tile of $kernel4x8 in matmul.wat.
const MR = 4;
const NR = 8;
// Measured on Zen 5 (48 KB L1d, 1 MB L2) at N = 1024: anything from kc 128–512
// and 16–128 panels per block is within ±3%, so these are not critical.
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
/** Export ids, shared by both threads: a call is [op, ...args]. */
const OP_GEMM = 0;
const OP_PACK_ROWS = 1;
const OP_PACK_COLS = 2;
const EXPORT_NAMES = ["gemm", "pack_rows", "pack_cols"];
type Call = number[];
type WasmFn = (...args: number[]) => void;

interface Engine {
  module: object;
  memory: WasmMemory;
  fns: WasmFn[];
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
    const fns = EXPORT_NAMES.map((name) => instance.exports[name] as WasmFn);
    engine = { module, memory, fns, f32: new Float32Array(memory.buffer) };
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
    try {
      e.memory.grow(pages);
    } catch {
      return false; // the OS refused; the caller falls back to the JS kernel
    }
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
const FAILED = 3; // job number in which a call threw in the worker
const NCALLS = 4; // calls in the current job
const CALLS = 5; // MAX_CALLS × CALL_SLOTS ints
const CALL_SLOTS = 12; // op + up to 11 arguments
const MAX_CALLS = 2;
// ~20 µs of polling before sleeping: back-to-back jobs (pack, then gemm, then
// the next matmul of a training step) skip the futex wake-up, which costs
// about as much again on this VM.
const SPIN = 20_000;

/**
 * Plain CommonJS source (eval worker) rather than a separate file, so the
 * library works unchanged when bundled by tsup or any consumer's bundler.
 */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const ctrl = new Int32Array(workerData.ctrl);
let fns;
try {
  const instance = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
  fns = ${JSON.stringify(EXPORT_NAMES)}.map((name) => instance.exports[name]);
  Atomics.store(ctrl, ${READY}, 1);
} catch (err) {
  Atomics.store(ctrl, ${READY}, -1);
  throw err;
}
let seen = 0;
for (;;) {
  for (let i = 0; i < ${SPIN} && Atomics.load(ctrl, ${SEQ}) === seen; i++);
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  try {
    const n = ctrl[${NCALLS}];
    for (let c = 0; c < n; c++) {
      const a = ctrl.subarray(${CALLS} + c * ${CALL_SLOTS}, ${CALLS} + (c + 1) * ${CALL_SLOTS});
      fns[a[0]](a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
    }
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
        const ctrlBuf = new SharedArrayBuffer(4 * (CALLS + MAX_CALLS * CALL_SLOTS));
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

/**
 * Minimum m·n·k for which the second thread pays off. Measured: with the
 * worker still spinning from a previous job the split wins from ~80³, from a
 * cold futex wake-up only from ~140³; 112³ sits between.
 */
let threadMinWork = 112 * 112 * 112;

export function setThreadMinWork(work: number): void {
  threadMinWork = work;
}

export function getThreadMinWork(): number {
  return threadMinWork;
}

function run(e: Engine, call: Call): void {
  e.fns[call[0]](call[1], call[2], call[3], call[4], call[5], call[6], call[7], call[8], call[9], call[10], call[11]);
}

/**
 * Runs `mine` here while the worker runs `theirs` (same memory), and returns
 * once both are done. If a call failed in the worker it is redone here.
 */
function runSplit(e: Engine, w: WorkerHandle, mine: Call[], theirs: Call[]): void {
  const c = w.ctrl;
  c[NCALLS] = theirs.length;
  theirs.forEach((call, i) => c.set(call, CALLS + i * CALL_SLOTS));
  const seq = ++w.seq;
  Atomics.store(c, SEQ, seq);
  Atomics.notify(c, SEQ);
  for (const call of mine) run(e, call);
  for (let i = 0; i < SPIN && Atomics.load(c, DONE) !== seq; i++);
  let done: number;
  while ((done = Atomics.load(c, DONE)) !== seq) Atomics.wait(c, DONE, done);
  if (Atomics.load(c, FAILED) === seq) for (const call of theirs) run(e, call);
}

/** Packs A tiles [t0, t1) from the raw copy of A at byte address `raw`. */
function packACall(raw: number, m: number, k: number, transA: boolean, ap: number, t0: number, t1: number): Call {
  return transA
    ? [OP_PACK_ROWS, raw, m, k, m, MR, t0, t1, ap]
    : [OP_PACK_COLS, raw, k, k, m, MR, t0, t1, ap];
}

/** Packs B panels [j0, j1) from the raw copy of B at byte address `raw`. */
function packBCall(raw: number, k: number, n: number, transB: boolean, bp: number, j0: number, j1: number): Call {
  return transB
    ? [OP_PACK_COLS, raw, k, k, n, NR, j0, j1, bp]
    : [OP_PACK_ROWS, raw, n, k, n, NR, j0, j1, bp];
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
  // Byte addresses; 64-byte alignment keeps tiles and panels on cache lines.
  const rawA = 0;
  const rawB = align64(rawA + m * k * 4);
  const ap = align64(rawB + k * n * 4);
  const bp = align64(ap + tiles * MR * k * 4);
  const cp = align64(bp + panels * NR * k * 4);
  const end = cp + tiles * MR * ldc * 4;
  if (!ensureBytes(e, end)) return false;
  const f32 = e.f32;
  f32.set(a.subarray(aOffset, aOffset + m * k), rawA / 4);
  f32.set(b.subarray(bOffset, bOffset + k * n), rawB / 4);

  const gemmCall = (t0: number, t1: number): Call =>
    [OP_GEMM, ap, bp, cp, ldc * 4, k, t0, t1, 0, panels, KC, NC_PANELS];
  const w = m * n * k >= threadMinWork && tiles >= 2 ? readyWorker(e) : null;
  if (w) {
    // Each thread packs half of each operand, then computes half of the tiles
    // (disjoint rows of C); the first job doubles as the barrier between them.
    const mid = tiles >> 1;
    const pmid = panels >> 1;
    runSplit(e, w,
      [packACall(rawA, m, k, transA, ap, 0, mid), packBCall(rawB, k, n, transB, bp, 0, pmid)],
      [packACall(rawA, m, k, transA, ap, mid, tiles), packBCall(rawB, k, n, transB, bp, pmid, panels)]);
    runSplit(e, w, [gemmCall(0, mid)], [gemmCall(mid, tiles)]);
  } else {
    run(e, packACall(rawA, m, k, transA, ap, 0, tiles));
    run(e, packBCall(rawB, k, n, transB, bp, 0, panels));
    run(e, gemmCall(0, tiles));
  }

  const c0 = cp / 4;
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
