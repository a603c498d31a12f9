import { isFloat } from "../basics/dtype";
import { describeValue, OpError } from "../basics/errors";
import { formatShape, normalizeDim, type Shape, sizeOf, stridesOf } from "../basics/shape";
import { broadcastWindow, denseWindow } from "../basics/window";
import { checkTensor } from "../ir/args";
import { type Attrs, checkAttrNames, dimAttr, integerListAttr } from "../ir/attrs";
import { applyCanonical, constantNode, scalarNode } from "../ir/graph";
import type { OnnxBuilder, OnnxTensor, OnnxValue } from "../ir/onnx";
import type { BatchContext, Jvp, JvpContext, TensorMeta, Value } from "../ir/registry";
import { Tensor } from "../ir/tensor";
import { readWindow } from "../kernels/strided";
import { afterBatch, moveDim, withBatch, withSampleRank } from "./batching";
import { expand } from "./expand";
import { permute } from "./permute";
import { reshape } from "./reshape";
import { slice } from "./slice";

/**
 * The part of `src` that an index of `shape` reads (its leading corner): ONNX's ScatterElements
 * takes updates of the index's shape, where PyTorch's scatter reads src through the index.
 */
export function srcForIndexOnnx(b: OnnxBuilder, src: OnnxTensor, shape: readonly number[]): OnnxValue {
  if (shape.every((size, d) => size === src.shape[d])) return src;
  return b.op("Slice", [src, b.int64s(shape.map(() => 0)), b.int64s(shape), b.int64s(shape.map((_, d) => d))]);
}

/** Shared checks and index arithmetic of the indexing ops (gather, scatter*, indexSelect, indexAdd, advancedIndex, indexPut). */
export function checkIndexTensor(op: string, index: TensorMeta): void {
  if (index.dtype !== "int32") throw new OpError(op, `index must be an int32 tensor, got ${index.dtype}`);
}

const outOfBounds = (op: string, i: number, dim: number, size: number) =>
  new OpError(op, `index ${i} is out of bounds for dimension ${dim} with size ${size}`);

export function checkIndexValue(op: string, i: number, dim: number, size: number): void {
  if (i < 0 || i >= size) throw outOfBounds(op, i, dim, size);
}

/** The one attribute of the indexing ops: a dim of their first input. */
export function canonicalizeIndexDim(op: string): (inputs: readonly TensorMeta[], attrs: Attrs) => { readonly dim: number } {
  return ([x], attrs) => {
    checkAttrNames(op, attrs, ["dim"]);
    return { dim: dimAttr(op, attrs, "dim", x.shape.length) };
  };
}

/** gather/scatterAdd: index has x's rank and fits inside x except along `dim` (PyTorch's rule). */
export function checkGatherShapes(op: string, x: TensorMeta, index: TensorMeta, d: number): void {
  checkIndexTensor(op, index);
  if (index.shape.length !== x.shape.length) {
    throw new OpError(op, `index tensor must have the same number of dimensions as input: ${formatShape(index.shape)} vs ${formatShape(x.shape)}`);
  }
  index.shape.forEach((size, i) => {
    if (i !== d && size > x.shape[i]) {
      throw new OpError(op, `size of index ${formatShape(index.shape)} does not fit input ${formatShape(x.shape)} at dimension ${i}`);
    }
  });
}

/**
 * For each element of a gather-style index (row-major over `index.shape`), the flat position it
 * addresses in a tensor of `target` shape: the element's own coordinates, with the index value
 * along `dim`. gather reads from these positions; scatterAdd adds into them.
 */
export function indexedPositions(op: string, index: { data: ArrayLike<number>; shape: Shape }, dim: number, target: Shape): Int32Array {
  const positions = new Int32Array(index.data.length);
  const targetStrides = stridesOf(target);
  const indexStrides = stridesOf(index.shape);
  for (let i = 0; i < positions.length; i++) {
    let position = 0;
    for (let d = 0, rest = i; d < index.shape.length; d++) {
      const coord = Math.floor(rest / indexStrides[d]);
      rest -= coord * indexStrides[d];
      if (d === dim) {
        const j = index.data[i];
        checkIndexValue(op, j, dim, target[dim]);
        position += j * targetStrides[d];
      } else position += coord * targetStrides[d];
    }
    positions[i] = position;
  }
  return positions;
}

// -------------------------------------------------------------------------------------------------
// Advanced indexing (advancedIndex, indexPut): index tensors on some dims of x, NumPy's rules.

/** A possibly negative index into a dim of `size`: -1 is the last, as in PyTorch's advanced indexing. */
function wrapIndexValue(op: string, i: number, dim: number, size: number): number {
  if (i < -size || i >= size) throw outOfBounds(op, i, dim, size);
  return i < 0 ? i + size : i;
}

/** The index tensors broadcast together (NumPy's rule), refused in PyTorch's words. */
function broadcastIndexShapes(op: string, shapes: readonly Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => {
    let size = 1;
    for (const shape of shapes) {
      const d = shape[shape.length - rank + i] ?? 1;
      if (d !== 1 && size !== 1 && d !== size) {
        throw new OpError(op, `shape mismatch: indexing tensors could not be broadcast together with shapes ${shapes.map(formatShape).join(", ")}`);
      }
      if (d !== 1) size = d;
    }
    return size;
  });
}

/** The dims of x indexed by tensors: which dims of x the result keeps, and where it puts the broadcast index dims among them. */
interface AdvancedLayout {
  readonly broadcast: readonly number[];
  /** The dims of x that no tensor indexes, in order. */
  readonly kept: readonly number[];
  /** How many kept dims come before the broadcast block: the first indexed dim if the indexed dims are adjacent, else 0. */
  readonly lead: number;
  readonly shape: readonly number[];
}

/** How many kept dims come before the broadcast block (see `AdvancedLayout`). */
function leadOf(dims: readonly number[]): number {
  return dims.every((d, k) => k === 0 || d === dims[k - 1] + 1) ? dims[0] : 0;
}

/**
 * Where the result of indexing x with tensors on `dims` puts its dims, by NumPy's rule (which
 * PyTorch follows): the broadcast shape of the index tensors takes the place of the indexed dims
 * when those are adjacent (`x[:, i, j]` is [x0, ...broadcast, x3...]), and comes first when a
 * kept dim separates them (`x[i, :, j]` is [...broadcast, x1]).
 */
export function advancedLayout(op: string, x: Shape, dims: readonly number[], indexShapes: readonly Shape[]): AdvancedLayout {
  const broadcast = broadcastIndexShapes(op, indexShapes);
  const kept = x.flatMap((_, d) => (dims.includes(d) ? [] : [d]));
  const lead = leadOf(dims);
  const keptSizes = kept.map((d) => x[d]);
  return { broadcast, kept, lead, shape: [...keptSizes.slice(0, lead), ...broadcast, ...keptSizes.slice(lead)] };
}

/** Σ coord·stride for every position of `sizes`, row-major: the offsets a block of dims of x contributes. */
function blockOffsets(sizes: readonly number[], strides: readonly number[]): Int32Array {
  const offsets = new Int32Array(sizeOf(sizes));
  for (let flat = 0; flat < offsets.length; flat++) {
    let offset = 0;
    for (let d = sizes.length - 1, rest = flat; d >= 0; d--) {
      const coord = rest % sizes[d];
      offset += coord * strides[d];
      rest = (rest - coord) / sizes[d];
    }
    offsets[flat] = offset;
  }
  return offsets;
}

/**
 * For each element of the indexed result (row-major over `layout.shape`), the flat position of x
 * it reads: advancedIndex reads from these positions, indexPut writes or adds into them. Index
 * values may be negative (counted from the end); others out of range are refused, naming the dim.
 */
export function advancedOffsets(op: string, x: Shape, dims: readonly number[], indices: readonly Value[], layout: AdvancedLayout): Int32Array {
  const strides = stridesOf(x);
  const fromIndices = new Int32Array(sizeOf(layout.broadcast));
  indices.forEach((index, k) => {
    const dim = dims[k];
    const values = readWindow(index.data, broadcastWindow(denseWindow(index.shape), layout.broadcast), "int32");
    for (let b = 0; b < values.length; b++) fromIndices[b] += wrapIndexValue(op, values[b], dim, x[dim]) * strides[dim];
  });
  const before = layout.kept.slice(0, layout.lead);
  const after = layout.kept.slice(layout.lead);
  const outer = blockOffsets(before.map((d) => x[d]), before.map((d) => strides[d]));
  const inner = blockOffsets(after.map((d) => x[d]), after.map((d) => strides[d]));
  const offsets = new Int32Array(outer.length * fromIndices.length * inner.length);
  let at = 0;
  for (const o of outer) for (const b of fromIndices) for (const r of inner) offsets[at++] = o + b + r;
  return offsets;
}

/** How advancedIndex and indexPut are written with ONNX's GatherND / ScatterND, which index x's leading dims. */
interface AdvancedOnnx {
  /** x with the indexed dims moved first (`perm`), the kept dims after them in order. */
  readonly front: OnnxValue;
  readonly perm: readonly number[];
  /** The index tensors broadcast, wrapped to non-negative int64 (PyTorch counts negatives from the end), stacked on a last axis. */
  readonly stacked: OnnxValue;
  /** From GatherND's `[...broadcast, ...kept]` to the result's layout (NumPy's rule), null when they agree. */
  readonly toLayout: readonly number[] | null;
}

export function advancedOnnx(b: OnnxBuilder, x: OnnxTensor, indices: readonly OnnxTensor[], dims: readonly number[], layout: AdvancedLayout): AdvancedOnnx {
  const perm = [...dims, ...layout.kept];
  const front = perm.every((d, k) => d === k) ? x : b.op("Transpose", [x], { perm });
  const columns = indices.map((index, k) => {
    const wrapped = b.op("Mod", [b.cast(index, "int64"), b.scalar(x.shape[dims[k]], "int64")]);
    return b.op("Unsqueeze", [b.op("Expand", [wrapped, b.int64s(layout.broadcast)]), b.int64s([-1])]);
  });
  const stacked = columns.length === 1 ? columns[0] : b.op("Concat", columns, { axis: -1 });
  const rank = layout.broadcast.length;
  const { lead } = layout;
  const kept = layout.kept.length;
  const toLayout = lead === 0 ? null : [...range(rank, rank + lead), ...range(0, rank), ...range(rank + lead, rank + kept)];
  return { front, perm, stacked, toLayout };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

/** The permutation that undoes `perm`. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inverse: number[] = [];
  perm.forEach((d, k) => (inverse[d] = k));
  return inverse;
}

/** The `dims` attribute of advancedIndex and indexPut: the dims of x the index tensors index, strictly increasing. */
export function indexedDimsAttr(op: string, x: TensorMeta, attrs: Attrs, count: number): number[] {
  const dims = integerListAttr(op, attrs, "dims").map((d) => normalizeDim(op, d, x.shape.length));
  if (dims.length !== count || count === 0) {
    throw new OpError(op, `expected one dim per index tensor and at least one index tensor, got dims ${formatShape(dims)} for ${count} index tensor(s)`);
  }
  if (!dims.every((d, k) => k === 0 || d > dims[k - 1])) throw new OpError(op, `dims must be strictly increasing, got ${formatShape(dims)}`);
  return dims;
}

/** An index tensor or null (a full slice) per leading dim, as aten's `Tensor?[] indices`. */
export type TensorIndices = readonly (Tensor | null)[];

/** The index tensors of `indices` and the dims they index, checked against x's rank. */
export function splitIndices(op: string, x: Tensor, indices: TensorIndices): { dims: number[]; tensors: Tensor[] } {
  checkTensor(op, "input", x);
  if (!Array.isArray(indices)) throw new OpError(op, `indices must be a list with an int32 tensor or null per leading dim, got ${describeValue(indices)}`);
  if (indices.length > x.shape.length) throw new OpError(op, `too many indices for tensor of dimension ${x.shape.length} (got ${indices.length})`);
  const dims: number[] = [];
  const tensors: Tensor[] = [];
  indices.forEach((entry, d) => {
    if (entry === null) return;
    if (!(entry instanceof Tensor)) throw new OpError(op, `indices[${d}] must be an int32 tensor or null, got ${describeValue(entry)}`);
    dims.push(d);
    tensors.push(entry);
  });
  if (tensors.length === 0) throw new OpError(op, "expected at least one index tensor, got only nulls");
  return { dims, tensors };
}

/** The inverse of splitIndices: null at every dim up to the last indexed one that no tensor indexes. */
export function indicesAt(dims: readonly number[], tensors: readonly Tensor[]): (Tensor | null)[] {
  const indices: (Tensor | null)[] = new Array(dims[dims.length - 1] + 1).fill(null);
  dims.forEach((d, k) => (indices[d] = tensors[k]));
  return indices;
}

// -------------------------------------------------------------------------------------------------
// scatter, scatterAdd, scatterReduce

/**
 * src as the scatter-like ops take it: of index's shape. PyTorch lets src be larger in any dim and
 * reads only the part index covers; that part is sliced off here, so its gradient is placed back.
 */
export function srcCoveredByIndex(op: string, src: Tensor, index: Tensor): Tensor {
  if (src.shape.length !== index.shape.length) {
    throw new OpError(op, `index tensor must have the same number of dimensions as src tensor: ${formatShape(index.shape)} vs ${formatShape(src.shape)}`);
  }
  return index.shape.reduce((part, size, d) => {
    if (size > src.shape[d]) throw new OpError(op, `expected index ${formatShape(index.shape)} to be smaller size than src ${formatShape(src.shape)}`);
    return slice(part, d, 0, size);
  }, src);
}

// -------------------------------------------------------------------------------------------------
// Forward mode and vmap of the indexing ops

const zerosLike = (t: Tensor) => expand(scalarNode(0, t.dtype), t.shape);

/** The op applied to the tangents (zeros for missing float ones, indices kept): the tangent of an op linear in its float inputs together. */
export function linearTangent(tangents: readonly (Tensor | null)[], { inputs, output, attrs }: JvpContext<Attrs>): Tensor {
  return applyCanonical(output.def!, inputs.map((x, i) => tangents[i] ?? (isFloat(x.dtype) ? zerosLike(x) : x)), attrs);
}

/** The JVP of base (input 0) plus src (input `srcInput`) added in by index: base's tangent alone when src has none, no op built. */
export function addedIntoJvp(srcInput: number): Jvp<Attrs> {
  return (tangents, ctx) => (tangents[srcInput] === null ? tangents[0] : linearTangent(tangents, ctx));
}

/** The batching of ops whose inputs must all carry the batch (the scatters: the output is base's shape): unbatched ones repeated, `dim` moved. */
export function batchEveryInput<A extends { readonly dim: number }>({ inputs, batched, size, node, rebuild }: BatchContext<A>): Tensor {
  return rebuild(inputs.map((x, i) => withBatch(x, batched[i], size)), { ...node.attrs, dim: afterBatch(node.attrs.dim) });
}

/**
 * A batched index `[size, ...]` as one sample's index along `dim`, the batch merged into that dim
 * (`[..., size·n, ...]`): an op that reads any number of positions along `dim` (gather,
 * indexSelect) then reads an unbatched source once, not a copy of it per sample.
 */
export function mergeBatchInto(index: Tensor, dim: number): Tensor {
  const shape = index.shape.slice(1);
  shape[dim] *= index.shape[0];
  return reshape(moveDim(index, 0, dim), shape);
}

/** The result of reading through `mergeBatchInto`'s index: `dim` split into `[size, n]` and the batch moved to dim 0. */
export function splitBatchFrom(y: Tensor, dim: number, size: number, n: number): Tensor {
  return moveDim(reshape(y, [...y.shape.slice(0, dim), size, n, ...y.shape.slice(dim + 1)]), dim, 0);
}

/** A batched 1-D index `[size, k]` along a sample's `dim`, spread to a gather-style index of the batched `shape` (the same slices picked). */
export function spreadIndex(index: Tensor, dim: number, shape: readonly number[]): Tensor {
  return expand(reshape(index, shape.map((s, d) => (d === 0 || d === afterBatch(dim) ? s : 1))), shape);
}

/** How advancedIndex and indexPut are built for a batch (see `batchedAdvanced`). */
interface BatchedAdvanced {
  readonly x: Tensor;
  readonly indices: readonly Tensor[];
  readonly dims: readonly number[];
  /** The indexed result of the op built on these, as `[size, ...one sample's indexed result]`. */
  toSamples(y: Tensor): Tensor;
  /** The inverse: values laid out as `[size, ...one sample's indexed result]` as the op built on these takes them. */
  fromSamples(values: Tensor): Tensor;
}

/** What each dim of an indexed result holds, by `advancedLayout`'s rule: named by `xDim` for a kept dim of x, `indexDim` for a broadcast index dim. */
function layoutLabels(rank: number, dims: readonly number[], broadcastRank: number, xDim: (d: number) => string, indexDim: (j: number) => string): string[] {
  const kept = Array.from({ length: rank }, (_, d) => d).filter((d) => !dims.includes(d));
  const lead = leadOf(dims);
  const block = Array.from({ length: broadcastRank }, (_, j) => indexDim(j));
  return [...kept.slice(0, lead).map(xDim), ...block, ...kept.slice(lead).map(xDim)];
}

const permuted = (t: Tensor, order: readonly number[]) => (order.every((d, k) => d === k) ? t : permute(t, order));

/**
 * Advanced indexing for a batch in one op. With no batched index: x's dims move one up. With
 * one: the batch becomes an index dim (batched indices get size-1 dims after it so that all
 * broadcast as their samples did), and a batched x is indexed on its batch dim by 0..size-1; an
 * unbatched x is read as it is, never copied per sample. The result's dims are then put in
 * sample order, as NumPy's layout may place the broadcast block, and so the batch, elsewhere.
 */
export function batchedAdvanced(
  op: string,
  x: Tensor,
  xBatched: boolean,
  indices: readonly Tensor[],
  indexBatched: readonly boolean[],
  dims: readonly number[],
  size: number,
): BatchedAdvanced {
  const sampleShapes = indices.map((index, k) => (indexBatched[k] ? index.shape.slice(1) : index.shape));
  const rank = broadcastIndexShapes(op, sampleShapes).length;
  const sampleRank = x.shape.length - (xBatched ? 1 : 0);
  const xDim = (d: number) => `x${d}`;
  const indexDim = (j: number) => `i${j}`;
  const wanted = ["batch", ...layoutLabels(sampleRank, dims, rank, xDim, indexDim)];
  let plan: { x: Tensor; indices: Tensor[]; dims: number[]; labels: string[] };
  if (!indexBatched.some(Boolean)) {
    const batchedDims = dims.map(afterBatch);
    const labels = layoutLabels(sampleRank + 1, batchedDims, rank, (d) => (d === 0 ? "batch" : xDim(d - 1)), indexDim);
    plan = { x, indices: [...indices], dims: batchedDims, labels };
  } else {
    const withBatchDim = (j: number) => (j === 0 ? "batch" : indexDim(j - 1));
    const aligned = indices.map((index, k) =>
      indexBatched[k] ? withSampleRank(index, rank) : index,
    );
    if (xBatched) {
      const samples = constantNode(Int32Array.from({ length: size }, (_, b) => b), [size, ...Array<number>(rank).fill(1)], "int32");
      const batchedDims = [0, ...dims.map(afterBatch)];
      plan = { x, indices: [samples, ...aligned], dims: batchedDims, labels: layoutLabels(sampleRank + 1, batchedDims, rank + 1, (d) => xDim(d - 1), withBatchDim) };
    } else {
      plan = { x, indices: aligned, dims: [...dims], labels: layoutLabels(sampleRank, dims, rank + 1, xDim, withBatchDim) };
    }
  }
  const { labels } = plan;
  return {
    ...plan,
    toSamples: (y) => permuted(y, wanted.map((label) => labels.indexOf(label))),
    fromSamples: (values) => permuted(values, labels.map((label) => wanted.indexOf(label))),
  };
}
