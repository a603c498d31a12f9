import { OpError } from "../errors";
import { apply } from "../ir/graph";
import { stridedCopy } from "../exec/kernels/strided";
import { normalizeDim, stridesOf } from "../shape";
import type { Tensor } from "../tensor";
import { sliceBackward } from "./sliceBackward";
import { registerOp } from "./registry";

export type SliceAttrs = { dim: number; start: number; end: number; step: number };

function count(start: number, end: number, step: number): number {
  return Math.max(0, Math.ceil((end - start) / step));
}

/** `x[..., start:end:step, ...]` along one dim; `slice()` clamps the bounds as Python slicing does. */
export const sliceOp = registerOp<SliceAttrs>({
  name: "slice",
  arity: 1,
  infer([x], { dim, start, end, step }) {
    const d = normalizeDim("slice", dim, x.shape.length);
    if (!(Number.isInteger(step) && step > 0)) throw new OpError("slice", `step must be a positive integer, got ${step}`);
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= x.shape[d])) {
      throw new OpError("slice", `bounds [${start}, ${end}) do not fit dimension ${d} of size ${x.shape[d]}`);
    }
    const shape = [...x.shape];
    shape[d] = count(start, end, step);
    return { shape, dtype: x.dtype };
  },
  kernel([x], { dim, start, step }, out) {
    const strides = stridesOf(x.shape);
    const offset = start * strides[dim];
    strides[dim] *= step;
    return stridedCopy(x.data, offset, out.shape, strides, out.dtype);
  },
  vjp: (g, { inputs: [x], attrs: { dim, start, step } }) => [sliceBackward(g, dim, start, step, x.shape[dim])],
});

export function slice(x: Tensor, dim: number, start: number, end = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
  const d = normalizeDim("slice", dim, x.shape.length);
  const size = x.shape[d];
  if (!Number.isInteger(start) || !Number.isInteger(end)) {
    throw new OpError("slice", `start and end must be integers, got ${start} and ${end}`);
  }
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const s = clamp(start);
  const e = Math.max(s, clamp(end));
  if (s === 0 && e === size && step === 1) return x;
  return apply(sliceOp, [x], { dim: d, start: s, end: e, step });
}
