/**
 * Layout: the ops that move, copy or pick elements without arithmetic (flip, roll, the triangles,
 * diagonals, padding, unfold), and the composites built from views and copies that need no
 * kernel or gradient of their own: split, chunk, unbind and narrow are slices; flatten and
 * unflatten reshapes; movedim a permute; repeat and tile an expand between reshapes; meshgrid
 * expands; einsum diagonals, sums, permutes, reshapes and matrix products.
 */
import { isFloat } from "../basics/dtype";
import { cast } from "../ops/cast";
import { OpError } from "../basics/errors";
import { formatShape, normalizeDim, sizeOf } from "../basics/shape";
import { checkTensor, checkTensorList, describeValue } from "../ir/args";
import type { Tensor } from "../ir/tensor";
import { evaluate } from "../exec/evaluate";
import { diagonal } from "../ops/diagonal";
import { diagonalBackward } from "../ops/diagonalBackward";
import { eq } from "../ops/compare";
import { expand } from "../ops/expand";
import { indexSelect } from "../ops/indexSelect";
import { matmul } from "../ops/matmul";
import { permute } from "../ops/permute";
import { reshape } from "../ops/reshape";
import { roll as rollNode } from "../ops/roll";
import { slice } from "../ops/slice";
import { sum } from "../ops/sum";
import { asCalled } from "./arguments";
import { arange, tensor } from "./creation";

export { diagonal } from "../ops/diagonal";
export { diagonalBackward } from "../ops/diagonalBackward";
export { flip } from "../ops/flip";
export { pad, type PadMode } from "../ops/pad";
export { padBackward } from "../ops/padBackward";
export { tril, triu } from "../ops/triangular";
export { unfold } from "../ops/unfold";
export { unfoldBackward } from "../ops/unfoldBackward";

const dimsOf = (value: number | readonly number[]) => (typeof value === "number" ? [value] : [...value]);

function checkInteger(op: string, what: string, value: unknown): asserts value is number {
  if (!Number.isSafeInteger(value)) throw new OpError(op, `${what} must be an integer, got ${describeValue(value)}`);
}

/** The dim that a split, chunk, unbind, narrow or unflatten cuts: PyTorch refuses 0-d tensors before it looks at the dim. */
function splitDim(op: string, x: Tensor, dim: number, wording: string): number {
  checkTensor(op, "input", x);
  if (x.shape.length === 0) throw new OpError(op, wording);
  return normalizeDim(op, dim, x.shape.length);
}

/** torch.narrow: `length` elements along `dim` from `start` (negative counts from the end); a view. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = splitDim("narrow", x, dim, "narrow() cannot be applied to a 0-dim tensor");
  const size = x.shape[d];
  checkInteger("narrow", "start", start);
  checkInteger("narrow", "length", length);
  if (start < -size || start > size) throw new OpError("narrow", `start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`);
  const from = start < 0 ? start + size : start;
  if (length < 0 || from > size - length) throw new OpError("narrow", `start (${from}) + length (${length}) exceeds dimension size (${size})`);
  return slice(x, d, from, from + length);
}

/**
 * torch.split: pieces of `size` elements along `dim` (the last one smaller if the size does not
 * divide), or pieces of the listed sizes, which must add up to the dim's size. Views.
 */
export function split(x: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  const d = splitDim("split", x, dim, "split expects at least a 1-dimensional tensor");
  const length = x.shape[d];
  if (typeof size !== "number") return splitWithSizes(x, size, d);
  checkInteger("split", "split_size", size);
  if (size < 0) throw new OpError("split", `split expects split_size be non-negative, but got split_size=${size}`);
  if (size === 0 && length > 0) throw new OpError("split", `split_size can only be 0 if dimension size is 0, but got dimension size of ${length}`);
  const count = size === 0 ? 1 : Math.max(Math.ceil(length / size), 1);
  return Array.from({ length: count }, (_, i) => slice(x, d, i * size, Math.min((i + 1) * size, length)));
}

function splitWithSizes(x: Tensor, sizes: readonly number[], d: number): Tensor[] {
  if (!Array.isArray(sizes)) throw new OpError("split", `split_size must be an integer or a list of integers, got ${describeValue(sizes)}`);
  sizes.forEach((s) => checkInteger("split", "each split size", s));
  if (sizes.some((s) => s < 0)) throw new OpError("split", `split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=${formatShape(sizes)}`);
  const total = sizes.reduce((n, s) => n + s, 0);
  if (total !== x.shape[d]) {
    throw new OpError(
      "split",
      `split_with_sizes expects split_sizes to sum exactly to ${x.shape[d]} (input tensor's size at dimension ${d}), but got split_sizes=${formatShape(sizes)}`,
    );
  }
  let start = 0;
  return sizes.map((s) => slice(x, d, start, (start += s)));
}

/**
 * torch.chunk: at most `chunks` pieces along `dim` of ceil(size / chunks) elements (the last may
 * be smaller, and there may be fewer pieces); an empty dim gives `chunks` empty pieces.
 */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = splitDim("chunk", x, dim, "chunk expects at least a 1-dimensional tensor");
  checkInteger("chunk", "chunks", chunks);
  if (chunks <= 0) throw new OpError("chunk", `chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const length = x.shape[d];
  if (length === 0) return splitWithSizes(x, new Array<number>(chunks).fill(0), d);
  return split(x, Math.ceil(length / chunks), d);
}

/** torch.unbind: the slices along `dim`, each without that dim. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = splitDim("unbind", x, dim, "Dimension specified as 0 but tensor has no dimensions");
  const rest = x.shape.filter((_, i) => i !== d);
  return Array.from({ length: x.shape[d] }, (_, i) => reshape(slice(x, d, i, i + 1), rest));
}

/** torch.flatten: dims `startDim` to `endDim` merged into one; a 0-d tensor becomes 1-d. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor("flatten", "input", x);
  const rank = x.shape.length;
  const [start, end] = [normalizeDim("flatten", startDim, rank), normalizeDim("flatten", endDim, rank)];
  if (start > end) throw new OpError("flatten", "flatten() has invalid args: start_dim cannot come after end_dim");
  if (rank === 0) return reshape(x, [1]);
  return reshape(x, [...x.shape.slice(0, start), sizeOf(x.shape.slice(start, end + 1)), ...x.shape.slice(end + 1)]);
}

/** torch.unflatten: `dim` split into `sizes` (one of them may be -1, inferred). */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = splitDim("unflatten", x, dim, "Dimension specified as 0 but tensor has no dimensions");
  if (!Array.isArray(sizes) || sizes.length === 0) throw new OpError("unflatten", "sizes must be non-empty");
  sizes.forEach((s) => checkInteger("unflatten", "each size", s));
  const length = x.shape[d];
  const inferred = sizes.filter((s) => s === -1).length;
  const known = sizeOf(sizes.filter((s) => s !== -1));
  if (inferred > 1) throw new OpError("unflatten", `only one dimension can be inferred, got sizes ${formatShape(sizes)}`);
  const fits = inferred === 1 ? known > 0 && length % known === 0 : known === length;
  if (!fits || sizes.some((s) => s < -1)) {
    throw new OpError("unflatten", `Provided sizes ${formatShape(sizes)} don't multiply up to the size of dim ${d} (${length}) in the input tensor`);
  }
  const resolved = sizes.map((s) => (s === -1 ? length / known : s));
  return reshape(x, [...x.shape.slice(0, d), ...resolved, ...x.shape.slice(d + 1)]);
}

/** torch.movedim: the dims `source` moved to the positions `destination`, the others keeping their order; a view. */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  checkTensor("movedim", "input", x);
  for (const [what, dims] of [["source", source], ["destination", destination]] as const) {
    if (typeof dims !== "number" && !Array.isArray(dims)) throw new OpError("movedim", `${what} must be a dim or a list of dims, got ${describeValue(dims)}`);
  }
  const rank = x.shape.length;
  const [from, to] = [dimsOf(source), dimsOf(destination)].map((dims) => dims.map((d) => normalizeDim("movedim", d, rank)));
  if (from.length !== to.length) {
    throw new OpError(
      "movedim",
      `Invalid source or destination dims: source (${formatShape(dimsOf(source))} dims) should contain the same number of dims as destination (${formatShape(dimsOf(destination))} dims)`,
    );
  }
  for (const [what, dims, given] of [["source", from, source], ["destination", to, destination]] as const) {
    if (new Set(dims).size !== dims.length) throw new OpError("movedim", `repeated dim in \`${what}\` (${formatShape(dimsOf(given))})`);
  }
  if (rank === 0) return x;
  const order = new Array<number>(rank).fill(-1);
  from.forEach((d, i) => (order[to[i]] = d));
  const rest = x.shape.map((_, d) => d).filter((d) => !from.includes(d));
  return permute(x, order.map((d) => (d === -1 ? rest.shift()! : d)));
}

/**
 * Tensor.repeat: the whole tensor tiled `repeats[i]` times along dim i; with more repeats than
 * dims, the tensor is first given leading dims of size 1. One expand between two reshapes.
 */
export function repeat(x: Tensor, repeats: readonly number[]): Tensor {
  checkTensor("repeat", "input", x);
  if (!Array.isArray(repeats)) throw new OpError("repeat", `repeats must be a list of integers, got ${describeValue(repeats)}`);
  repeats.forEach((r) => checkInteger("repeat", "each repeat", r));
  if (repeats.length < x.shape.length) {
    throw new OpError("repeat", "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  }
  const shape = [...new Array<number>(repeats.length - x.shape.length).fill(1), ...x.shape];
  const result = shape.map((d, i) => d * repeats[i]);
  const negative = result.find((d) => d < 0);
  if (negative !== undefined) throw new OpError("repeat", `Trying to create tensor with negative dimension ${negative}: ${formatShape(result)}`);
  const spread = reshape(x, shape.flatMap((d) => [1, d]));
  return reshape(expand(spread, shape.flatMap((d, i) => [repeats[i], d])), result);
}

/** torch.tile: repeat, with too few repeats filled up with leading 1s (so the tensor's own dims are the last repeated). */
export function tile(x: Tensor, repeats: readonly number[]): Tensor {
  checkTensor("tile", "input", x);
  if (!Array.isArray(repeats)) throw new OpError("tile", `dims must be a list of integers, got ${describeValue(repeats)}`);
  return asCalled("tile", () => repeat(x, [...new Array<number>(Math.max(0, x.shape.length - repeats.length)).fill(1), ...repeats]));
}

/**
 * torch.repeat_interleave: each element repeated `repeats` times along `dim` (the flattened tensor
 * when `dim` is left out). `repeats` may also give one count per element along `dim` (a list or
 * an int32 tensor, whose values are read now, as PyTorch reads them); a single count applies to all.
 */
export function repeatInterleave(x: Tensor, repeats: number | readonly number[] | Tensor, dim?: number): Tensor {
  checkTensor("repeatInterleave", "input", x);
  const source = dim === undefined ? reshape(x, [-1]) : x;
  const d = normalizeDim("repeatInterleave", dim ?? 0, source.shape.length);
  const counts = repeatCounts(repeats);
  if (counts.some((r) => r < 0)) throw new OpError("repeatInterleave", "repeats can not be negative");
  if (source.shape.length === 0) return repeatInterleave(reshape(source, [1]), counts, 0);
  const length = source.shape[d];
  if (counts.length === 1) {
    const spread = reshape(source, [...source.shape.slice(0, d + 1), 1, ...source.shape.slice(d + 1)]);
    const copies = expand(spread, [...source.shape.slice(0, d + 1), counts[0], ...source.shape.slice(d + 1)]);
    return reshape(copies, source.shape.map((size, i) => (i === d ? size * counts[0] : size)));
  }
  if (counts.length !== length) throw new OpError("repeatInterleave", "repeats must have the same size as input along dim");
  const index = counts.flatMap((count, i) => new Array<number>(count).fill(i));
  return indexSelect(source, d, tensor(index, { dtype: "int32" }));
}

function repeatCounts(repeats: number | readonly number[] | Tensor): number[] {
  if (typeof repeats === "number" || Array.isArray(repeats)) {
    const counts = typeof repeats === "number" ? [repeats] : [...repeats];
    counts.forEach((r) => checkInteger("repeatInterleave", "repeats", r));
    return counts;
  }
  checkTensor("repeatInterleave", "repeats", repeats);
  if (repeats.dtype !== "int32") throw new OpError("repeatInterleave", `repeats must be an int32 tensor, got ${repeats.dtype}`);
  if (repeats.shape.length > 1) throw new OpError("repeatInterleave", "repeats must be 0-dim or 1-dim tensor");
  return Array.from(evaluate([repeats])[0]);
}

/** torch.diag: a vector's matrix with the vector on diagonal `diagonal`, or a matrix's diagonal as a vector. */
export function diag(x: Tensor, diagonalOffset = 0): Tensor {
  checkTensor("diag", "input", x);
  checkInteger("diag", "diagonal", diagonalOffset);
  if (x.shape.length === 2) return diagonal(x, diagonalOffset, 0, 1);
  if (x.shape.length !== 1) throw new OpError("diag", `matrix or a vector expected, got a tensor of ${x.shape.length} dims`);
  const side = x.shape[0] + Math.abs(diagonalOffset);
  return diagonalBackward(x, diagonalOffset, 0, 1, side, side);
}

/**
 * torch.meshgrid: the coordinate grids of 0-d or 1-d tensors, each expanded to the shape of all
 * their sizes. "ij" indexing (PyTorch's default) follows the inputs' order; "xy" (NumPy's
 * Cartesian default) swaps the first two dims of every grid.
 */
export function meshgrid(tensors: readonly Tensor[], indexing: "ij" | "xy" = "ij"): Tensor[] {
  checkTensorList("meshgrid", "tensors", tensors);
  if (tensors.length === 0) throw new OpError("meshgrid", "meshgrid expects a non-empty TensorList");
  if (indexing !== "ij" && indexing !== "xy") {
    throw new OpError("meshgrid", `indexing must be one of "xy" or "ij", but received: ${typeof indexing === "string" ? indexing : describeValue(indexing)}`);
  }
  for (const t of tensors) {
    if (t.shape.length > 1) throw new OpError("meshgrid", `Expected 0D or 1D tensor in the tensor list but got a tensor of shape ${formatShape(t.shape)}`);
    if (t.dtype !== tensors[0].dtype) throw new OpError("meshgrid", `expects all tensors to have the same dtype, got ${tensors[0].dtype} and ${t.dtype}`);
  }
  const swap = indexing === "xy" && tensors.length >= 2;
  const ordered = swap ? [tensors[1], tensors[0], ...tensors.slice(2)] : tensors;
  const shape = ordered.map((t) => sizeOf(t.shape));
  const grids = ordered.map((t, i) => expand(reshape(t, shape.map((size, j) => (i === j ? size : 1))), shape));
  return swap ? [grids[1], grids[0], ...grids.slice(2)] : grids;
}

/**
 * F.one_hot: for int32 class indices, a new last dim of `numClasses` holding 1 at each index and
 * 0 elsewhere (int32, where PyTorch's is int64). With `numClasses` -1 it is the largest index + 1.
 * The indices are read now to check them (and count the classes), as PyTorch reads them.
 */
export function oneHot(x: Tensor, numClasses = -1): Tensor {
  checkTensor("oneHot", "input", x);
  checkInteger("oneHot", "numClasses", numClasses);
  if (numClasses < -1) throw new OpError("oneHot", `numClasses must be non-negative (or -1 to infer it), got ${numClasses}`);
  if (x.dtype !== "int32") throw new OpError("oneHot", `one_hot is only applicable to index tensor (int32), got ${x.dtype}`);
  const values = evaluate([x])[0];
  if (numClasses === -1 && values.length === 0) throw new OpError("oneHot", "Can not infer total number of classes from empty tensor");
  let largest = -1;
  for (const v of values) {
    if (v < 0) throw new OpError("oneHot", "Class values must be non-negative");
    largest = Math.max(largest, v);
  }
  const classes = numClasses === -1 ? largest + 1 : numClasses;
  if (values.length > 0 && largest >= classes) throw new OpError("oneHot", "Class values must be smaller than num_classes");
  return cast(eq(reshape(x, [...x.shape, 1]), arange(classes, { dtype: "int32" })), "int32");
}

// ---------------------------------------------------------------------------------------------
// einsum

const isLetter = (c: string) => /^[a-zA-Z]$/.test(c);

/** One operand's subscripts, with the place of its ellipsis (or -1). */
interface Term {
  readonly letters: string[];
  readonly ellipsisAt: number;
}

/** Parses one side of an equation starting at `at` of the original string; `who` names it in errors. */
function parseTerm(text: string, at: number, who: string): Term {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === " ") continue;
    if (c === ".") {
      if (ellipsisAt >= 0) throw new OpError("einsum", `found '.' for ${who} for which an ellipsis was already found`);
      if (text.slice(i, i + 3) !== "...") throw new OpError("einsum", `found '.' for ${who} that is not part of any ellipsis`);
      ellipsisAt = letters.length;
      i += 2;
    } else if (isLetter(c)) {
      letters.push(c);
    } else {
      throw new OpError("einsum", `invalid subscript given at index ${at + i} in the equation string, subscripts must be in [a-zA-Z]`);
    }
  }
  return { letters, ellipsisAt };
}

/** An operand whose dims carry labels: letters, or "...k" for the k-th ellipsis dim (of the broadcast ellipsis). */
interface Labeled {
  readonly value: Tensor;
  readonly labels: string[];
}

const ellipsisLabel = (k: number) => `...${k}`;

/** The operand with each label once: repeated subscripts (`ii`) read along their diagonal. */
function withDistinctLabels(operand: Labeled, index: number): Labeled {
  let { value, labels } = operand;
  for (let d1 = 0; d1 < labels.length; d1++) {
    const d2 = labels.indexOf(labels[d1], d1 + 1);
    if (d2 < 0) continue;
    if (value.shape[d1] !== value.shape[d2]) {
      throw new OpError("einsum", `subscript ${labels[d1]} is repeated for operand ${index} but the sizes don't match, ${value.shape[d2]} != ${value.shape[d1]}`);
    }
    value = diagonal(value, 0, d1, d2);
    labels = [...labels.filter((_, d) => d !== d1 && d !== d2), labels[d1]];
    d1 = -1;
  }
  return { value, labels };
}

/** Sums away the labels of `operand` that `keep` does not hold. */
function sumAway(operand: Labeled, keep: (label: string) => boolean): Labeled {
  const dims = operand.labels.flatMap((label, d) => (keep(label) ? [] : [d]));
  if (dims.length === 0) return operand;
  return { value: sum(operand.value, dims), labels: operand.labels.filter((label) => keep(label)) };
}

const sizeAlong = (operand: Labeled, label: string) => operand.value.shape[operand.labels.indexOf(label)];

/** a and b contracted over the labels they share that `keep` does not hold, as one (batched) matrix product. */
function contract(a: Labeled, b: Labeled, keep: (label: string) => boolean): Labeled {
  const inBoth = (label: string) => a.labels.includes(label) && b.labels.includes(label);
  // A label only one of them has is summed now unless kept; a shared one broadcast from size 1 in one is summed in the other.
  let [x, y] = [sumAway(a, (l) => keep(l) || b.labels.includes(l)), sumAway(b, (l) => keep(l) || a.labels.includes(l))];
  const summed = x.labels.filter((l) => inBoth(l) && !keep(l));
  const collapse = (operand: Labeled, other: Labeled) => {
    const dims = summed.flatMap((l) => (sizeAlong(operand, l) !== 1 && sizeAlong(other, l) === 1 ? [operand.labels.indexOf(l)] : []));
    return dims.length === 0 ? operand : { value: sum(operand.value, dims, true), labels: operand.labels };
  };
  [x, y] = [collapse(x, y), collapse(y, x)];
  const batch = x.labels.filter((l) => inBoth(l) && keep(l));
  const [onlyX, onlyY] = [x.labels.filter((l) => !inBoth(l)), y.labels.filter((l) => !inBoth(l))];
  const arranged = (operand: Labeled, order: string[]) => permute(operand.value, order.map((l) => operand.labels.indexOf(l)));
  const sizes = (operand: Labeled, labels: string[]) => labels.map((l) => sizeAlong(operand, l));
  const batchX = sizes(x, batch);
  const batchY = sizes(y, batch);
  const left = reshape(arranged(x, [...batch, ...onlyX, ...summed]), [...batchX, sizeOf(sizes(x, onlyX)), sizeOf(sizes(x, summed))]);
  const right = reshape(arranged(y, [...batch, ...summed, ...onlyY]), [...batchY, sizeOf(sizes(y, summed)), sizeOf(sizes(y, onlyY))]);
  const product = matmul(left, right);
  const batchShape = batchX.map((size, i) => (size === 1 ? batchY[i] : size));
  return { value: reshape(product, [...batchShape, ...sizes(x, onlyX), ...sizes(y, onlyY)]), labels: [...batch, ...onlyX, ...onlyY] };
}

/**
 * torch.einsum: `"ij,jk->ik"` and the like, over float tensors of one dtype. Subscripts are
 * letters (a-z, A-Z); one `...` per operand stands for its remaining dims, broadcast across
 * operands. Without `->` the output is the ellipsis dims, then the subscripts that appear once, in
 * alphabetical order (uppercase first). A subscript repeated within an operand reads its diagonal;
 * one left out of the output is summed. Operands are contracted left to right, each pair as one
 * batched matrix product, as PyTorch contracts them (so sums may round differently from a
 * different order).
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== "string") throw new OpError("einsum", `the equation must be a string, got ${describeValue(equation)}`);
  checkTensorList("einsum", "operands", operands);
  const arrow = equation.indexOf("->");
  const lhs = arrow < 0 ? equation : equation.slice(0, arrow);
  let at = 0;
  const terms = lhs.split(",").map((text, i) => {
    const term = parseTerm(text, at, `operand ${i}`);
    at += text.length + 1;
    return term;
  });
  if (operands.length < terms.length) throw new OpError("einsum", "fewer operands were provided than specified in the equation");
  if (operands.length > terms.length) throw new OpError("einsum", "more operands were provided than specified in the equation");
  for (const x of operands) {
    if (!isFloat(x.dtype)) throw new OpError("einsum", `expected float tensors, got ${x.dtype}`);
    if (x.dtype !== operands[0].dtype) throw new OpError("einsum", `expected operands of one dtype, got ${operands[0].dtype} and ${x.dtype}`);
  }

  // Each operand's labels; its ellipsis dims are aligned to the right of the broadcast ellipsis.
  const ellipsisRanks = terms.map((term, i) => {
    const rank = operands[i].shape.length;
    const given = term.letters.length;
    if (term.ellipsisAt < 0 && given !== rank) {
      throw new OpError("einsum", `the number of subscripts in the equation (${given}) does not match the number of dimensions (${rank}) for operand ${i} and no ellipsis was given`);
    }
    if (given > rank) throw new OpError("einsum", `the number of subscripts in the equation (${given}) is more than the number of dimensions (${rank}) for operand ${i}`);
    return term.ellipsisAt < 0 ? 0 : rank - given;
  });
  const ellipsisRank = Math.max(0, ...ellipsisRanks);
  const ellipsis = Array.from({ length: ellipsisRank }, (_, k) => ellipsisLabel(k));
  const labeled = terms.map((term, i): Labeled => {
    const own = ellipsis.slice(ellipsisRank - ellipsisRanks[i]);
    const labels = term.ellipsisAt < 0 ? term.letters : [...term.letters.slice(0, term.ellipsisAt), ...own, ...term.letters.slice(term.ellipsisAt)];
    return withDistinctLabels({ value: operands[i], labels }, i);
  });

  // Every label's size, broadcast from size 1.
  const sizes = new Map<string, number>();
  labeled.forEach((operand, i) =>
    operand.labels.forEach((label, d) => {
      const size = operand.value.shape[d];
      const seen = sizes.get(label);
      if (seen !== undefined && seen !== size && seen !== 1 && size !== 1) {
        throw new OpError(
          "einsum",
          label.startsWith("...")
            ? `operand ${i} does not broadcast with the others along its ellipsis dims (sizes ${seen} and ${size})`
            : `subscript ${label} has size ${size} for operand ${i} which does not broadcast with previously seen size ${seen}`,
        );
      }
      if (seen === undefined || seen === 1) sizes.set(label, size);
    }),
  );

  const output = arrow < 0 ? implicitOutput(terms, ellipsis) : explicitOutput(equation.slice(arrow + 2), arrow + 2, sizes, ellipsis);
  let result = sumAway(labeled[0], (l) => output.includes(l) || labeled.slice(1).some((o) => o.labels.includes(l)));
  for (let i = 1; i < labeled.length; i++) {
    const later = labeled.slice(i + 1);
    result = contract(result, labeled[i], (l) => output.includes(l) || later.some((o) => o.labels.includes(l)));
  }
  return permute(result.value, output.map((l) => result.labels.indexOf(l)));
}

/** The implicit output: the ellipsis dims, then the letters that appear exactly once, sorted. */
function implicitOutput(terms: readonly Term[], ellipsis: readonly string[]): string[] {
  const all = terms.flatMap((t) => t.letters);
  const once = [...new Set(all)].filter((l) => all.indexOf(l) === all.lastIndexOf(l)).sort();
  return [...ellipsis, ...once];
}

function explicitOutput(text: string, at: number, sizes: ReadonlyMap<string, number>, ellipsis: readonly string[]): string[] {
  const term = parseTerm(text, at, "the output");
  for (const [i, letter] of term.letters.entries()) {
    if (!sizes.has(letter)) throw new OpError("einsum", `output subscript ${letter} does not appear in the equation for any input operand`);
    if (term.letters.indexOf(letter) !== i) throw new OpError("einsum", `output subscript ${letter} appears more than once in the output`);
  }
  if (term.ellipsisAt < 0) return term.letters;
  return [...term.letters.slice(0, term.ellipsisAt), ...ellipsis, ...term.letters.slice(term.ellipsisAt)];
}

/** torch.roll: the elements shifted along `dims` by `shifts`, wrapping around (the flattened tensor without dims). */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  checkTensor("roll", "input", x);
  if (typeof shifts !== "number" && !Array.isArray(shifts)) throw new OpError("roll", `shifts must be an integer or a list of integers, got ${describeValue(shifts)}`);
  if (dims !== undefined && typeof dims !== "number" && !Array.isArray(dims)) throw new OpError("roll", `dims must be a dim or a list of dims, got ${describeValue(dims)}`);
  return rollNode(x, shifts, dims);
}
