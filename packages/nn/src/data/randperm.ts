import { type Generator, type Tensor, defaultGenerator, tensor } from "@gradgraph/core";
import { checkGenerator, describeValue, readOptions } from "../validation";

/**
 * The permutation PyTorch 1.13's CPU `randperm` draws: 0..n-1, then for each i < n-1 a swap of
 * position i with position i + (random() % (n - i)), one 32-bit draw each.
 */
export function shuffledIndices(n: number, generator: Generator): number[] {
  const indices = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n - 1; i++) {
    const j = i + (generator.nextUint32() % (n - i));
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  return indices;
}

/**
 * `torch.randperm(n, generator=g)`: a random permutation of 0..n-1 as an int32 tensor (int64 in
 * PyTorch), the same one PyTorch draws from the same generator state (after `manualSeed(s)` and
 * `torch.manual_seed(s)`), leaving the generator in the same state.
 */
export function randperm(n: number, options?: { generator?: Generator }): Tensor {
  const { generator = defaultGenerator } = readOptions("randperm", options, ["generator"]);
  checkGenerator("randperm", generator);
  if (!(Number.isInteger(n) && n >= 0 && n <= 2 ** 31 - 1)) {
    throw new RangeError(`randperm: n must be a non-negative integer an int32 can hold, got ${describeValue(n)}`);
  }
  return tensor(Int32Array.from(shuffledIndices(n, generator)), { dtype: "int32" });
}
