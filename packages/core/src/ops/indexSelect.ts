import { allocate } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { apply, scalarNode } from "../ir/graph";
import { sizeOf } from "../basics/shape";
import type { Tensor } from "../ir/tensor";
import { expand } from "./expand";
import { indexAdd } from "./indexAdd";
import { afterBatch } from "./batching";
import { gather } from "./gather";
import { canonicalizeIndexDim, checkIndexTensor, checkIndexValue, mergeBatchInto, splitBatchFrom, spreadIndex } from "./indexing";
import { registerBuiltinOp } from "./builtinOp";

/** Picks whole slices along `dim` by a 1-D int32 index (an embedding lookup is indexSelect on dim 0). */
export const indexSelectOp = registerBuiltinOp<{ readonly dim: number }>({
  name: "indexSelect",
  arity: 2,
  canonicalize: canonicalizeIndexDim("indexSelect"),
  infer([x, index], { dim }) {
    checkIndexTensor("indexSelect", index);
    if (index.shape.length !== 1) throw new OpError("indexSelect", `index must be 1-D, got ${index.shape.length}-D`);
    const shape = [...x.shape];
    shape[dim] = index.shape[0];
    return { shape, dtype: x.dtype };
  },
  kernel([x, index], { dim }, out) {
    const result = allocate(out.dtype, sizeOf(out.shape));
    const inner = sizeOf(x.shape.slice(dim + 1));
    const outer = sizeOf(x.shape.slice(0, dim));
    const size = x.shape[dim];
    const picked = index.data.length;
    for (let k = 0; k < picked; k++) checkIndexValue("indexSelect", index.data[k], dim, size);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < picked; k++) {
        const src = (o * size + index.data[k]) * inner;
        result.set(x.data.subarray(src, src + inner), (o * picked + k) * inner);
      }
    }
    return result;
  },
  vjp: (g, { inputs: [x, index], attrs: { dim } }) => [indexAdd(expand(scalarNode(0, x.dtype), x.shape), dim, index, g), null],
  jvp: "linear",
  // An unbatched x (an embedding table) is read once with every sample's indices, never copied per sample.
  batch({ inputs: [x, index], batched: [xBatched, indexBatched], size, node }) {
    const { dim } = node.attrs;
    if (!indexBatched) return indexSelect(x, afterBatch(dim), index);
    if (!xBatched) return splitBatchFrom(indexSelect(x, dim, mergeBatchInto(index, 0)), dim, size, index.shape[1]);
    return gather(x, afterBatch(dim), spreadIndex(index, dim, [size, ...node.shape]));
  },
  onnx: (b, [x, index], { dim }) => b.op("Gather", [x, index], { axis: dim }),
});

/** torch.index_select: the entries along `dim` at the int32 indices in the 1-D `index`. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  return apply(indexSelectOp, [x, index], { dim });
}
