import { OpError } from "../basics/errors";
import { checkNumber, checkOptions } from "../ir/args";
import { apply } from "../ir/graph";
import { formatShape, sameShape, sizeOf } from "../basics/shape";
import type { Tensor } from "../ir/tensor";
import { afterBatch, withBatch } from "./batching";
import { addedIntoJvp, canonicalizeIndexDim, checkIndexTensor, checkIndexValue, spreadIndex } from "./indexing";
import { scatterAdd } from "./scatterAdd";
import { indexSelect } from "./indexSelect";
import { mul } from "./mul";
import { registerBuiltinOp } from "./builtinOp";

/** out = base; out[..., index[k], ...] += src[..., k, ...] along `dim`: the gradient of indexSelect. */
export const indexAddOp = registerBuiltinOp<{ readonly dim: number }>({
  name: "indexAdd",
  arity: 3,
  canonicalize: canonicalizeIndexDim("indexAdd"),
  infer([base, index, src], { dim }) {
    checkIndexTensor("indexAdd", index);
    const expected = [...base.shape];
    expected[dim] = index.shape[0] ?? 0;
    if (index.shape.length !== 1 || src.dtype !== base.dtype || !sameShape(src.shape, expected)) {
      throw new OpError("indexAdd", `expected a 1-D index and src ${base.dtype} ${formatShape(expected)}, got index ${formatShape(index.shape)} and src ${src.dtype} ${formatShape(src.shape)}`);
    }
    return base;
  },
  kernel([base, index, src], { dim }) {
    const result = base.data.slice();
    const inner = sizeOf(base.shape.slice(dim + 1));
    const outer = sizeOf(base.shape.slice(0, dim));
    const size = base.shape[dim];
    const picked = index.data.length;
    for (let k = 0; k < picked; k++) checkIndexValue("indexAdd", index.data[k], dim, size);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < picked; k++) {
        const dst = (o * size + index.data[k]) * inner;
        const from = (o * picked + k) * inner;
        for (let j = 0; j < inner; j++) result[dst + j] += src.data[from + j];
      }
    }
    return result;
  },
  vjp: (g, { inputs: [, index], attrs: { dim }, needs }) => [g, null, needs[2] ? indexSelect(g, dim, index) : null],
  jvp: addedIntoJvp(2),
  // Samples with indices of their own add element by element: a scatterAdd of the index spread over src.
  batch({ inputs: [base, index, src], batched: [baseBatched, indexBatched, srcBatched], size, node: { attrs: { dim } } }) {
    const batchedBase = withBatch(base, baseBatched, size);
    const batchedSrc = withBatch(src, srcBatched, size);
    if (!indexBatched) return indexAdd(batchedBase, afterBatch(dim), index, batchedSrc);
    return scatterAdd(batchedBase, afterBatch(dim), spreadIndex(index, dim, batchedSrc.shape), batchedSrc);
  },
  onnx: (b, [x, index, src], { dim }) => {
    // Each index spread over its slice of src: ScatterElements adds element by element.
    const column = b.op("Reshape", [index, b.int64s(src.shape.map((size, d) => (d === dim ? size : 1)))], { allowzero: 1 });
    return b.op("ScatterElements", [x, b.op("Expand", [column, b.int64s(src.shape)]), src], { axis: dim, reduction: "add" });
  },
});

/** `index_add(base, dim, index, source, alpha=...)`: source scaled by alpha first, as PyTorch's `self[index] += alpha * source`. */
export function indexAdd(base: Tensor, dim: number, index: Tensor, src: Tensor, options?: { alpha?: number }): Tensor {
  const { alpha = 1 } = checkOptions("indexAdd", options, ["alpha"]);
  checkNumber("indexAdd", "alpha", alpha);
  return apply(indexAddOp, [base, index, alpha === 1 ? src : mul(src, alpha)], { dim });
}
