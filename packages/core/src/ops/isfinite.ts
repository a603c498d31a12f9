import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp, withBoolResult } from "./elementwise";

/** True where x is neither NaN nor ±Infinity, as a bool tensor. */
export const isfiniteOp = registerBuiltinOp({
  ...withBoolResult(unaryOp("isfinite", "a - a === 0 ? 1 : 0", "nondifferentiable")),
  onnx: (b, [x]) => b.op("Not", [b.op("Or", [b.op("IsNaN", [x]), b.op("IsInf", [x])])]),
});

/** torch.isfinite: whether each element is neither NaN nor ±Infinity, as bool. */
export function isfinite(x: Tensor): Tensor {
  return apply(isfiniteOp, [x]);
}
