import { assertDType, type DType, type TypedArray, allocate, isFloat } from "../dtype";
import { apply } from "../ir/graph";
import type { Tensor } from "../tensor";
import { registerOp } from "./registry";

/** Converts between dtypes; float→int32 truncates toward zero as PyTorch's `.to(torch.int32)` does. */
export const castOp = registerOp<{ dtype: DType }>({
  name: "cast",
  arity: 1,
  infer: ([x], { dtype }) => ({ shape: x.shape, dtype: assertDType(dtype, "cast") }),
  kernel([x], _attrs, out) {
    const result: TypedArray = allocate(out.dtype, x.data.length);
    result.set(x.data);
    return result;
  },
  // Integer results are piecewise constant and integer inputs take no gradient, as in PyTorch.
  vjp: (g, { inputs: [x], output }) => [isFloat(x.dtype) && isFloat(output.dtype) ? cast(g, x.dtype) : null],
});

export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : apply(castOp, [x], { dtype });
}
