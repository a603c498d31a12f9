import { allocate } from "../dtype";
import { apply } from "../ir/graph";
import { sizeOf } from "../shape";
import type { Tensor } from "../tensor";
import { slice } from "./slice";
import { registerOp } from "./registry";

type Attrs = { dim: number; start: number; step: number; size: number };

/** The gradient of slice: `g` placed at the sliced positions of a zero tensor whose `dim` has `size`. */
export const sliceBackwardOp = registerOp<Attrs>({
  name: "sliceBackward",
  arity: 1,
  infer([g], { dim, size }) {
    const shape = [...g.shape];
    shape[dim] = size;
    return { shape, dtype: g.dtype };
  },
  kernel([g], { dim, start, step, size }, out) {
    const result = allocate(out.dtype, sizeOf(out.shape));
    const inner = sizeOf(g.shape.slice(dim + 1));
    const sliced = g.shape[dim];
    const outer = sizeOf(g.shape.slice(0, dim));
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < sliced; j++) {
        const src = (o * sliced + j) * inner;
        result.set(g.data.subarray(src, src + inner), (o * size + start + j * step) * inner);
      }
    }
    return result;
  },
  vjp(gg, { inputs: [g], attrs: { dim, start, step } }) {
    // With nothing sliced the end is `start`: the formula would give a negative end, which slice() wraps.
    const count = g.shape[dim];
    return [slice(gg, dim, start, count === 0 ? start : start + step * (count - 1) + 1, step)];
  },
});

export function sliceBackward(g: Tensor, dim: number, start: number, step: number, size: number): Tensor {
  return apply(sliceBackwardOp, [g], { dim, start, step, size });
}
