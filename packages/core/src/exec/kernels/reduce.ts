import { allocate, type DType, type TypedArray } from "../../dtype";
import { type Shape, sizeOf } from "../../shape";

export type Reduction = "sum" | "max";

/** Collapses the input to [outer, reduced, inner] when the reduced dims are adjacent, the common case. */
function adjacentSplit(shape: Shape, dims: readonly number[]): [number, number, number] | undefined {
  const sorted = [...dims].sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) return undefined;
  const first = sorted[0] ?? 0;
  const last = sorted.length === 0 ? -1 : sorted[sorted.length - 1];
  return [sizeOf(shape.slice(0, first)), sizeOf(shape.slice(first, last + 1)), sizeOf(shape.slice(last + 1))];
}

/** Reduces `data` of `shape` over `dims` (normalized, distinct). NaN propagates through max, as in PyTorch. */
export function reduce(kind: Reduction, data: TypedArray, shape: Shape, dims: readonly number[], dtype: DType): TypedArray {
  const reducedSet = new Set(dims);
  const outSize = sizeOf(shape.filter((_, i) => !reducedSet.has(i)));
  const out = allocate(dtype, outSize);
  const isMax = kind === "max";
  if (isMax) out.fill(-Infinity);
  const split = adjacentSplit(shape, dims);
  if (split !== undefined) {
    const [outer, reduced, inner] = split;
    for (let o = 0; o < outer; o++) {
      const base = o * reduced * inner;
      for (let j = 0; j < inner; j++) {
        let acc = isMax ? -Infinity : 0;
        for (let r = 0, p = base + j; r < reduced; r++, p += inner) {
          const v = data[p];
          acc = isMax ? (v > acc || v !== v ? v : acc) : acc + v;
        }
        out[o * inner + j] = acc;
      }
    }
    return out;
  }
  // General case: walk the input with an odometer; reduced dims do not move the output offset.
  const rank = shape.length;
  const outStrides = new Array<number>(rank).fill(0);
  for (let d = rank - 1, stride = 1; d >= 0; d--) {
    if (reducedSet.has(d)) continue;
    outStrides[d] = stride;
    stride *= shape[d];
  }
  const idx = new Int32Array(rank);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[o] = isMax ? (v > out[o] || v !== v ? v : out[o]) : out[o] + v;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      o += outStrides[d];
      if (idx[d] < shape[d]) break;
      o -= outStrides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}
