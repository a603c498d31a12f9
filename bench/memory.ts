/**
 * `pnpm bench:memory`: the heap of a PyTorch-style training loop, 2,000 steps of Adam on
 * Linear(1024, 1024), read after a forced collection at steps 1, 10, 100, 1,000 and 2,000.
 * It must stay flat after warm-up (test/nn/memory.test.ts checks the same by counting objects).
 */
import { Generator, programCacheStats, tensor } from "@gradgraph/core";
import { Adam, Linear, mseLoss } from "@gradgraph/nn";

const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error("run with node --expose-gc (pnpm bench:memory does)");

const generator = new Generator(1);
const random = (shape: number[]) => {
  const values = new Float32Array(shape[0] * shape[1]);
  generator.fillUniform(values, -1, 1);
  return tensor(values, { shape });
};
const model = new Linear(1024, 1024, { generator });
const optimizer = new Adam(model.parameters(), { lr: 1e-4 });
const [x, y] = [random([32, 1024]), random([32, 1024])];
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

console.log("| step | loss | heap used, MiB | array buffers, MiB |");
console.log("|---:|---:|---:|---:|");
const start = performance.now();
for (let step = 1; step <= 2000; step++) {
  optimizer.zeroGrad();
  const loss = mseLoss(model.call(x), y);
  loss.backward();
  optimizer.step();
  const value = loss.item();
  if ([1, 10, 100, 1000, 2000].includes(step)) {
    collect();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    console.log(`| ${step} | ${value.toFixed(5)} | ${mib(heapUsed)} | ${mib(arrayBuffers)} |`);
  }
}
console.log(`${((performance.now() - start) / 2000).toFixed(2)} ms per step; program cache ${JSON.stringify(programCacheStats())}`);
