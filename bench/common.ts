/**
 * What every implementation runs (gradgraph, TensorFlow.js; bench/torch_bench.py mirrors it for
 * PyTorch), how it is timed, and how a child process reports back to bench/run.ts.
 */

export const W1_SIZES = [64, 256, 512, 1024];

/** W2: the notebook's `nn.RNN(5, 2, batch_first=True)` on x = [[1]*5, [2]*5, [3]*5], loss = output.sum() + h_n.sum(). */
export const W2 = { input: 5, hidden: 2, seq: 3, batch: 1 };

/** W3: RNN(32 → 128, tanh) over 50 steps of a batch of 32, Linear(128, 1) on the last step, MSE, one SGD step. */
export const W3 = { input: 32, hidden: 128, seq: 50, batch: 32, lr: 0.01 };

/** W4: x + y, then + y again, 1,000 times, on 2×2 float32 tensors. */
export const W4 = { chain: 1000, shape: [2, 2] as const };

/** Steps the W3 memory child runs before it reports its peak resident set. */
export const W3_MEMORY_STEPS = 30;

export interface Results {
  /** GFLOP/s per matrix size (PyTorch: per size and thread count, "1024/2t"). */
  w1: Record<string, number>;
  /** µs per forward + backward. */
  w2: number;
  /** ms per training step (PyTorch: per thread count, "1t" and "2t"). */
  w3: number | Record<string, number>;
  /** µs per add: the graph built and evaluated eagerly/lazily, and as a compiled program. */
  w4: { lazy: number; compiled?: number };
  /** gradgraph only: W2 and W3 written as PyTorch users write them (`loss.backward()`, `step()`), not `compile()`d. */
  pytorchStyle?: { w2: number; w3: number };
  notes?: string[];
}

/** A deterministic uniform stream (xorshift32), so every implementation sees the same data. */
export function uniformArray(length: number, low: number, high: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = low + (high - low) * (state / 4294967296);
  }
  return out;
}

/** The W3 problem: data, targets and PyTorch-style initial parameters (uniform ±1/√fan). */
export function w3Data() {
  const { input, hidden, seq, batch } = W3;
  const k = 1 / Math.sqrt(hidden);
  return {
    x: uniformArray(seq * batch * input, -1, 1, 1),
    target: uniformArray(batch, -1, 1, 2),
    weightIh: uniformArray(hidden * input, -k, k, 3),
    weightHh: uniformArray(hidden * hidden, -k, k, 4),
    biasIh: uniformArray(hidden, -k, k, 5),
    biasHh: uniformArray(hidden, -k, k, 6),
    headWeight: uniformArray(hidden, -k, k, 7),
    headBias: uniformArray(1, -k, k, 8),
  };
}

/**
 * Median milliseconds per call of `fn`. Calls are batched so each sample lasts at least ~2 ms
 * (timer resolution), after a warm-up that lets V8 optimize.
 */
export function medianMs(fn: () => void, { warmupMs = 300, budgetMs = 2000, minSamples = 9 } = {}): number {
  const warmEnd = performance.now() + warmupMs;
  let calls = 0;
  do {
    fn();
    calls++;
  } while (performance.now() < warmEnd);
  const perCall = warmupMs / calls;
  const batch = Math.max(1, Math.ceil(2 / perCall));
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  while (samples.length < minSamples || performance.now() < end) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) fn();
    samples.push((performance.now() - start) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

/**
 * `medianMs` of each function, timed in alternating rounds (the median of its rounds), so that a
 * drift of the machine's speed, which on a shared guest can be 2× within a minute, shifts all of
 * them alike and their ratio holds.
 */
export function interleavedMedianMs(fns: readonly (() => void)[], rounds = 5): number[] {
  const perRound = fns.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    fns.forEach((fn, i) => perRound[i].push(medianMs(fn, { warmupMs: round === 0 ? 300 : 50, budgetMs: 400 })));
  }
  return perRound.map((times) => times.sort((a, b) => a - b)[times.length >> 1]);
}

export const gflops = (n: number, ms: number): number => (2 * n ** 3) / (ms * 1e6);

/**
 * A benchmark must compute the right thing: the notebook gradients against PyTorch's (float32
 * fixture), in the order weight_ih, weight_hh, bias_ih, bias_hh. Returns a note for the report.
 */
export function checkNotebookGradients(grads: readonly ArrayLike<number>[], expected: Record<string, { data: number[] }>): string {
  const names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"];
  const worst = Math.max(...names.flatMap((name, i) => expected[name].data.map((v, j) => Math.abs(grads[i][j] - v))));
  if (!(worst < 1e-5)) throw new Error(`W2 gradients differ from PyTorch's by ${worst}`);
  return `W2 gradients match PyTorch's fixture (max |diff| ${worst.toExponential(1)})`;
}

/** Peak resident set of this process, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Children print one line `RESULT <json>`; everything else they print is passed through as a note. */
export function report(value: unknown): void {
  console.log(`RESULT ${JSON.stringify(value)}`);
}
