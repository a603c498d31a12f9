/**
 * `pnpm bench:scaling`: graph building must be linear in the sequence length. Times, for an LSTM
 * unrolled over L steps, building the forward graph, building its gradient (`grad`), and the whole
 * PyTorch-style forward + backward (`loss.backward()`), for L = 2,500, 5,000 and 10,000.
 */
import { Generator, grad, type Tensor, tensor } from "@gradgraph/core";
import { LSTM } from "@gradgraph/nn";

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const result = fn();
  return [result, (performance.now() - start) / 1e3];
}

const rows: string[] = [];
const seconds: Record<number, { gradient: number; total: number }> = {};
for (const length of [2500, 5000, 10000]) {
  const lstm = new LSTM({ inputSize: 8, hiddenSize: 16, generator: new Generator(1) });
  const values = new Float32Array(length * 8);
  new Generator(2).fillUniform(values, -1, 1);
  const x = tensor(values, { shape: [length, 1, 8] });
  const [loss, forward] = time(() => lstm.call(x)[0].sum());
  const [, gradient] = time(() => grad(loss, lstm.parameters()));
  const [, total] = time(() => {
    const fresh: Tensor = lstm.call(x)[0].sum();
    fresh.backward();
    return fresh.item();
  });
  seconds[length] = { gradient, total };
  rows.push(`| ${length} | ${forward.toFixed(2)} | ${gradient.toFixed(2)} | ${total.toFixed(2)} |`);
}
console.log("| L | build forward, s | build gradient, s | forward + backward (evaluated), s |");
console.log("|---:|---:|---:|---:|");
console.log(rows.join("\n"));
console.log(`gradient building, L = 5,000 vs 2,500: ${(seconds[5000].gradient / seconds[2500].gradient).toFixed(2)}×`);
