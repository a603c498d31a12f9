import { OpError } from "../basics/errors";
import { stridesOf } from "../basics/shape";
import { checkAttrNames, dimAttr, integerAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { type PlacementRule, registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { placementKernel } from "./ruleKernels";
import { slice } from "./slice";

export type SliceBackwardAttrs = { readonly dim: number; readonly start: number; readonly step: number; readonly size: number };

const placement: PlacementRule<SliceBackwardAttrs> = ([g], { dim, start, step }, out) => {
  const strides = stridesOf(out.shape);
  return {
    zeroFill: true,
    windows: [{ offset: start * strides[dim], shape: g.shape, strides: strides.map((s, d) => (d === dim ? s * step : s)) }],
  };
};

/** The gradient of slice: `g` placed at the sliced positions of a zero tensor whose `dim` has `size`. */
export const sliceBackwardOp = registerOp<SliceBackwardAttrs>({
  name: "sliceBackward",
  arity: 1,
  canonicalize([g], attrs) {
    checkAttrNames("sliceBackward", attrs, ["dim", "start", "step", "size"]);
    const dim = dimAttr("sliceBackward", attrs, "dim", g.shape.length);
    const start = integerAttr("sliceBackward", attrs, "start");
    const step = integerAttr("sliceBackward", attrs, "step", 1);
    const size = integerAttr("sliceBackward", attrs, "size");
    const rows = g.shape[dim];
    const last = rows === 0 ? start : start + step * (rows - 1) + 1;
    if (start < 0 || step <= 0 || last > size) {
      throw new OpError("sliceBackward", `${rows} rows from ${start} in steps of ${step} do not fit dimension ${dim} of size ${size}`);
    }
    return { dim, start, step, size };
  },
  infer([g], { dim, size }) {
    const shape = [...g.shape];
    shape[dim] = size;
    return { shape, dtype: g.dtype };
  },
  kernel: placementKernel(placement),
  vjp(gg, { inputs: [g], attrs: { dim, start, step } }) {
    // With nothing sliced the end is `start`: the formula would give a negative end, which slice() wraps.
    const count = g.shape[dim];
    return [slice(gg, dim, start, count === 0 ? start : start + step * (count - 1) + 1, step)];
  },
  placement,
});

/** The gradient of `slice`: `g` written into zeros of the sliced dim's full `size`. */
export function sliceBackward(g: Tensor, dim: number, start: number, step: number, size: number): Tensor {
  return apply(sliceBackwardOp, [g], { dim, start, step, size });
}
