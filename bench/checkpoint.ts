/**
 * `node --conditions=source --import tsx bench/checkpoint.ts [steps] [segment]`: the memory of a
 * long LSTM's forward and backward with and without `func.checkpoint` (segments of `segment`
 * steps, default √steps), and that both give the same gradients: first an LSTMCell unrolled and
 * checkpointed by hand, then the LSTM module with and without its `checkpointEvery` option.
 *
 * Two figures per run: the buffers of the compiled program (`compile()`'s memory plan, what a
 * training loop that hits the program cache holds), and the peak of the interpreter's live
 * arrays (exec/evaluate.ts's order, each value dropped after its last consumer), replayed here
 * from the same topological order; every intermediate is counted as an array of its own, though
 * a view of a whole input shares the input's, so both columns are a little high.
 */
import { compile, func, Generator, grad, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";
import { LSTM, LSTMCell } from "@gradgraph/nn";

const steps = Number(process.argv[2] ?? 2000);
const segment = Number(process.argv[3] ?? Math.round(Math.sqrt(steps)));
const [batch, inputSize, hiddenSize] = [8, 16, 64];

const generator = new Generator(7);
const cell = new LSTMCell({ inputSize, hiddenSize, generator });
const uniform = (shape: number[]) => {
  const values = new Float32Array(shape.reduce((n, d) => n * d, 1));
  generator.fillUniform(values, -1, 1);
  return tensor(values, { shape });
};
const xs = Array.from({ length: steps }, () => uniform([batch, inputSize]));
const h0 = uniform([batch, hiddenSize]);
const c0 = uniform([batch, hiddenSize]);
const parameters = cell.parameters();

/** k steps from (h, c): the new state and the sum of the squared hidden states on the way (the loss's share). */
function run(h: Tensor, c: Tensor, inputs: readonly Tensor[]): Tensor[] {
  let loss: Tensor | undefined;
  for (const x of inputs) {
    [h, c] = cell.call(x, [h, c]);
    const term = h.square().sum();
    loss = loss === undefined ? term : loss.add(term);
  }
  return [h, c, loss!];
}

function lossAndGradients(checkpointed: boolean, wrt: readonly Tensor[]): Tensor[] {
  let [h, c] = [h0, c0];
  let loss: Tensor | undefined;
  for (let start = 0; start < steps; start += segment) {
    const inputs = xs.slice(start, start + segment);
    const [hNext, cNext, part] = checkpointed
      ? (func.checkpoint((hs: Tensor, cs: Tensor, ...segmentInputs: Tensor[]) => run(hs, cs, segmentInputs), h, c, ...inputs) as Tensor[])
      : run(h, c, inputs);
    [h, c] = [hNext, cNext];
    loss = loss === undefined ? part : loss.add(part);
  }
  return [loss!, ...grad(loss!, wrt)];
}

const bytesOf = (t: Tensor) => t.size * (t.dtype === "float64" ? 8 : t.dtype === "bool" ? 1 : 4);

/** The interpreter's peak of live intermediate bytes: values appear as computed, go after their last consumer. */
function interpreterPeak(outputs: readonly Tensor[]): number {
  const order = topologicalOrder(outputs, (n) => n.isLeaf);
  const uses = new Map<Tensor, number>();
  for (const node of order) for (const input of node.inputs) uses.set(input, (uses.get(input) ?? 0) + 1);
  for (const output of outputs) uses.set(output, (uses.get(output) ?? 0) + 1);
  let live = 0;
  let peak = 0;
  for (const node of order) {
    if (node.isLeaf) continue;
    live += bytesOf(node);
    peak = Math.max(peak, live);
    for (const input of node.inputs) {
      const left = uses.get(input)! - 1;
      uses.set(input, left);
      if (left === 0 && !input.isLeaf) live -= bytesOf(input);
    }
  }
  return peak;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
console.log(`LSTMCell(${inputSize} → ${hiddenSize}), batch ${batch}, ${steps} steps; checkpoint segments of ${segment} steps`);
console.log("| | graph nodes | interpreter peak, MiB | compiled buffers, MiB | compile, s | run, ms |");
console.log("|---|---:|---:|---:|---:|---:|");
// Every parameter's gradient, and weight_hh's alone: see the report for why they differ.
const targets: [string, Tensor[]][] = [
  ["all 4 parameters", parameters],
  ["weight_hh only", cell.namedParameters().filter(([name]) => name === "weight_hh").map(([, p]) => p)],
];
/** Builds `outputs`, compiles and runs them; prints one row and returns the values. */
function measure(label: string, outputs: readonly Tensor[]): Float32Array[] {
  const nodes = topologicalOrder(outputs).length;
  const peak = interpreterPeak(outputs);
  const compileStart = performance.now();
  const program = compile({ outputs });
  const compileSeconds = (performance.now() - compileStart) / 1000;
  const runStart = performance.now();
  const values = program.run().map((v) => Float32Array.from(v));
  const runMs = performance.now() - runStart;
  console.log(`| ${label} | ${nodes} | ${mib(peak)} | ${mib(program.stats.bufferBytes)} | ${compileSeconds.toFixed(1)} | ${runMs.toFixed(0)} |`);
  return values;
}

/** The largest difference between two runs' values, each relative to the plain run's largest element. */
function largestDifference(plain: readonly Float32Array[], checkpointed: readonly Float32Array[]): number {
  return plain.reduce((worst, values, i) => {
    const scale = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    return Math.max(worst, values.reduce((m, v, j) => Math.max(m, Math.abs(v - checkpointed[i][j])), 0) / scale);
  }, 0);
}

for (const [what, wrt] of targets) {
  const [plain, checkpointed] = [false, true].map((on) =>
    measure(`${what}, ${on ? `checkpoint every ${segment}` : "plain"}`, lossAndGradients(on, wrt)),
  );
  // Float32 sums taken in another order (per segment, then over segments) differ in their last bits.
  console.log(`|  ${what}: largest difference of loss and gradients, relative to each one's largest element | ${largestDifference(plain, checkpointed).toExponential(2)} | | | | |`);
}

// The module: the same sizes and data as one (steps, batch, input) sequence, loss the sum of the
// squared outputs, the gradients of all 4 parameters (weight_ih's from the input projection);
// both modules draw the same weights.
const sequence = tensor(Float32Array.from(xs.flatMap((x) => [...x.data()])), { shape: [steps, batch, inputSize] });
console.log(`\nLSTM(${inputSize}, ${hiddenSize}), batch ${batch}, ${steps} steps, the module's checkpointEvery option`);
console.log("| | graph nodes | interpreter peak, MiB | compiled buffers, MiB | compile, s | run, ms |");
console.log("|---|---:|---:|---:|---:|---:|");
const [plainModule, checkpointedModule] = [undefined, segment].map((checkpointEvery) => {
  const lstm = new LSTM({ inputSize, hiddenSize, checkpointEvery, generator: new Generator(11) });
  const [output] = lstm.call(sequence, [h0.unsqueeze(0), c0.unsqueeze(0)]);
  const loss = output.square().sum();
  return measure(checkpointEvery === undefined ? "LSTM, plain" : `LSTM, checkpointEvery ${checkpointEvery}`, [loss, ...grad(loss, lstm.parameters())]);
});
console.log(`|  LSTM: largest difference of loss and gradients, relative to each one's largest element | ${largestDifference(plainModule, checkpointedModule).toExponential(2)} | | | | |`);
