/**
 * The function transforms' cost, beside PyTorch's functorch (1.13; `torch.func` in 2.x) in the
 * same run when `/usr/bin/python3` has torch (bench/torch_transforms.py, OpenBLAS SkylakeX kernels):
 *
 * - per-sample gradients of an MLP (64 samples, 32 → 64 → 10, tanh, squared error): `vmap(grad(loss))`,
 *   one batched graph, against the loop users write without vmap (one gradient per sample, stacked);
 *   both as users run them (the program cache compiles the repeated graph), median ms per batch;
 * - forward mode: `jvp` of a 16-layer tanh MLP along one tangent, by the ops' forward rules, against
 *   the VJP transposed (what `jvp` did before ops had rules): nodes built and median ms per call.
 *
 * Run: node --conditions=source --import tsx bench/transforms.ts
 */
import { execFileSync } from "node:child_process";
import { evaluate, func, grad, ready, stack, type Tensor, tensor, topologicalOrder } from "../packages/core/src/index";
import { medianMs, uniformArray } from "./common";

await ready();

const [samples, inputs, hidden, outputs] = [64, 32, 64, 10];
const leaf = (shape: number[], seed: number, scale = 1) =>
  tensor(uniformArray(shape.reduce((n, d) => n * d, 1), -scale, scale, seed), { shape });
const w1 = leaf([inputs, hidden], 1, 1 / Math.sqrt(inputs));
const w2 = leaf([hidden, outputs], 2, 1 / Math.sqrt(hidden));
const xs = leaf([samples, inputs], 3);
const ys = leaf([samples, outputs], 4);

const loss = (a: Tensor, b: Tensor, x: Tensor, y: Tensor) => x.matmul(a).tanh().matmul(b).sub(y).square().sum();
const perSampleVmap = func.vmap(func.grad(loss, { argnums: [0, 1] }) as (...args: Tensor[]) => Tensor[], { inDims: [null, null, 0, 0] });

const vmapped = () => perSampleVmap(w1, w2, xs, ys) as Tensor[];
const looped = () => {
  const grads = Array.from({ length: samples }, (_, i) => grad(loss(w1, w2, xs.select(0, i), ys.select(0, i)), [w1, w2]));
  return [stack(grads.map((g) => g[0])), stack(grads.map((g) => g[1]))];
};
// The same numbers both ways, before timing either.
const [a, b] = [evaluate(vmapped()), evaluate(looped())];
const maxAbsDiff = (p: ArrayLike<number>, q: ArrayLike<number>) => Array.from(p).reduce((m, v, j) => Math.max(m, Math.abs(v - q[j])), 0);
const maxDiff = Math.max(...a.map((x, k) => maxAbsDiff(x, b[k])));
const nodes = (roots: Tensor[]) => topologicalOrder(roots).filter((n) => !n.isLeaf).length;

console.log(`per-sample gradients, MLP ${inputs} → ${hidden} → ${outputs}, ${samples} samples (float32); vmap vs loop max |diff| ${maxDiff.toExponential(1)}`);
console.log(`  vmap(grad):          ${medianMs(() => evaluate(vmapped())).toFixed(3)} ms per batch, ${nodes(vmapped())} nodes`);
console.log(`  loop of grad, stack: ${medianMs(() => evaluate(looped())).toFixed(3)} ms per batch, ${nodes(looped())} nodes`);

const depth = 16;
const layers = Array.from({ length: depth }, (_, k) => leaf([hidden, hidden], 10 + k, 1 / Math.sqrt(hidden)));
const deep = (x: Tensor) => layers.reduce((h, w) => h.matmul(w).tanh(), x);
const x0 = leaf([8, hidden], 5);
const t0 = leaf([8, hidden], 6);
const byRules = () => func.jvp(deep, [x0], [t0]).tangents as Tensor;
// J·t as the gradient of ⟨Jᵀu, t⟩ with respect to u, at a cotangent u (linear in u, so any u gives the same).
const transposed = () => {
  const u = leaf([8, hidden], 7);
  return func.vjp((v: Tensor) => func.vjp(deep, x0).pullback(v)[0], u).pullback(t0)[0];
};
const jvpDiff = maxAbsDiff(byRules().data(), transposed().data());
console.log(`forward mode, ${depth}-layer tanh MLP (${hidden} wide, batch 8), one tangent; rules vs transposed VJP max |diff| ${jvpDiff.toExponential(1)}`);
console.log(`  jvp by forward rules: ${medianMs(() => evaluate([byRules()])).toFixed(3)} ms per call, ${nodes([byRules()])} nodes`);
console.log(`  VJP transposed:       ${medianMs(() => evaluate([transposed()])).toFixed(3)} ms per call, ${nodes([transposed()])} nodes`);

try {
  const env = { ...process.env, OPENBLAS_CORETYPE: "SkylakeX", OMP_NUM_THREADS: "1" };
  console.log(execFileSync("/usr/bin/python3", [new URL("./torch_transforms.py", import.meta.url).pathname], { env, encoding: "utf8" }).trimEnd());
} catch (error) {
  console.log(`PyTorch: not run (${(error as Error).message.split("\n")[0]})`);
}
