import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp, withBoolResult } from "./elementwise";

/** True where x is NaN, as a bool tensor. */
export const isnanOp = registerBuiltinOp({
  ...withBoolResult(unaryOp("isnan", "a !== a ? 1 : 0", "nondifferentiable")),
  onnx: (b, [x]) => b.op("IsNaN", [x]),
});

/** torch.isnan: whether each element is NaN, as bool. */
export function isnan(x: Tensor): Tensor {
  return apply(isnanOp, [x]);
}
