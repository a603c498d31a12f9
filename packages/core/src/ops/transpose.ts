import { checkAttrNames, dimAttr } from "../ir/attrs";
import { applyCanonical, canonicalAttrs } from "../ir/graph";
import { type ViewRule } from "../ir/registry";
import { type BuiltinOpDef, registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { afterBatch } from "./batching";
import { viewKernel } from "./ruleKernels";

type TransposeAttrs = { readonly dim0: number; readonly dim1: number };

const swapped = <T>(values: readonly T[], { dim0, dim1 }: TransposeAttrs): T[] => {
  const out = [...values];
  [out[dim0], out[dim1]] = [out[dim1], out[dim0]];
  return out;
};

const view: ViewRule<TransposeAttrs> = (input, attrs, out) => ({ offset: input.offset, shape: out.shape, strides: swapped(input.strides, attrs) });

/** Swaps two dims. A primitive of its own (not a permute) so the compiler can read `x Wᵀ` in place. */
export const transposeOp: BuiltinOpDef<TransposeAttrs> = registerBuiltinOp<TransposeAttrs>({
  name: "transpose",
  arity: 1,
  // The swap is symmetric, so the canonical form lists the smaller dim first.
  canonicalize([x], attrs) {
    checkAttrNames("transpose", attrs, ["dim0", "dim1"]);
    const d0 = dimAttr("transpose", attrs, "dim0", x.shape.length);
    const d1 = dimAttr("transpose", attrs, "dim1", x.shape.length);
    return { dim0: Math.min(d0, d1), dim1: Math.max(d0, d1) };
  },
  infer: ([x], attrs) => ({ shape: swapped(x.shape, attrs), dtype: x.dtype }),
  kernel: viewKernel(view),
  vjp: (g, { attrs }) => [applyCanonical(transposeOp, [g], attrs)],
  jvp: "linear",
  batch: ({ inputs: [x], node: { attrs }, rebuild }) => rebuild([x], { dim0: afterBatch(attrs.dim0), dim1: afterBatch(attrs.dim1) }),
  view,
  onnx: (b, [x], { dim0, dim1 }) => b.op("Transpose", [x], { perm: x.shape.map((_, d) => (d === dim0 ? dim1 : d === dim1 ? dim0 : d)) }),
});

/** torch.transpose: dims `dim0` and `dim1` swapped. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const attrs = canonicalAttrs(transposeOp, [x], { dim0, dim1 });
  return attrs.dim0 === attrs.dim1 ? x : applyCanonical(transposeOp, [x], attrs);
}
