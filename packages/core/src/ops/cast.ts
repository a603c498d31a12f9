import { assertDType, type DType, isFloat } from "../basics/dtype";
import { checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { elementwiseKernel } from "./ruleKernels";

const rule = { expr: "a" };

/**
 * Converts between dtypes: the identity, stored in the new dtype. float→int32 truncates toward
 * zero as PyTorch's `.to(torch.int32)` does.
 */
export const castOp = registerOp<{ readonly dtype: DType }>({
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
  elementwise: rule,
});

export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : apply(castOp, [x], { dtype });
}
