import { OpError } from "../basics/errors";
import { normalizeDim } from "../basics/shape";
import { checkTensor } from "../ir/args";
import { checkAttrNames, dimAttr, integerAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { type ViewRule } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { afterBatch } from "./batching";
import { reshape } from "./reshape";
import { viewKernel } from "./ruleKernels";
import { unfoldBackward } from "./unfoldBackward";

export type UnfoldAttrs = { readonly dim: number; readonly size: number; readonly step: number };

/** How many windows of `size` in steps of `step` fit in `length`. */
export const windowCount = (length: number, { size, step }: UnfoldAttrs) => Math.floor((length - size) / step) + 1;

/** The checks torch.unfold makes on a dim of `length`, in its words; shared with the gradient. */
export function checkUnfold(op: string, length: number, { dim, size, step }: UnfoldAttrs): void {
  if (size < 0) throw new OpError(op, `size is ${size} but must be >= 0`);
  if (size > length) throw new OpError(op, `maximum size for tensor at dimension ${dim} is ${length} but size is ${size}`);
  if (step <= 0) throw new OpError(op, `step is ${step} but must be > 0`);
}

const view: ViewRule<UnfoldAttrs> = (input, { dim, step }, out) => ({
  offset: input.offset,
  shape: out.shape,
  strides: [...input.strides.map((s, d) => (d === dim ? s * step : s)), input.strides[dim]],
});

/**
 * Tensor.unfold(dim, size, step): every window of `size` elements along `dim`, `step` apart; the
 * windows take the place of `dim` and their elements form a new last dim. A window of the input
 * (windows overlap when step < size), as in PyTorch.
 */
export const unfoldOp = registerBuiltinOp<UnfoldAttrs>({
  name: "unfold",
  arity: 1,
  canonicalize([x], attrs) {
    checkAttrNames("unfold", attrs, ["dim", "size", "step"]);
    if (x.shape.length === 0) throw new OpError("unfold", "expected a tensor with at least one dimension, got a 0-d tensor (the unfold() function takes those)");
    const dim = dimAttr("unfold", attrs, "dim", x.shape.length);
    const canonical = { dim, size: integerAttr("unfold", attrs, "size"), step: integerAttr("unfold", attrs, "step") };
    checkUnfold("unfold", x.shape[dim], canonical);
    return canonical;
  },
  infer: ([x], attrs) => ({ shape: [...x.shape.map((d, i) => (i === attrs.dim ? windowCount(d, attrs) : d)), attrs.size], dtype: x.dtype }),
  kernel: viewKernel(view),
  vjp: (g, { inputs: [x], attrs: { dim, size, step } }) => [unfoldBackward(g, dim, size, step, x.shape[dim])],
  jvp: "linear",
  batch: ({ inputs: [x], node: { attrs }, rebuild }) => rebuild([x], { ...attrs, dim: afterBatch(attrs.dim) }),
  view,
  onnx(b, [x], attrs) {
    // Gather with the windows' positions as a [windows, size] index puts both in dim's place; the size goes last.
    const { dim, size, step } = attrs;
    const windows = windowCount(x.shape[dim], attrs);
    const positions = b.constant(windowPositions(windows, attrs), [windows, size], "int64");
    const gathered = b.op("Gather", [x, positions], { axis: dim });
    if (dim === x.shape.length - 1) return gathered;
    const rank = x.shape.length + 1;
    const perm = Array.from({ length: rank }, (_, d) => d).filter((d) => d !== dim + 1);
    return b.op("Transpose", [gathered], { perm: [...perm, dim + 1] });
  },
});

/** Where each element of each window is read along the unfolded dim, window by window: w·step + e. */
export const windowPositions = (windows: number, { size, step }: UnfoldAttrs): number[] =>
  Array.from({ length: windows * size }, (_, k) => Math.floor(k / size) * step + (k % size));

/** x.unfold(dim, size, step); a 0-d tensor unfolds as if it had one dim of size 1 (giving shape [size]), as in PyTorch. */
export function unfold(x: Tensor, dim: number, size: number, step: number): Tensor {
  checkTensor("unfold", "input", x);
  if (x.shape.length > 0) return apply(unfoldOp, [x], { dim, size, step });
  normalizeDim("unfold", dim, 0);
  return reshape(apply(unfoldOp, [reshape(x, [1])], { dim: 0, size, step }), [size]);
}
