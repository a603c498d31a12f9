import { allocate } from "../basics/dtype";
import { apply, scalarNode } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { expand } from "./expand";
import { afterBatch, withBatch } from "./batching";
import { canonicalizeIndexDim, checkGatherShapes, indexedPositions, mergeBatchInto, splitBatchFrom } from "./indexing";
import { scatterAdd } from "./scatterAdd";

/** out[i][j] = x[i][index[i][j]] for dim 1 (and likewise for any dim), as torch.gather. */
export const gatherOp = registerBuiltinOp<{ readonly dim: number }>({
  name: "gather",
  arity: 2,
  canonicalize: canonicalizeIndexDim("gather"),
  infer([x, index], { dim }) {
    checkGatherShapes("gather", x, index, dim);
    return { shape: index.shape, dtype: x.dtype };
  },
  kernel([x, index], { dim }, out) {
    const positions = indexedPositions("gather", index, dim, x.shape);
    const result = allocate(out.dtype, positions.length);
    for (let i = 0; i < positions.length; i++) result[i] = x.data[positions[i]];
    return result;
  },
  vjp: (g, { inputs: [x, index], attrs: { dim } }) => [
    scatterAdd(expand(scalarNode(0, x.dtype), x.shape), dim, index, g),
    null,
  ],
  jvp: "linear",
  // An unbatched x is read once through an index holding every sample's, not copied per sample.
  batch: ({ inputs: [x, index], batched: [xBatched, indexBatched], size, node: { attrs: { dim } } }) =>
    xBatched
      ? gather(x, afterBatch(dim), withBatch(index, indexBatched, size))
      : splitBatchFrom(gather(x, dim, mergeBatchInto(index, dim)), dim, size, index.shape[afterBatch(dim)]),
  onnx: (b, [x, index], { dim }) => b.op("GatherElements", [x, index], { axis: dim }),
});

/** torch.gather: along `dim`, the element `index` names for each position of `index`. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return apply(gatherOp, [x, index], { dim });
}
