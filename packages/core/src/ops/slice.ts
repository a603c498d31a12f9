import { OpError } from "../basics/errors";
import { checkAttrNames, dimAttr, integerAttr } from "../ir/attrs";
import { applyCanonical, canonicalAttrs } from "../ir/graph";
import { type ViewRule } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { afterBatch } from "./batching";
import { viewKernel } from "./ruleKernels";
import { sliceBackward } from "./sliceBackward";

/** Canonically `0 <= start <= end <= size` along `dim`, and `step >= 1`. */
type SliceAttrs = { readonly dim: number; readonly start: number; readonly end: number; readonly step: number };

const view: ViewRule<SliceAttrs> = (input, { dim, start, step }, out) => ({
  offset: input.offset + start * input.strides[dim],
  shape: out.shape,
  strides: input.strides.map((s, d) => (d === dim ? s * step : s)),
});

/**
 * `x[..., start:end:step, ...]` along one dim. Bounds follow Python slicing: negative ones count
 * from the end, out-of-range ones are clamped; `start` defaults to 0, `end` to the size, `step` to 1.
 */
export const sliceOp = registerBuiltinOp<SliceAttrs>({
  name: "slice",
  arity: 1,
  canonicalize([x], attrs) {
    checkAttrNames("slice", attrs, ["dim", "start", "end", "step"]);
    const dim = dimAttr("slice", attrs, "dim", x.shape.length);
    const size = x.shape[dim];
    const step = integerAttr("slice", attrs, "step", 1);
    if (step <= 0) throw new OpError("slice", `step must be a positive integer, got ${step}`);
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
    const start = clamp(integerAttr("slice", attrs, "start", 0));
    const end = Math.max(start, clamp(integerAttr("slice", attrs, "end", size)));
    return { dim, start, end, step };
  },
  infer([x], { dim, start, end, step }) {
    const shape = [...x.shape];
    shape[dim] = Math.ceil((end - start) / step);
    return { shape, dtype: x.dtype };
  },
  kernel: viewKernel(view),
  vjp: (g, { inputs: [x], attrs: { dim, start, step } }) => [sliceBackward(g, dim, start, step, x.shape[dim])],
  jvp: "linear",
  batch: ({ inputs: [x], node: { attrs }, rebuild }) => rebuild([x], { ...attrs, dim: afterBatch(attrs.dim) }),
  view,
  onnx: (b, [x], { dim, start, end, step }) => b.op("Slice", [x, b.int64s([start]), b.int64s([end]), b.int64s([dim]), b.int64s([step])]),
});

/** Python's `x[start:end:step]` along `dim`: bounds negative from the end and clamped, as Python's. */
export function slice(x: Tensor, dim: number, start: number, end = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
  const attrs = canonicalAttrs(sliceOp, [x], { dim, start, end, step });
  const whole = attrs.start === 0 && attrs.end === x.shape[attrs.dim] && attrs.step === 1;
  return whole ? x : applyCanonical(sliceOp, [x], attrs);
}
