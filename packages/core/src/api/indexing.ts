/**
 * Indexing composites, built from the indexing ops with no kernel or gradient of their own:
 * PyTorch's `x[...]` (`index`), take, takeAlongDim, maskedFill, maskedSelect and nonzero.
 *
 * Masks: a mask is a tensor of any dtype whose nonzero elements count as true, as `where` reads
 * its condition; comparisons (`x.gt(0)`) give bool masks, and 0/1 float masks work as well.
 * Index tensors are int32 (PyTorch's are int64).
 */
import type { TypedArray } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { isPlainRecord } from "../basics/plainData";
import { broadcastShapes, normalizeDim, stridesOf } from "../basics/shape";
import { broadcastWindow, denseWindow } from "../basics/window";
import { checkNumber, checkOptions, checkTensor, describeValue } from "../ir/args";
import { scalarNode } from "../ir/graph";
import { Tensor, type TensorLike } from "../ir/tensor";
import { evaluate } from "../exec/evaluate";
import { readWindow } from "../kernels/strided";
import { advancedIndex } from "../ops/advancedIndex";
import { cast } from "../ops/cast";
import { expand } from "../ops/expand";
import { gather } from "../ops/gather";
import { indexSelect } from "../ops/indexSelect";
import { reshape } from "../ops/reshape";
import { slice } from "../ops/slice";
import { where } from "../ops/where";
import { tensor } from "./creation";

/** A Python slice `start:end:step` along one dim: any part may be left out; bounds as Python's (negative from the end, clamped). */
export interface SliceSpec {
  readonly start?: number;
  readonly end?: number;
  readonly step?: number;
}

/** What `x.index([...])` takes for one leading dim of x: an int32 index tensor, a number, a slice, or null (the whole dim). */
export type IndexEntry = Tensor | number | SliceSpec | null;

/** An argument that must be an int32 tensor of indices. */
function checkIndexArgument(op: string, what: string, index: unknown): asserts index is Tensor {
  checkTensor(op, what, index);
  if (index.dtype !== "int32") throw new OpError(op, `${what} must be an int32 tensor, got ${index.dtype}`);
}

/** A slice entry's `start`, `end` or `step`, if given. */
function sliceBound(spec: SliceSpec, key: keyof SliceSpec): number | undefined {
  const value = spec[key];
  if (value !== undefined && !Number.isSafeInteger(value)) throw new OpError("index", `a slice's ${key} must be an integer, got ${describeValue(value)}`);
  return value;
}

/**
 * PyTorch's `x[...]`, with one entry per leading dim (dims left out are taken whole):
 *
 * | PyTorch          | gradgraph                                   |
 * |------------------|---------------------------------------------|
 * | `x[1]`, `x[-1]`  | `x.index([1])`, `x.index([-1])`             |
 * | `x[1:3]`         | `x.index([{ start: 1, end: 3 }])`           |
 * | `x[::2, 0]`      | `x.index([{ step: 2 }, 0])`                 |
 * | `x[:, i]`        | `x.index([null, i])`                        |
 * | `x[i, j]`        | `x.index([i, j])`                           |
 * | `x[i, :, j]`     | `x.index([i, null, j])`                     |
 * | `x[..., i]` (3-D)| `x.index([null, null, i])`                  |
 * | `x[mask]`        | `x.index(nonzero(mask, { asTuple: true }))` |
 *
 * with `i`, `j` int32 tensors. As in PyTorch, numbers and slices are applied first, as views (a
 * number drops its dim; slice steps must be positive); the index tensors then pick elements by
 * NumPy's advanced-indexing rules: they broadcast together, negative values count from the end,
 * and the broadcast dims take the place of the indexed dims when those are adjacent, or come first
 * when a whole dim separates them. For x of shape [2, 3, 4] and i, j of shape [5]: `x[:, i, j]` is
 * [2, 5], `x[i, :, j]` is [5, 3], and `x[0, :, i]` is [3, 5] (the number is applied first, so i
 * indexes the last dim of x[0]: PyTorch's answer; NumPy's would be [5, 3]).
 *
 * The gradient adds g back at the picked positions (an indexPut with accumulate), so an element
 * picked twice gets both. An out-of-range value in an index tensor is found when evaluated, and the
 * error names the dim of the tensor it indexes (after numbers and slices) and that dim's size.
 */
export function index(x: Tensor, indices: readonly IndexEntry[]): Tensor {
  checkTensor("index", "input", x);
  if (!Array.isArray(indices)) {
    throw new OpError("index", `expected a list with an entry per leading dim (an int32 tensor, a number, a slice { start, end, step } or null), got ${describeValue(indices)}`);
  }
  if (indices.length > x.ndim) throw new OpError("index", `too many indices for tensor of dimension ${x.ndim} (got ${indices.length})`);
  let viewed = x;
  const selectedDims: number[] = [];
  // One entry per dim that remains once the numbers have dropped theirs: an index tensor or null.
  const advanced: (Tensor | null)[] = [];
  indices.forEach((entry: unknown, d) => {
    if (entry instanceof Tensor) {
      if (entry.dtype !== "int32") {
        throw new OpError("index", `tensors used as indices must be int32, got ${entry.dtype} (for a mask, index with nonzero(mask, { asTuple: true }) or use maskedSelect)`);
      }
      advanced.push(entry);
    } else if (typeof entry === "number") {
      const size = x.shape[d];
      if (!Number.isSafeInteger(entry) || entry < -size || entry >= size) {
        throw new OpError("index", `index ${entry} is out of bounds for dimension ${d} with size ${size}`);
      }
      const i = entry < 0 ? entry + size : entry;
      viewed = slice(viewed, d, i, i + 1);
      selectedDims.push(d);
    } else if (entry === null) {
      advanced.push(null);
    } else if (isPlainRecord(entry)) {
      const spec = checkOptions("index", entry as SliceSpec, ["start", "end", "step"]);
      const step = sliceBound(spec, "step") ?? 1;
      if (step <= 0) throw new OpError("index", `step must be greater than zero, got ${step}`);
      viewed = slice(viewed, d, sliceBound(spec, "start") ?? 0, sliceBound(spec, "end") ?? Number.MAX_SAFE_INTEGER, step);
      advanced.push(null);
    } else {
      throw new OpError("index", `indices[${d}] must be an int32 tensor, a number, a slice { start, end, step } or null, got ${describeValue(entry)}`);
    }
  });
  const selected = selectedDims.length === 0 ? viewed : reshape(viewed, viewed.shape.filter((_, d) => !selectedDims.includes(d)));
  return advanced.some((entry) => entry !== null) ? advancedIndex(selected, advanced) : selected;
}

/** torch.take: x read as 1-D (row-major) at `index`, negative values counting from the end; the result has index's shape. */
export function take(x: Tensor, index: Tensor): Tensor {
  checkTensor("take", "input", x);
  checkIndexArgument("take", "index", index);
  return advancedIndex(reshape(x, [-1]), [index]);
}

/**
 * torch.take_along_dim: gather along `dim` after broadcasting x and indices together in every
 * other dim (the shape argmax/argsort with keepdim give, applied to x). Without `dim`, x and
 * indices are read as 1-D. Indices must be in range (gather's rule; no negative values).
 */
export function takeAlongDim(x: Tensor, indices: Tensor, dim?: number): Tensor {
  checkTensor("takeAlongDim", "input", x);
  checkIndexArgument("takeAlongDim", "indices", indices);
  if (dim === undefined) return gather(reshape(x, [-1]), 0, reshape(indices, [-1]));
  checkNumber("takeAlongDim", "dim", dim);
  if (x.ndim !== indices.ndim) {
    throw new OpError(
      "takeAlongDim",
      `input and indices should have the same number of dimensions, but got ${x.ndim} dimensions for input, and ${indices.ndim} dimensions for indices`,
    );
  }
  const d = normalizeDim("takeAlongDim", dim, x.ndim);
  const shape = broadcastShapes("takeAlongDim", x.shape.map((size, i) => (i === d ? indices.shape[d] : size)), indices.shape);
  return gather(expand(x, shape.map((size, i) => (i === d ? x.shape[d] : size))), d, expand(indices, shape));
}

/**
 * PyTorch's masked_fill: `value` where the mask is nonzero, x elsewhere, with mask and x
 * broadcast together. value is a number or a 0-d tensor, converted to x's dtype; a tensor value
 * gets the gradient summed over the filled positions, x gets it everywhere else.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: TensorLike): Tensor {
  checkTensor("maskedFill", "input", x);
  checkTensor("maskedFill", "mask", mask);
  broadcastShapes("maskedFill", mask.shape, x.shape);
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new OpError("maskedFill", `only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s)`);
    return where(mask, cast(value, x.dtype), x);
  }
  checkNumber("maskedFill", "value", value);
  return where(mask, scalarNode(value, x.dtype), x);
}

/**
 * The values of `t` while the graph is being built, for the results whose shape they decide
 * (nonzero, maskedSelect). A lazy graph knows every node's shape when the node is built, and how
 * many elements are nonzero is known only from the values: so t is evaluated now, as tfjs's
 * booleanMaskAsync reads its mask before building the result. A tensor fed only when evaluated (a
 * placeholder, or anything computed from one) is refused: its values, and with them the result's
 * shape, may change from run to run, which a node's shape cannot follow. Like every value, the
 * one read here is fixed when the result is built (a leaf assigned later does not change it).
 */
function valuesAtBuild(op: string, what: string, t: Tensor): TypedArray {
  if (t.op === "placeholder" || t.readsPlaceholder) {
    throw new OpError(
      op,
      `the result's shape depends on the ${what}'s values, which are read when the graph is built, but this ${what} depends on a placeholder, ` +
        "whose values are known only when evaluated: build it from constants or parameters, or use maskedFill / where, whose shape does not depend on values",
    );
  }
  return evaluate([t])[0];
}

/**
 * PyTorch's masked_select: the elements of x where the mask is nonzero, as a 1-D tensor in
 * row-major order, with mask and x broadcast together. The mask's values decide the result's
 * length, so the mask is evaluated when this is called and may not depend on a placeholder (x may:
 * only the mask is read). The gradient puts g back at the selected positions (summed over
 * broadcast dims of x), as PyTorch's.
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  checkTensor("maskedSelect", "input", x);
  checkTensor("maskedSelect", "mask", mask);
  const shape = broadcastShapes("maskedSelect", mask.shape, x.shape);
  const values = readWindow(valuesAtBuild("maskedSelect", "mask", mask), broadcastWindow(denseWindow(mask.shape), shape), mask.dtype);
  const selected: number[] = [];
  values.forEach((v, flat) => v !== 0 && selected.push(flat));
  return indexSelect(reshape(expand(x, shape), [-1]), 0, tensor(selected, { dtype: "int32" }));
}

/**
 * torch.nonzero: the coordinates of x's nonzero elements in row-major order, as an int32 tensor
 * of shape [count, rank]; with `asTuple`, one 1-D tensor per dim instead (a 0-d x counts as 1-D
 * there, as in PyTorch). How many there are decides the shape, so x is evaluated when this is
 * called and may not depend on a placeholder. The result is a constant: no gradient flows.
 */
export function nonzero(x: Tensor, options?: { asTuple?: false }): Tensor;
export function nonzero(x: Tensor, options: { asTuple: true }): Tensor[];
export function nonzero(x: Tensor, options?: { asTuple?: boolean }): Tensor | Tensor[];
export function nonzero(x: Tensor, options?: { asTuple?: boolean }): Tensor | Tensor[] {
  checkTensor("nonzero", "input", x);
  const { asTuple = false } = checkOptions("nonzero", options, ["asTuple"]);
  if (typeof asTuple !== "boolean") throw new OpError("nonzero", `asTuple must be true or false, got ${describeValue(asTuple)}`);
  const values = valuesAtBuild("nonzero", "input", x);
  const strides = stridesOf(x.shape);
  const coords: number[][] = [];
  values.forEach((v, flat) => {
    if (v !== 0) coords.push(strides.map((stride, d) => Math.floor(flat / stride) % x.shape[d]));
  });
  if (!asTuple) return tensor(coords.flat(), { shape: [coords.length, x.ndim], dtype: "int32" });
  const columns = x.ndim === 0 ? [coords.map(() => 0)] : strides.map((_, d) => coords.map((c) => c[d]));
  return columns.map((column) => tensor(column, { dtype: "int32" }));
}
