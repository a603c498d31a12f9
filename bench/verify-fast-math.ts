/**
 * Exhaustive check that compiled float32 tanh, sigmoid and exp (which take a fast path, see
 * packages/core/src/exec/compile/fastMath.ts) equal the lazy evaluator's bit for bit on every one
 * of the 2^32 float32 inputs (NaNs compare as NaN).
 *
 * Run: node --conditions=source --import tsx bench/verify-fast-math.ts [part] [parts]
 * (a few minutes per op on one core; run parts in parallel to use more cores).
 */
import { compile, exp, sigmoid, tanh, type Tensor, tensor } from "@gradgraph/core";

const part = Number(process.argv[2] ?? 0);
const parts = Number(process.argv[3] ?? 1);
const chunk = 1 << 20;
const chunks = 2 ** 32 / chunk;

const ops: [string, (x: Tensor) => Tensor][] = [["tanh", tanh], ["sigmoid", sigmoid], ["exp", exp]];
const bits = new Uint32Array(chunk);
const values = new Float32Array(bits.buffer);
let failures = 0;
for (const [name, op] of ops) {
  const program = compile((x) => op(x), [{ shape: [chunk] }]);
  const started = performance.now();
  for (let c = part; c < chunks; c += parts) {
    for (let i = 0; i < chunk; i++) bits[i] = c * chunk + i;
    const compiled = program.run([values])[0];
    const reference = op(tensor(values)).data();
    for (let i = 0; i < chunk; i++) {
      const [a, b] = [compiled[i], reference[i]];
      if (Object.is(a, b) || (a !== a && b !== b)) continue;
      if (++failures <= 20) console.log(`${name}(${values[i]}): compiled ${a}, evaluator ${b}`);
    }
  }
  console.log(`${name}: part ${part}/${parts} checked in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
console.log(failures === 0 ? "all equal" : `${failures} mismatches`);
process.exitCode = failures === 0 ? 0 : 1;
