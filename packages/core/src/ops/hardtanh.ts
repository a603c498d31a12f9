import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { gt, lt } from "./compare";
import { unaryOp } from "./elementwise";
import { where } from "./where";

/**
 * x clamped to [minVal, maxVal] (as clamp: minVal > maxVal gives maxVal). Unlike clamp, the gradient
 * is 0 at the bounds themselves (PyTorch's hardtanh_backward); NaN passes through with its gradient.
 */
export const hardtanhOp = registerBuiltinOp({
  ...unaryOp<{ readonly minVal: number; readonly maxVal: number }>(
    "hardtanh",
    "a < minVal ? (minVal > maxVal ? maxVal : minVal) : a > maxVal ? maxVal : a",
    (g, { inputs: [x], attrs: { minVal, maxVal } }) => [where(gt(x, minVal), where(lt(x, maxVal), g, 0), 0)],
    { minVal: -1, maxVal: 1 },
  ),
  onnx: (b, [x], { minVal, maxVal }) => b.op("Clip", [x, b.scalar(minVal, x.dtype), b.scalar(maxVal, x.dtype)]),
});

/** torch.nn.functional.hardtanh: `x` clamped into [minVal, maxVal]. */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  return apply(hardtanhOp, [x], { minVal, maxVal });
}

/** hardtanh(x, 0, 6), as PyTorch defines relu6. */
export function relu6(x: Tensor): Tensor {
  return hardtanh(x, 0, 6);
}
