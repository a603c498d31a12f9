/**
 * What `vmap`'s batching rules (OpDef `batch`, see ir/registry.ts) are written with: a batched
 * tensor has the batch as dim 0, so a rule moves the node's dims one up and builds the op again.
 */
import type { Tensor } from "../ir/tensor";
import { concat } from "./concat";
import { expand } from "./expand";
import { permute } from "./permute";
import { reshape } from "./reshape";
import { slice } from "./slice";

/** A sample's dim as the batched tensor numbers it. */
export const afterBatch = (dim: number): number => dim + 1;

/** Dims of one sample as the batched tensor numbers them. */
export const dimsAfterBatch = (dims: readonly number[]): number[] => dims.map(afterBatch);

/** Sample `index` of a batched tensor: its dim 0 taken away. */
export function sampleOf(x: Tensor, index: number): Tensor {
  return reshape(slice(x, 0, index, index + 1), x.shape.slice(1));
}

/** Samples of one shape stacked along a new dim 0. */
export function stackSamples(samples: readonly Tensor[]): Tensor {
  return concat(samples.map((s) => reshape(s, [1, ...s.shape])), 0);
}

/** `x` with the batch as dim 0: batched as it is, else the one value repeated for every sample (a view). */
export function withBatch(x: Tensor, batched: boolean, size: number): Tensor {
  return batched ? x : expand(x, [size, ...x.shape]);
}

/**
 * A batched `x` with size-1 dims after the batch, so that its sample has `rank` dims and
 * broadcasts against other samples from the right as it did unbatched (a view; `x` itself when
 * its sample already has them).
 */
export function withSampleRank(x: Tensor, rank: number): Tensor {
  const sampleRank = x.shape.length - 1;
  return sampleRank >= rank ? x : reshape(x, [x.shape[0], ...Array<number>(rank - sampleRank).fill(1), ...x.shape.slice(1)]);
}

/** `x` with dim `from` moved to position `to`, the other dims in order. */
export function moveDim(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const order = x.shape.map((_, d) => d).filter((d) => d !== from);
  order.splice(to, 0, from);
  return permute(x, order);
}

/**
 * For ops with a batch dim of their own (conv, pooling: `[N, C, ...]`): vmap's batch folded into
 * it, `[B, N, ...]` as `[B·N, ...]`; the result is reshaped to `[B, ...node.shape]` again (which,
 * unlike dividing by B, holds for an empty batch).
 */
export function foldBatch(x: Tensor): Tensor {
  return reshape(x, [x.shape[0] * x.shape[1], ...x.shape.slice(2)]);
}
