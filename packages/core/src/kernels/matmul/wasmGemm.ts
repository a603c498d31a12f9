/**
 * Float32 GEMM on the WebAssembly SIMD kernel in matmul.wat, optionally split
 * across a worker thread that runs the same module on the same shared memory
 * (worker_threads under Node, a Web Worker in a cross-origin isolated page).
 *
 * Per call: the operands are copied into WASM memory (one memcpy each), read
 * there in place when small (the kernel takes strides), packed into panels when
 * large, and C is copied back. A packed B is kept between calls and reused when
 * the next call's B has the same bits (the weights of a recurrent layer, packed
 * once per step instead of once per time step); so is a raw B that the worker
 * reads, which then stays in its cache. Nothing is allocated per call
 * once the shapes have been seen: call descriptors live in preallocated
 * Int32Arrays, subarray views are cached per (array, offset).
 */
import { MATMUL_WASM_BASE64 } from "./matmulWasm.generated";

// Must match the register tile of $kernel4x8 in matmul.wat.
const MR = 4;
const NR = 8;
// Measured on Zen 5 (48 KB L1d, 1 MB L2) at N = 1024: anything from kc 128–512
// and 16–128 panels per block is within ±3%, so these are not critical.
const KC = 256;
const NC_PANELS = 64;
/**
 * Operands up to this many floats are read in place (raw) instead of packed.
 * Small ones stay in L1/L2 whatever their layout; from 256² on, strided rows
 * (and power-of-two strides that map to few cache sets) measured 15–40% slower
 * than packed panels, far more than packing costs.
 */
const RAW_MAX = 128 * 128;
/** A B up to this many floats (packed size) is kept for reuse, in one of 8 slots. */
const CACHE_MAX = 256 * 256;
const CACHE_SLOTS = 8;

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
/** Export ids, shared by both threads: a call is op, then its arguments. */
const OP_GEMM = 0;
const OP_PACK_ROWS = 1;
const OP_PACK_COLS = 2;
const EXPORT_NAMES = ["gemm", "pack_rows", "pack_cols"];
type WasmFn = (...args: number[]) => number;

interface Engine {
  module: object;
  memory: WasmMemory;
  /** Whether a worker can run on the same memory (otherwise one thread only). */
  shared: boolean;
  fns: WasmFn[];
  restride: (src: number, srcLd: number, dst: number, dstLd: number, rows: number, cols: number) => void;
  same: (x: number, y: number, bytes: number) => number;
  f32: Float32Array;
}

const PAGE = 65536;
const MAX_PAGES = 65536;

let engine: Engine | null | undefined;

/** Allocations the kernel makes (views, cache slots, memory growth): tests check none happen per call. */
let allocations = 0;

export function matmulAllocations(): number {
  return allocations;
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * The module with its memory import unshared, for engines that refuse shared memory outside a
 * cross-origin isolated page (Firefox, Safari): the kernel still runs there, on one thread. The
 * module has no atomic instructions, so the import's limits flags are all that differ.
 */
function withUnsharedMemory(bytes: Uint8Array): Uint8Array {
  // The import entry: "env", "memory", kind memory (2), limits flags 3 (maximum given | shared).
  const entry = [3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 3];
  for (let at = 0; at + entry.length <= bytes.length; at++) {
    if (entry.every((byte, i) => bytes[at + i] === byte)) {
      const unshared = bytes.slice();
      unshared[at + entry.length - 1] = 1; // maximum given, not shared
      return unshared;
    }
  }
  throw new Error("matmul.wasm imports no shared memory from env.memory");
}

function getEngine(): Engine | null {
  if (engine !== undefined) return engine;
  engine = null;
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  const bytes = decodeBase64(MATMUL_WASM_BASE64);
  for (const shared of [true, false]) {
    try {
      const module = new api.Module(shared ? bytes : withUnsharedMemory(bytes));
      const memory = new api.Memory({ initial: 16, maximum: MAX_PAGES, shared });
      const { exports } = new api.Instance(module, { env: { memory } });
      engine = {
        module,
        memory,
        shared,
        fns: EXPORT_NAMES.map((name) => exports[name] as WasmFn),
        restride: exports.restride as Engine["restride"],
        same: exports.same as Engine["same"],
        f32: new Float32Array(memory.buffer),
      };
      return engine;
    } catch {
      // Shared memory refused: try unshared. Both refused: no SIMD, or no WebAssembly at all.
    }
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
  // A grown memory hands out a new, longer buffer (an unshared one detaches the old).
  if (e.f32.buffer.byteLength !== e.memory.buffer.byteLength) {
    e.f32 = new Float32Array(e.memory.buffer);
    allocations++;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Views without per-call allocation

/**
 * `subarray` allocates a view object, and `TypedArray.set` needs the exact range
 * as one. A compiled program passes the same (array, offset, length) on every run,
 * so the views are kept per array (weakly) and per offset.
 */
const views = new WeakMap<object, Map<number, Float32Array[]>>();

function range(x: Float32Array, offset: number, length: number): Float32Array {
  if (offset === 0 && length === x.length) return x;
  let byOffset = views.get(x);
  if (byOffset === undefined) {
    byOffset = new Map();
    views.set(x, byOffset);
    allocations++;
  }
  let list = byOffset.get(offset);
  if (list === undefined) {
    if (byOffset.size >= 1024) byOffset.clear(); // bound what is kept per array
    list = [];
    byOffset.set(offset, list);
    allocations++;
  }
  for (let i = 0; i < list.length; i++) if (list[i].length === length) return list[i];
  if (list.length >= 8) list.length = 0;
  const v = x.subarray(offset, offset + length);
  list.push(v);
  allocations++;
  return v;
}

// ---------------------------------------------------------------------------
// Worker thread

// Control block slots (Int32Array over a SharedArrayBuffer).
const SEQ = 0; // job number posted by the main thread
const DONE = 1; // job number the worker finished
const READY = 2; // 1 once the worker instantiated the module, -1 if it failed
const FAILED = 3; // job number in which a call threw in the worker
const NCALLS = 4; // calls in the current job
const CLAIM = 5; // last job number claimed (by the worker, or taken back by the main thread)
const SLEEPING = 6; // 1 while the worker sleeps in Atomics.wait (so posting must notify)
const MAIN_WAITING = 7; // 1 while the main thread sleeps waiting for DONE
const WORKER_JOBS = 8; // jobs the worker ran (tests check it took part)
const CALLS = 9; // MAX_CALLS × CALL_SLOTS ints
const CALL_SLOTS = 18; // op + up to 17 arguments
const MAX_CALLS = 2;
/**
 * How long the worker polls for the next job before it sleeps. Within a training
 * step the gemm calls come every few tens of µs, with elementwise loops between
 * them; a futex wake-up costs about as much again on this VM, and a sleeping
 * worker is simply not waited for (see `finishJob`).
 */
const SPIN_MS = 0.3;
/** How long the main thread polls for the worker's half before it sleeps, or on a page's main thread spins on (0.2–2 ms here). */
let mainSpin = 100_000;

/**
 * Tests set 0 so that every split product the worker claimed reaches the wait after the
 * polling (a sleep, or on a page's main thread a spin), which otherwise only a late worker does.
 */
export function setMainSpin(polls: number): void {
  mainSpin = polls;
}

/**
 * The worker's loop, as source text rather than a separate file, so the library works unchanged
 * when bundled by tsup or any consumer's bundler; `serve` is called with { module, memory, ctrl }.
 * A job is claimed with compareExchange on CLAIM: whoever claims it runs it, so
 * a worker that is late (descheduled, asleep) is never waited for.
 */
const WORKER_LOOP = `
function serve(data) {
  const ctrl = new Int32Array(data.ctrl);
  let fns;
  try {
    const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
    fns = ${JSON.stringify(EXPORT_NAMES)}.map((name) => instance.exports[name]);
    Atomics.store(ctrl, ${READY}, 1);
  } catch (err) {
    Atomics.store(ctrl, ${READY}, -1);
    throw err;
  }
  let seen = 0;
  for (;;) {
    let s = Atomics.load(ctrl, ${SEQ});
    if (s === seen) {
      const until = performance.now() + ${SPIN_MS};
      for (let i = 1; (s = Atomics.load(ctrl, ${SEQ})) === seen; i++) {
        if ((i & 1023) === 0 && performance.now() > until) break;
      }
      while (s === seen) {
        Atomics.store(ctrl, ${SLEEPING}, 1);
        Atomics.wait(ctrl, ${SEQ}, seen);
        Atomics.store(ctrl, ${SLEEPING}, 0);
        s = Atomics.load(ctrl, ${SEQ});
      }
    }
    seen = s;
    if (Atomics.compareExchange(ctrl, ${CLAIM}, s - 1, s) !== s - 1) continue;
    try {
      const n = ctrl[${NCALLS}];
      for (let c = 0; c < n; c++) {
        const o = ${CALLS} + c * ${CALL_SLOTS};
        fns[ctrl[o]](ctrl[o + 1], ctrl[o + 2], ctrl[o + 3], ctrl[o + 4], ctrl[o + 5], ctrl[o + 6], ctrl[o + 7],
          ctrl[o + 8], ctrl[o + 9], ctrl[o + 10], ctrl[o + 11], ctrl[o + 12], ctrl[o + 13], ctrl[o + 14],
          ctrl[o + 15], ctrl[o + 16], ctrl[o + 17]);
      }
    } catch {
      Atomics.store(ctrl, ${FAILED}, s);
    }
    Atomics.add(ctrl, ${WORKER_JOBS}, 1);
    Atomics.store(ctrl, ${DONE}, s);
    if (Atomics.load(ctrl, ${MAIN_WAITING}) === 1) Atomics.notify(ctrl, ${DONE});
  }
}
`;

interface WorkerData {
  module: object;
  memory: WasmMemory;
  ctrl: SharedArrayBuffer;
}

interface WorkerHandle {
  ctrl: Int32Array;
  seq: number;
  /**
   * Whether this thread may sleep in Atomics.wait while the worker finishes its half. A
   * browser page's main thread may not (Atomics.wait throws there), so it spins instead.
   */
  mayBlock: boolean;
}

/** The slices of Node's worker_threads Worker and of the Web Worker used here. */
interface NodeWorker {
  unref(): void;
  on(event: "error" | "exit", cb: () => void): void;
}
type NodeWorkerCtor = new (src: string, opts: { eval: true; workerData: WorkerData }) => NodeWorker;
interface WebWorker {
  onerror: (() => void) | null;
  postMessage(data: WorkerData): void;
}
interface WebWorkerScope {
  Worker?: new (url: string) => WebWorker;
  /** True on pages served with COOP/COEP headers: only they may share memory with a worker. */
  crossOriginIsolated?: boolean;
}

/** undefined: not tried yet; null: threads unavailable. */
let worker: WorkerHandle | null | undefined;

/**
 * Under Node, worker_threads, looked up at run time (process.getBuiltinModule) so that bundling
 * for a browser pulls in no Node module.
 */
function nodeWorkerCtor(): NodeWorkerCtor | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.("node:worker_threads") as { Worker?: NodeWorkerCtor } | undefined;
  return mod?.Worker ?? null;
}

/**
 * Starts a thread that serves jobs on `data`: a worker_threads Worker under Node, a Web Worker
 * in a cross-origin isolated page (elsewhere shared memory cannot be posted to one). Returns
 * false where neither exists; `onFailure` runs if the thread fails to start or dies.
 */
function spawnWorker(data: WorkerData, onFailure: () => void): boolean {
  const NodeWorker = nodeWorkerCtor();
  if (NodeWorker) {
    const w = new NodeWorker(`${WORKER_LOOP}serve(require("node:worker_threads").workerData);`, { eval: true, workerData: data });
    // Never keep the process alive for a helper that only sleeps between jobs.
    w.unref();
    w.on("error", onFailure);
    w.on("exit", onFailure);
    return true;
  }
  const scope = globalThis as WebWorkerScope;
  if (scope.Worker === undefined || scope.crossOriginIsolated !== true) return false;
  const source = `${WORKER_LOOP}onmessage = (event) => { onmessage = null; serve(event.data); };`;
  // The URL stays valid for the page's life: revoking it at once could race the worker's own fetch of it.
  const w = new scope.Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
  w.onerror = onFailure;
  w.postMessage(data);
  return true;
}

/** Whether this thread may block in Atomics.wait: a value that is not there returns at once where it may, throws where not. */
function threadMayBlock(ctrl: Int32Array): boolean {
  try {
    Atomics.wait(ctrl, SEQ, -1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the helper thread if not tried yet; returns it only once it is ready. */
function readyWorker(e: Engine): WorkerHandle | null {
  if (worker === undefined) {
    worker = null;
    if (!e.shared) return null;
    try {
      const ctrlBuf = new SharedArrayBuffer(4 * (CALLS + MAX_CALLS * CALL_SLOTS));
      const ctrl = new Int32Array(ctrlBuf);
      const handle: WorkerHandle = { ctrl, seq: 0, mayBlock: threadMayBlock(ctrl) };
      const disable = (): void => {
        Atomics.store(handle.ctrl, READY, -1);
        if (worker === handle) worker = null;
      };
      if (spawnWorker({ module: e.module, memory: e.memory, ctrl: ctrlBuf }, disable)) worker = handle;
    } catch {
      // No SharedArrayBuffer (a page without cross-origin isolation), or the thread was refused (a CSP without blob: workers).
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

/** Jobs the worker has run so far (0 without a worker). */
export function workerJobs(): number {
  return worker ? Atomics.load(worker.ctrl, WORKER_JOBS) : 0;
}

// ---------------------------------------------------------------------------
// Calls: [op, args...] rows in an Int32Array (the worker's rows live in ctrl)

/** The main thread's own calls of a job; preallocated, like the worker's rows. */
const mine = new Int32Array(MAX_CALLS * CALL_SLOTS);

function runCalls(e: Engine, calls: Int32Array, base: number, count: number): void {
  for (let c = 0; c < count; c++) {
    const o = base + c * CALL_SLOTS;
    e.fns[calls[o]](calls[o + 1], calls[o + 2], calls[o + 3], calls[o + 4], calls[o + 5], calls[o + 6],
      calls[o + 7], calls[o + 8], calls[o + 9], calls[o + 10], calls[o + 11], calls[o + 12], calls[o + 13],
      calls[o + 14], calls[o + 15], calls[o + 16], calls[o + 17]);
  }
}

/**
 * Posts the `theirs` calls already written into ctrl, runs `mine` here, then
 * either takes the worker's share back (if it has not claimed it yet: asleep,
 * or its core busy with other work) or waits for it.
 */
function runSplit(e: Engine, w: WorkerHandle, nMine: number, nTheirs: number): void {
  const c = w.ctrl;
  c[NCALLS] = nTheirs;
  const seq = ++w.seq;
  Atomics.store(c, SEQ, seq);
  if (Atomics.load(c, SLEEPING) === 1) Atomics.notify(c, SEQ);
  runCalls(e, mine, 0, nMine);
  if (Atomics.compareExchange(c, CLAIM, seq - 1, seq) === seq - 1) {
    runCalls(e, c, CALLS, nTheirs);
    return;
  }
  for (let i = 0; i < mainSpin && Atomics.load(c, DONE) !== seq; i++);
  if (Atomics.load(c, DONE) !== seq) {
    if (w.mayBlock) {
      Atomics.store(c, MAIN_WAITING, 1);
      let done: number;
      while ((done = Atomics.load(c, DONE)) !== seq) Atomics.wait(c, DONE, done);
      Atomics.store(c, MAIN_WAITING, 0);
    } else {
      // A page's main thread: the worker claimed the job and is running it, so spinning ends.
      while (Atomics.load(c, DONE) !== seq);
    }
    // Polled for the whole spin (far longer than any half below 112³ takes): the
    // worker's core is shared with other work and it was descheduled mid-job.
    if (pauseOnLag) smallSplitsPaused = PAUSE_CALLS;
  }
  if (Atomics.load(c, FAILED) === seq) runCalls(e, c, CALLS, nTheirs);
}

/**
 * Products below LARGE_WORK gain at most a few µs from the split but lose a
 * whole scheduler time slice when the worker is descheduled mid-job (measured:
 * 2–3× slower per call at load 4 on 2 cores). After such a wait they run on one
 * thread for the next PAUSE_CALLS products, then try again.
 */
const LARGE_WORK = 112 * 112 * 112;
const PAUSE_CALLS = 256;
let smallSplitsPaused = 0;
let pauseOnLag = true;

export function setPauseOnLag(on: boolean): void {
  pauseOnLag = on;
  smallSplitsPaused = 0;
}

export function getPauseOnLag(): boolean {
  return pauseOnLag;
}

function row(base: number, at: number): number {
  return base + at * CALL_SLOTS;
}

/** Writes a gemm call into row `o` (an index into `calls`); `ldc` in floats. */
function setGemm(
  calls: Int32Array, o: number, ap: number, aTile: number, aStep: number, aRow: number,
  bp: number, bPanel: number, bStep: number, cp: number, ldc: number, k: number,
  t0: number, t1: number, j0: number, j1: number, oldp: number,
): void {
  calls[o] = OP_GEMM;
  calls[o + 1] = ap; calls[o + 2] = aTile; calls[o + 3] = aStep; calls[o + 4] = aRow;
  calls[o + 5] = bp; calls[o + 6] = bPanel; calls[o + 7] = bStep;
  calls[o + 8] = cp; calls[o + 9] = ldc * 4; calls[o + 10] = k;
  calls[o + 11] = t0; calls[o + 12] = t1; calls[o + 13] = j0; calls[o + 14] = j1;
  calls[o + 15] = KC; calls[o + 16] = NC_PANELS; calls[o + 17] = oldp;
}

/**
 * Packs panels [j0, j1) of an operand copied raw at `raw`: `lanes` adjacent in the
 * source (pack_rows: B k×n, Aᵀ stored k×m) or `steps` adjacent (pack_cols: A m×k,
 * Bᵀ stored n×k). `count` is the panel dimension (m or n), `depth` is k.
 */
function setPack(
  calls: Int32Array, o: number, lanesAdjacent: boolean, raw: number, count: number, depth: number,
  width: number, j0: number, j1: number, dst: number,
): void {
  calls[o] = lanesAdjacent ? OP_PACK_ROWS : OP_PACK_COLS;
  calls[o + 1] = raw; calls[o + 2] = lanesAdjacent ? count : depth; calls[o + 3] = depth;
  calls[o + 4] = count; calls[o + 5] = width; calls[o + 6] = j0; calls[o + 7] = j1; calls[o + 8] = dst;
}

// ---------------------------------------------------------------------------
// Threading policy

/**
 * Minimum m·n·k for which the second thread is used: W3's smallest product
 * (32·128·32). Measured on a 2-vCPU KVM guest whose speed swings by up to 2×
 * between runs: the split saves 20–30% per call on W3's shapes when the host is
 * slow and about nothing when it is fast, where moving A, B and C between the
 * cores' caches (~5–12 ns per line here) and a round trip of signals (~2 µs)
 * eat the half it saves; from 256³ on it gives 1.3–1.8×. 16·32·32 lost in every
 * run, 32·32·32 lost or tied, 32·64·32 mostly won; the whole W3 step was timed
 * only with the threshold here (no slower than one thread, within the noise).
 */
let threadMinWork = 32 * 128 * 32;

export function setThreadMinWork(work: number): void {
  threadMinWork = work;
}

export function getThreadMinWork(): number {
  return threadMinWork;
}

// ---------------------------------------------------------------------------
// B kept between calls

/**
 * A B operand kept in WASM memory between calls: its raw bits (to see that the
 * next call's B is the same) and, for a B that is packed, its packing. Keyed by
 * array, offset and layout; the bits decide. Arrays are known by a number given
 * on first sight (a WeakMap entry, once per array): slots hold no reference, so
 * they keep nothing alive, and a new key costs no allocation.
 */
interface CacheSlot {
  array: number;
  offset: number;
  k: number;
  n: number;
  trans: boolean;
  packed: boolean;
  /** Byte addresses of the raw copy and of the packing made from it. */
  raw: number;
  pack: number;
  valid: boolean;
  lastUse: number;
}

const arrayIds = new WeakMap<object, number>();
let nextArrayId = 1;

function arrayId(x: Float32Array): number {
  let id = arrayIds.get(x);
  if (id === undefined) {
    id = nextArrayId++;
    arrayIds.set(x, id);
    allocations++;
  }
  return id;
}

/**
 * WASM memory: [0, 64) unused (address 0 means "none"), then a fixed region per
 * slot (pages never touched stay unbacked), then the per-call scratch, so that a
 * call's addresses (and the views on them) depend on its shape only.
 */
const HEADER = 64;
const SLOT_BYTES = 2 * align64(CACHE_MAX * 4);
const SCRATCH = HEADER + CACHE_SLOTS * SLOT_BYTES;
const slots: CacheSlot[] = Array.from({ length: CACHE_SLOTS }, (_, i) => ({
  array: 0, offset: 0, k: 0, n: 0, trans: false, packed: false,
  raw: HEADER + i * SLOT_BYTES, pack: HEADER + i * SLOT_BYTES + SLOT_BYTES / 2, valid: false, lastUse: 0,
}));
let useClock = 0;

/** The slot for this B, or the least recently used one made over to it (invalid until filled). */
function cacheSlot(b: Float32Array, bOffset: number, k: number, n: number, trans: boolean, packed: boolean): CacheSlot {
  const id = arrayId(b);
  let victim = slots[0];
  for (const s of slots) {
    if (s.array === id && s.offset === bOffset && s.k === k && s.n === n && s.trans === trans && s.packed === packed) {
      s.lastUse = ++useClock;
      return s;
    }
    if (s.lastUse < victim.lastUse) victim = s;
  }
  victim.array = id;
  victim.offset = bOffset;
  victim.k = k;
  victim.n = n;
  victim.trans = trans;
  victim.packed = packed;
  victim.valid = false;
  victim.lastUse = ++useClock;
  return victim;
}

/** Forgets every kept B (tests use it to compare cold and warm calls). */
export function clearPackedCache(): void {
  for (const s of slots) {
    s.array = 0;
    s.valid = false;
  }
}

// ---------------------------------------------------------------------------

/**
 * out[m×n] = op(A)·op(B), or out += op(A)·op(B) when `accumulate` (op(A)·op(B)
 * rounded to float32 first, then one float32 add per element: the same bits as a
 * separate product and add). Returns false (without touching out) if the
 * operands don't fit in WASM memory.
 */
export function wasmGemm(
  m: number, n: number, k: number,
  a: Float32Array, aOffset: number, transA: boolean,
  b: Float32Array, bOffset: number, transB: boolean,
  out: Float32Array, outOffset: number, accumulate: boolean,
): boolean {
  const e = getEngine();
  if (!e) return false;
  const tiles = Math.ceil(m / MR);
  const panels = Math.ceil(n / NR);
  const ldc = panels * NR;
  const rawOnlyA = m * k <= RAW_MAX;
  const packB = transB || k * n > RAW_MAX;
  const packedBytes = panels * NR * k * 4;
  const work = m * n * k;
  let split = work >= threadMinWork && (tiles >= 2 || panels >= 2);
  if (split && work < LARGE_WORK && smallSplitsPaused > 0) {
    smallSplitsPaused--;
    split = false;
  }
  const w = split ? readyWorker(e) : null;
  // A packed B is kept to skip packing it again; a raw one only when the worker
  // reads it: the copy kept in its cache then stays valid, where a fresh copy per
  // call would move from this core's cache to the worker's every time.
  const slot = (packB || w !== null) && panels * NR * k <= CACHE_MAX ? cacheSlot(b, bOffset, k, n, transB, packB) : null;

  // Byte addresses; 64-byte alignment keeps tiles and panels on cache lines.
  // Raw regions have slack: edge tiles and panels read a little past the operand.
  const rawA = SCRATCH;
  const rawB = align64(rawA + (tiles * MR * k + MR) * 4);
  const ap = align64(rawB + (k * panels * NR + NR) * 4);
  const bp = align64(ap + (rawOnlyA ? 0 : tiles * MR * k * 4));
  const cp = align64(bp + (packB && slot === null ? packedBytes : 0));
  const oldp = align64(cp + tiles * MR * ldc * 4);
  const end = oldp + (accumulate ? tiles * MR * ldc * 4 : 0);
  if (!ensureBytes(e, end)) {
    if (slot !== null) slot.array = 0;
    return false;
  }
  const f32 = e.f32;
  f32.set(range(a, aOffset, m * k), rawA >> 2);
  if (accumulate) {
    f32.set(range(out, outOffset, m * n), oldp >> 2);
    if (ldc !== n) e.restride(oldp, n, oldp, ldc, m, n);
  }

  // op(A): raw (aRow 4 = rows adjacent for Aᵀ, else a row stride) or packed tiles.
  let aBase = ap, aTile = MR * k * 4, aStep = MR * 4, aRow = 4;
  if (rawOnlyA) {
    aBase = rawA;
    if (transA) { aTile = MR * 4; aStep = m * 4; aRow = 4; } else { aTile = MR * k * 4; aStep = 4; aRow = k * 4; }
  }
  // op(B): raw rows or packed panels, from this call's copy or a kept one.
  let bRaw = rawB;
  let packBHere = packB;
  if (slot === null) {
    f32.set(range(b, bOffset, k * n), rawB >> 2);
  } else if (!slot.valid) {
    f32.set(range(b, bOffset, k * n), slot.raw >> 2);
    bRaw = slot.raw;
  } else {
    f32.set(range(b, bOffset, k * n), rawB >> 2);
    if (e.same(rawB, slot.raw, k * n * 4) === 1) {
      bRaw = slot.raw;
      packBHere = false;
    } else if (packB) {
      f32.copyWithin(slot.raw >> 2, rawB >> 2, (rawB + k * n * 4) >> 2);
      bRaw = slot.raw;
    } else {
      slot.valid = false; // changed: read this call's copy, keep the next one
    }
  }
  const bBase = !packB ? bRaw : slot !== null ? slot.pack : bp;
  const bPanel = packB ? NR * k * 4 : NR * 4;
  const bStep = packB ? NR * 4 : n * 4;
  const fillSlot = slot !== null && bRaw === slot.raw;
  const old = accumulate ? oldp : 0;

  if (w === null) {
    let nc = 0;
    if (!rawOnlyA) setPack(mine, row(0, nc++), transA, rawA, m, k, MR, 0, tiles, ap);
    if (packBHere) setPack(mine, row(0, nc++), !transB, bRaw, n, k, NR, 0, panels, bBase);
    runCalls(e, mine, 0, nc);
    setGemm(mine, 0, aBase, aTile, aStep, aRow, bBase, bPanel, bStep, cp, ldc, k, 0, tiles, 0, panels, old);
    runCalls(e, mine, 0, 1);
  } else if (!rawOnlyA) {
    // Packed A is shared by both halves: each thread packs half of each operand,
    // then computes half of the tiles; the first job doubles as the barrier.
    const mid = tiles >> 1;
    const pmid = panels >> 1;
    let nm = 0, nt = 0;
    setPack(mine, row(0, nm++), transA, rawA, m, k, MR, 0, mid, ap);
    setPack(w.ctrl, row(CALLS, nt++), transA, rawA, m, k, MR, mid, tiles, ap);
    if (packBHere) {
      setPack(mine, row(0, nm++), !transB, bRaw, n, k, NR, 0, pmid, bBase);
      setPack(w.ctrl, row(CALLS, nt++), !transB, bRaw, n, k, NR, pmid, panels, bBase);
    }
    runSplit(e, w, nm, nt);
    setGemm(mine, 0, aBase, aTile, aStep, aRow, bBase, bPanel, bStep, cp, ldc, k, 0, mid, 0, panels, old);
    setGemm(w.ctrl, CALLS, aBase, aTile, aStep, aRow, bBase, bPanel, bStep, cp, ldc, k, mid, tiles, 0, panels, old);
    runSplit(e, w, 1, 1);
  } else {
    // A is read in place: one job. Split by panel range, each thread packing its
    // own panels of B if needed, so no barrier; by tiles when there is one panel.
    const theirs = w.ctrl;
    let nm = 0, nt = 0;
    if (panels >= 2) {
      const pmid = panels >> 1;
      if (packBHere) {
        setPack(mine, row(0, nm++), !transB, bRaw, n, k, NR, 0, pmid, bBase);
        setPack(theirs, row(CALLS, nt++), !transB, bRaw, n, k, NR, pmid, panels, bBase);
      }
      setGemm(mine, row(0, nm++), aBase, aTile, aStep, aRow, bBase, bPanel, bStep, cp, ldc, k, 0, tiles, 0, pmid, old);
      setGemm(theirs, row(CALLS, nt++), aBase, aTile, aStep, aRow, bBase, bPanel, bStep, cp, ldc, k, 0, tiles, pmid, panels, old);
    } else {
      if (packBHere) {
        setPack(mine, 0, !transB, bRaw, n, k, NR, 0, panels, bBase);
        runCalls(e, mine, 0, 1);
      }
      const mid = tiles >> 1;
      setGemm(mine, row(0, nm++), aBase, aTile, aStep, aRow, bBase, bPanel, bStep, cp, ldc, k, 0, mid, 0, panels, old);
      setGemm(theirs, row(CALLS, nt++), aBase, aTile, aStep, aRow, bBase, bPanel, bStep, cp, ldc, k, mid, tiles, 0, panels, old);
    }
    runSplit(e, w, nm, nt);
  }
  if (fillSlot) slot.valid = true;

  if (ldc !== n) e.restride(cp, ldc, cp, n, m, n);
  out.set(range(f32, cp >> 2, m * n), outOffset);
  return true;
}

function align64(x: number): number {
  return Math.ceil(x / 64) * 64;
}
