import { allocate, type DType, type TypedArray } from "../../dtype";
import { type Shape, sizeOf } from "../../shape";

/**
 * Copies a strided view of `data` (start `offset`, per-dim `strides` over `outShape`) into a fresh
 * row-major array. Permute, transpose, slice and expand are all this one loop with different strides.
 */
export function stridedCopy(data: TypedArray, offset: number, outShape: Shape, strides: readonly number[], dtype: DType): TypedArray {
  const size = sizeOf(outShape);
  const out = allocate(dtype, size);
  const rank = outShape.length;
  if (size === 0) return out;
  if (rank === 0) {
    out[0] = data[offset];
    return out;
  }
  // The innermost dim is copied in a tight loop; an odometer walks the outer dims.
  const inner = outShape[rank - 1];
  const innerStride = strides[rank - 1];
  const idx = new Int32Array(rank);
  let src = offset;
  for (let o = 0; o < size; o += inner) {
    for (let j = 0, p = src; j < inner; j++, p += innerStride) out[o + j] = data[p];
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      src += strides[d];
      if (idx[d] < outShape[d]) break;
      src -= strides[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}
