import { allocate } from "../basics/dtype";
import { checkAttrNames } from "../ir/attrs";
import { apply, scalarNode } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { expand } from "./expand";
import { advancedLayout, advancedOffsets, advancedOnnx, batchedAdvanced, checkIndexTensor, indexedDimsAttr, indicesAt, splitIndices, type TensorIndices } from "./indexing";
import { indexPut } from "./indexPut";

type AdvancedIndexAttrs = { readonly dims: readonly number[] };

/**
 * aten's `index`: x indexed by int32 tensors on `dims` (inputs: x, then one tensor per dim), the
 * other dims taken whole. The index tensors broadcast together; negative values count from the
 * end; the result's layout is NumPy's (see `advancedLayout`). `x.index([...])` (api/indexing.ts)
 * reduces numbers and slices to views first and leaves the tensors to this op, as PyTorch does.
 * The gradient adds g back into zeros at the indexed positions (an indexPut with accumulate), so
 * a position picked twice gets both.
 */
export const advancedIndexOp = registerBuiltinOp<AdvancedIndexAttrs>({
  name: "advancedIndex",
  arity: "variadic",
  canonicalize([x, ...indices], attrs) {
    checkAttrNames("advancedIndex", attrs, ["dims"]);
    return { dims: indexedDimsAttr("advancedIndex", x, attrs, indices.length) };
  },
  infer([x, ...indices], { dims }) {
    indices.forEach((index) => checkIndexTensor("advancedIndex", index));
    const layout = advancedLayout("advancedIndex", x.shape, dims, indices.map((index) => index.shape));
    return { shape: layout.shape, dtype: x.dtype };
  },
  kernel([x, ...indices], { dims }, out) {
    const layout = advancedLayout("advancedIndex", x.shape, dims, indices.map((index) => index.shape));
    const offsets = advancedOffsets("advancedIndex", x.shape, dims, indices, layout);
    const result = allocate(out.dtype, offsets.length);
    for (let i = 0; i < offsets.length; i++) result[i] = x.data[offsets[i]];
    return result;
  },
  vjp: (g, { inputs: [x, ...indices], attrs: { dims } }) => [
    indexPut(expand(scalarNode(0, x.dtype), x.shape), indicesAt(dims, indices), g, true),
    ...indices.map(() => null),
  ],
  jvp: "linear",
  batch({ inputs: [x, ...indices], batched: [xBatched, ...indexBatched], size, node, rebuild }) {
    const plan = batchedAdvanced("advancedIndex", x, xBatched, indices, indexBatched, node.attrs.dims, size);
    return plan.toSamples(rebuild([plan.x, ...plan.indices], { dims: plan.dims }));
  },
  onnx(b, [x, ...indices], { dims }) {
    const layout = advancedLayout("advancedIndex", x.shape, dims, indices.map((index) => index.shape));
    const { front, stacked, toLayout } = advancedOnnx(b, x, indices, dims, layout);
    const picked = b.op("GatherND", [front, stacked]);
    return toLayout === null ? picked : b.op("Transpose", [picked], { perm: toLayout });
  },
});

/** aten's `index(x, indices)`: an int32 tensor or null (the whole dim) per leading dim, at least one tensor. */
export function advancedIndex(x: Tensor, indices: TensorIndices): Tensor {
  const { dims, tensors } = splitIndices("advancedIndex", x, indices);
  return apply(advancedIndexOp, [x, ...tensors], { dims });
}
