import type { OnnxValue } from "../ir/onnx";
import { OpError } from "../basics/errors";
import { stridesOf } from "../basics/shape";
import { checkAttrNames, dimAttr, integerAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { type PlacementRule } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { afterBatch } from "./batching";
import { onnxReshape } from "./reshape";
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
export const sliceBackwardOp = registerBuiltinOp<SliceBackwardAttrs>({
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
  jvp: "linear",
  batch: ({ inputs: [g], node: { attrs }, rebuild }) => rebuild([g], { ...attrs, dim: afterBatch(attrs.dim) }),
  placement,
  onnx: (b, [g], { dim, start, step, size }) => {
    const n = g.shape[dim];
    const rank = g.shape.length;
    const pads = (d: number, before: number, after: number, r: number) => [...Array.from({ length: r }, (_, i) => (i === d ? before : 0)), ...Array.from({ length: r }, (_, i) => (i === d ? after : 0))];
    let spread: OnnxValue = g;
    if (step > 1 && n > 0) {
      // step - 1 zeros after each element: a new dim padded, merged into `dim`, the trailing zeros cut.
      const widened = b.op("Pad", [b.op("Unsqueeze", [g, b.int64s([dim + 1])]), b.int64s(pads(dim + 1, 0, step - 1, rank + 1))]);
      const widenedShape = [...g.shape.slice(0, dim + 1), step, ...g.shape.slice(dim + 1)];
      const merged = onnxReshape(b, widened, widenedShape, g.shape.map((s, d) => (d === dim ? s * step : s)));
      spread = b.op("Slice", [merged, b.int64s([0]), b.int64s([(n - 1) * step + 1]), b.int64s([dim])]);
    }
    const length = n === 0 ? 0 : (n - 1) * step + 1;
    return b.op("Pad", [spread, b.int64s(pads(dim, n === 0 ? size : start, n === 0 ? 0 : size - start - length, rank))]);
  },
});

/** The gradient of `slice`: `g` written into zeros of the sliced dim's full `size`. */
export function sliceBackward(g: Tensor, dim: number, start: number, step: number, size: number): Tensor {
  return apply(sliceBackwardOp, [g], { dim, start, step, size });
}
