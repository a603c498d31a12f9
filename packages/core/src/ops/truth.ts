import { apply } from "../ir/graph";
import type { OnnxBuilder, OnnxMapping, OnnxTensor, OnnxValue } from "../ir/onnx";
import type { Tensor } from "../ir/tensor";
import { batchReduction, canonicalizeReduction, type ReduceAttrs, reducedShape, reductionRule } from "./reduction";
import { reductionKernel } from "./ruleKernels";
import { type BuiltinOpDef, registerBuiltinOp } from "./builtinOp";

/**
 * any / all over dims (all when omitted), of a tensor of any dtype: whether some (every) element
 * is nonzero, NaN counting as nonzero; the result is bool, as PyTorch's. The empty any is false,
 * the empty all true.
 */
function truthReduction(name: string, identity: 0 | 1, combine: string, onnx: OnnxMapping<ReduceAttrs>): BuiltinOpDef<ReduceAttrs> {
  const rule = reductionRule(identity, combine);
  return registerBuiltinOp<ReduceAttrs>({
    name,
    arity: 1,
    canonicalize: canonicalizeReduction(name),
    infer: ([x], attrs) => ({ shape: reducedShape(x, attrs), dtype: "bool" }),
    kernel: reductionKernel(rule),
    vjp: "nondifferentiable",
    batch: batchReduction,
    reduction: rule,
    onnx,
  });
}

/** How many of x's elements over `dims` are (`nonzero`) or are not nonzero, in ONNX: a sum, which is 0 over no elements. */
function countOnnx(b: OnnxBuilder, x: OnnxTensor, { dims, keepdim }: ReduceAttrs, nonzero: boolean): OnnxValue {
  const truth = b.cast(x, "bool");
  const counted = b.cast(nonzero ? truth : b.op("Not", [truth]), "int32");
  return b.op("ReduceSum", [counted, b.int64s(dims)], { keepdims: keepdim ? 1 : 0, noop_with_empty_axes: 1 });
}

export const anyOp = truthReduction("any", 0, "acc !== 0 || v !== 0 ? 1 : 0", (b, [x], attrs) =>
  b.op("Greater", [countOnnx(b, x, attrs, true), b.scalar(0, "int32")]),
);
export const allOp = truthReduction("all", 1, "acc !== 0 && v !== 0 ? 1 : 0", (b, [x], attrs) =>
  b.op("Equal", [countOnnx(b, x, attrs, false), b.scalar(0, "int32")]),
);

/** torch.any: whether some element (over `dim`, every dim if left out) is nonzero, as bool. */
export function any(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return apply(anyOp, [x], dim === undefined ? { keepdim } : { dims: dim, keepdim });
}

/** torch.all: whether every element (over `dim`, every dim if left out) is nonzero, as bool. */
export function all(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return apply(allOp, [x], dim === undefined ? { keepdim } : { dims: dim, keepdim });
}
