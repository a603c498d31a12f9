import { allocate, type DType, type TypedArray } from "../basics/dtype";
import { sizeOf, stridesOf } from "../basics/shape";
import type { Window } from "../basics/window";

/**
 * Copies the elements of window `from` of `src` into window `to` of `dst` (both over `from.shape`,
 * in row-major order of it). Every view (transpose, slice, expand, ...) and every placement
 * (concat, the gradient of a slice) is this one loop with different windows.
 */
export function copyWindow(src: TypedArray, from: Window, dst: TypedArray, to: Pick<Window, "offset" | "strides">): void {
  const shape = from.shape;
  const size = sizeOf(shape);
  const rank = shape.length;
  if (size === 0) return;
  if (rank === 0) {
    dst[to.offset] = src[from.offset];
    return;
  }
  // The innermost dim is copied in a tight loop; an odometer walks the outer dims.
  const inner = shape[rank - 1];
  const srcInner = from.strides[rank - 1];
  const dstInner = to.strides[rank - 1];
  const idx = new Int32Array(rank);
  let s = from.offset;
  let d = to.offset;
  for (let done = 0; done < size; done += inner) {
    for (let j = 0, p = s, q = d; j < inner; j++, p += srcInner, q += dstInner) dst[q] = src[p];
    for (let k = rank - 2; k >= 0; k--) {
      idx[k]++;
      s += from.strides[k];
      d += to.strides[k];
      if (idx[k] < shape[k]) break;
      s -= from.strides[k] * shape[k];
      d -= to.strides[k] * shape[k];
      idx[k] = 0;
    }
  }
}

/** The elements of a window of `data` as a fresh row-major array. */
export function readWindow(data: TypedArray, window: Window, dtype: DType): TypedArray {
  const out = allocate(dtype, sizeOf(window.shape));
  copyWindow(data, window, out, { offset: 0, strides: stridesOf(window.shape) });
  return out;
}
