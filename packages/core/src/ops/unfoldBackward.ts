import { allocate } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { formatShape, linesAlong, sizeOf } from "../basics/shape";
import { checkAttrNames, dimAttr, integerAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { afterBatch } from "./batching";
import { onnxReshape } from "./reshape";
import { checkUnfold, unfold, type UnfoldAttrs, windowCount, windowPositions } from "./unfold";

/** The unfold's attributes and the `length` of the dim it unfolded. */
type UnfoldBackwardAttrs = UnfoldAttrs & { readonly length: number };

/**
 * The gradient of unfold (PyTorch's unfold_backward): each window's gradient added back where the
 * window was read, so elements in several windows get the sum. Overlapping windows make it a
 * sum rather than a placement, so it runs its own kernel.
 */
export const unfoldBackwardOp = registerBuiltinOp<UnfoldBackwardAttrs>({
  name: "unfoldBackward",
  arity: 1,
  canonicalize([g], attrs) {
    checkAttrNames("unfoldBackward", attrs, ["dim", "size", "step", "length"]);
    if (g.shape.length < 2) throw new OpError("unfoldBackward", `expected the gradient of an unfold (at least 2 dims), got ${formatShape(g.shape)}`);
    const dim = dimAttr("unfoldBackward", attrs, "dim", g.shape.length - 1);
    const canonical = {
      dim,
      size: integerAttr("unfoldBackward", attrs, "size"),
      step: integerAttr("unfoldBackward", attrs, "step"),
      length: integerAttr("unfoldBackward", attrs, "length"),
    };
    checkUnfold("unfoldBackward", canonical.length, canonical);
    return canonical;
  },
  infer([g], attrs) {
    const windows = g.shape[attrs.dim];
    if (g.shape[g.shape.length - 1] !== attrs.size || windows !== windowCount(attrs.length, attrs)) {
      throw new OpError(
        "unfoldBackward",
        `gradient ${formatShape(g.shape)} is not that of windows of ${attrs.size} in steps of ${attrs.step} along dim ${attrs.dim} of length ${attrs.length}`,
      );
    }
    return { shape: g.shape.slice(0, -1).map((d, i) => (i === attrs.dim ? attrs.length : d)), dtype: g.dtype };
  },
  kernel([g], { dim, size, step, length }, out) {
    // g is [outer, windows, inner, size] and the result [outer, length, inner], row-major.
    const { outer, size: windows, inner } = linesAlong(g.shape.slice(0, -1), dim);
    const result = allocate(out.dtype, sizeOf(out.shape));
    let k = 0;
    for (let o = 0; o < outer; o++) {
      for (let w = 0; w < windows; w++) {
        for (let i = 0; i < inner; i++) {
          const at = (o * length + w * step) * inner + i;
          for (let e = 0; e < size; e++) result[at + e * inner] += g.data[k++];
        }
      }
    }
    return result;
  },
  vjp: (gg, { attrs: { dim, size, step } }) => [unfold(gg, dim, size, step)],
  jvp: "linear",
  batch: ({ inputs: [g], node: { attrs }, rebuild }) => rebuild([g], { ...attrs, dim: afterBatch(attrs.dim) }),
  onnx(b, [g], attrs, out) {
    // Each window's elements put after it ([..., windows·size, ...]) and added into zeros at w·step + e
    // by ScatterElements, in the kernel's order (window by window), so the sums round alike.
    const { dim, size } = attrs;
    const rank = out.shape.length;
    const windows = g.shape[dim];
    const sizeAfterWindows = [...Array.from({ length: dim + 1 }, (_, d) => d), rank, ...Array.from({ length: rank - dim - 1 }, (_, d) => dim + 1 + d)];
    const moved = dim === rank - 1 ? g : b.op("Transpose", [g], { perm: sizeAfterWindows });
    const updatesShape = out.shape.map((n, d) => (d === dim ? windows * size : n));
    const updates = onnxReshape(b, moved, sizeAfterWindows.map((d) => g.shape[d]), updatesShape);
    const alongDim = b.constant(windowPositions(windows, attrs), out.shape.map((_, d) => (d === dim ? windows * size : 1)), "int64");
    const positions = b.op("Expand", [alongDim, b.int64s(updatesShape)]);
    const zeros = b.op("Expand", [b.scalar(0, out.dtype), b.int64s(out.shape)]);
    return b.op("ScatterElements", [zeros, positions, updates], { axis: dim, reduction: "add" });
  },
});

/** The gradient of `unfold`: each window's gradient added back into a dim of `length`. */
export function unfoldBackward(g: Tensor, dim: number, size: number, step: number, length: number): Tensor {
  return apply(unfoldBackwardOp, [g], { dim, size, step, length });
}
