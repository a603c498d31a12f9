import { assertDType, type DType, isFloat } from "../basics/dtype";
import { checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { elementwiseKernel } from "./ruleKernels";

/**
 * Storing a double into an int32 array truncates in-range values toward zero (as C++ does) but
 * maps NaN and ±Infinity to 0 and wraps the rest modulo 2^32 (JS's ToInt32): those are replaced first.
 */
const rule = { expr: "a", int32: { expr: "a > -2147483649 && a < 2147483648 ? a : -2147483648" } };

/**
 * Converts between dtypes: the identity, stored in the new dtype. float→int32 truncates toward
 * zero as PyTorch's `.to(torch.int32)` does. A float whose truncation int32 cannot hold (NaN,
 * ±Infinity, |x| ≥ 2^31) has no defined conversion in C++, so PyTorch's result depends on the
 * machine; gradgraph gives -2^31 for all of them, which is what PyTorch gives on x86 (the
 * conversion instruction's "integer indefinite"; ARM saturates instead, and NaN becomes 0 there).
 */
export const castOp = registerBuiltinOp<{ readonly dtype: DType }>({
  name: "cast",
  arity: 1,
  canonicalize(_inputs, attrs) {
    checkAttrNames("cast", attrs, ["dtype"]);
    return { dtype: assertDType(attrs.dtype, "cast") };
  },
  infer: ([x], { dtype }) => ({ shape: x.shape, dtype }),
  kernel: elementwiseKernel(rule),
  // Integer results are piecewise constant and integer inputs take no gradient, as in PyTorch.
  vjp: (g, { inputs: [x], output }) => [isFloat(x.dtype) && isFloat(output.dtype) ? cast(g, x.dtype) : null],
  // Linear between float dtypes: the tangent is cast to the output's dtype (the VJP casts back to the input's).
  jvp: "linear",
  elementwise: rule,
  onnx: (b, [x], { dtype }) => b.cast(x, dtype),
});

/**
 * `x.to(dtype)`: the values converted (float to int truncates toward zero; NaN and ±Infinity as PyTorch casts
 * them).
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : apply(castOp, [x], { dtype });
}
