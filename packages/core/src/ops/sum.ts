import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { expand } from "./expand";
import { batchReduction, canonicalizeReduction, type ReduceAttrs, reducedShape, reductionRule } from "./reduction";
import { reshape } from "./reshape";
import { reductionKernel } from "./ruleKernels";

const rule = reductionRule(0, "acc + v");

export const sumOp = registerBuiltinOp<ReduceAttrs>({
  name: "sum",
  arity: 1,
  canonicalize: canonicalizeReduction("sum"),
  // A sum of bools counts them, in int32 (PyTorch: int64).
  infer: ([x], attrs) => ({ shape: reducedShape(x, attrs), dtype: x.dtype === "bool" ? "int32" : x.dtype }),
  kernel: reductionKernel(rule),
  vjp: (g, { inputs: [x], attrs }) => [expand(reshape(g, reducedShape(x, { ...attrs, keepdim: true })), x.shape)],
  jvp: "linear",
  batch: batchReduction,
  reduction: rule,
  onnx: (b, [x], { dims, keepdim }, out) => b.op("ReduceSum", [b.cast(x, out.dtype), b.int64s(dims)], { keepdims: keepdim ? 1 : 0, noop_with_empty_axes: 1 }),
});

/**
 * Sums over `dim` (a dim, a list, or every dim when omitted). Over no dims at all it is still a
 * sum, each element added to 0 (so -0 becomes 0, as every sum of a zero does).
 */
export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return apply(sumOp, [x], dim === undefined ? { keepdim } : { dims: dim, keepdim });
}
