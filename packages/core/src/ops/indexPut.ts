import { OpError } from "../basics/errors";
import { formatShape, sameShape } from "../basics/shape";
import { checkTensor } from "../ir/args";
import { booleanAttr, checkAttrNames } from "../ir/attrs";
import { apply, scalarNode } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { advancedIndex } from "./advancedIndex";
import { expand } from "./expand";
import { withBatch } from "./batching";
import { addedIntoJvp, advancedLayout, advancedOffsets, advancedOnnx, batchedAdvanced, checkIndexTensor, indexedDimsAttr, indicesAt, inversePermutation, linearTangent, splitIndices, type TensorIndices } from "./indexing";

type IndexPutAttrs = { readonly dims: readonly number[]; readonly accumulate: boolean };

/**
 * PyTorch's `index_put`: x with `values` written (or, with `accumulate`, added) at the positions
 * that `x[indices]` reads (inputs: x, values, then one int32 tensor per dim of `dims`); values has
 * the indexed result's shape. Written twice, a position keeps the value written last in row-major
 * order of the index (PyTorch leaves that undefined; its CPU loop does the same); added twice, it
 * gets both. Gradients as PyTorch's: values get g at the positions (each of a repeated position
 * gets all of g there), x gets g where nothing was written over it.
 */
export const indexPutOp = registerBuiltinOp<IndexPutAttrs>({
  name: "indexPut",
  arity: "variadic",
  canonicalize([x, , ...indices], attrs) {
    checkAttrNames("indexPut", attrs, ["dims", "accumulate"]);
    return { dims: indexedDimsAttr("indexPut", x, attrs, indices.length), accumulate: booleanAttr("indexPut", attrs, "accumulate", false) };
  },
  infer([x, values, ...indices], { dims }) {
    indices.forEach((index) => checkIndexTensor("indexPut", index));
    const { shape } = advancedLayout("indexPut", x.shape, dims, indices.map((index) => index.shape));
    if (values.dtype !== x.dtype || !sameShape(values.shape, shape)) {
      throw new OpError("indexPut", `expected values ${x.dtype} ${formatShape(shape)} (the indexing result), got ${values.dtype} ${formatShape(values.shape)}`);
    }
    return x;
  },
  kernel([x, values, ...indices], { dims, accumulate }) {
    const layout = advancedLayout("indexPut", x.shape, dims, indices.map((index) => index.shape));
    const offsets = advancedOffsets("indexPut", x.shape, dims, indices, layout);
    const result = x.data.slice();
    if (accumulate) for (let i = 0; i < offsets.length; i++) result[offsets[i]] += values.data[i];
    else for (let i = 0; i < offsets.length; i++) result[offsets[i]] = values.data[i];
    return result;
  },
  vjp(g, { inputs: [, values, ...indices], attrs: { dims, accumulate }, needs }) {
    const at = indicesAt(dims, indices);
    const overwritten = needs[0] && !accumulate ? indexPut(g, at, scalarNode(0, g.dtype)) : g;
    return [overwritten, needs[1] ? advancedIndex(g, at) : null, ...indices.map(() => null)];
  },
  // Linear in x and values together, written over or added.
  jvp: (tangents, ctx) => (ctx.attrs.accumulate ? accumulatedJvp(tangents, ctx) : linearTangent(tangents, ctx)),
  // The output has x's shape, so x takes the batch in any case.
  batch({ inputs: [x, values, ...indices], batched: [xBatched, valuesBatched, ...indexBatched], size, node, rebuild }) {
    const plan = batchedAdvanced("indexPut", withBatch(x, xBatched, size), true, indices, indexBatched, node.attrs.dims, size);
    const batchedValues = plan.fromSamples(withBatch(values, valuesBatched, size));
    return rebuild([plan.x, batchedValues, ...plan.indices], { dims: plan.dims, accumulate: node.attrs.accumulate });
  },
  onnx(b, [x, values, ...indices], { dims, accumulate }) {
    const layout = advancedLayout("indexPut", x.shape, dims, indices.map((index) => index.shape));
    const { front, perm, stacked, toLayout } = advancedOnnx(b, x, indices, dims, layout);
    // values have the indexed result's layout; ScatterND takes them broadcast dims first, as GatherND gives them.
    const updates = toLayout === null ? values : b.op("Transpose", [values], { perm: inversePermutation(toLayout) });
    const written = b.op("ScatterND", [front, stacked, updates], { reduction: accumulate ? "add" : undefined });
    return front === x ? written : b.op("Transpose", [written], { perm: inversePermutation(perm) });
  },
});

const accumulatedJvp = addedIntoJvp(1);

/**
 * `index_put(x, indices, values, accumulate)`: PyTorch's `x[i, :, j] = values` (or `+=` with
 * accumulate) out of place, with `indices` an int32 tensor or null (the whole dim) per leading dim.
 * values broadcasts to the indexing result's shape and must have x's dtype, as in PyTorch.
 */
export function indexPut(x: Tensor, indices: TensorIndices, values: Tensor, accumulate = false): Tensor {
  const { dims, tensors } = splitIndices("indexPut", x, indices);
  checkTensor("indexPut", "values", values);
  tensors.forEach((index) => checkIndexTensor("indexPut", index));
  const { shape } = advancedLayout("indexPut", x.shape, dims, tensors.map((index) => index.shape));
  if (values.dtype !== x.dtype) {
    throw new OpError("indexPut", `index put requires the source and destination dtypes match, got ${x.dtype} for the destination and ${values.dtype} for the source`);
  }
  const fits = values.shape.length <= shape.length && values.shape.every((d, i) => d === 1 || d === shape[shape.length - values.shape.length + i]);
  if (!fits) {
    throw new OpError("indexPut", `shape mismatch: value tensor of shape ${formatShape(values.shape)} cannot be broadcast to indexing result of shape ${formatShape(shape)}`);
  }
  return apply(indexPutOp, [x, expand(values, shape), ...tensors], { dims, accumulate });
}
