import { apply } from "../ir/graph";
import { stridedCopy } from "../exec/kernels/strided";
import { normalizeDim, stridesOf } from "../shape";
import type { Tensor } from "../tensor";
import { registerOp } from "./registry";

/** Swaps two dims. A primitive of its own (not a permute) so the compiler can read `x Wᵀ` in place. */
export const transposeOp = registerOp<{ dim0: number; dim1: number }>({
  name: "transpose",
  arity: 1,
  infer([x], { dim0, dim1 }) {
    const shape = [...x.shape];
    const d0 = normalizeDim("transpose", dim0, shape.length);
    const d1 = normalizeDim("transpose", dim1, shape.length);
    [shape[d0], shape[d1]] = [shape[d1], shape[d0]];
    return { shape, dtype: x.dtype };
  },
  kernel([x], { dim0, dim1 }, out) {
    const strides = stridesOf(x.shape);
    [strides[dim0], strides[dim1]] = [strides[dim1], strides[dim0]];
    return stridedCopy(x.data, 0, out.shape, strides, out.dtype);
  },
  vjp: (g, { attrs: { dim0, dim1 } }) => [transpose(g, dim0, dim1)],
});

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const rank = x.shape.length;
  const d0 = normalizeDim("transpose", dim0, rank);
  const d1 = normalizeDim("transpose", dim1, rank);
  if (d0 === d1 || rank < 2) return x;
  return apply(transposeOp, [x], { dim0: Math.min(d0, d1), dim1: Math.max(d0, d1) });
}
