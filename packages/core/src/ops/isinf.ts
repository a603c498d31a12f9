import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp, withBoolResult } from "./elementwise";

/** True where x is ±Infinity, as a bool tensor. */
export const isinfOp = registerBuiltinOp({
  ...withBoolResult(unaryOp("isinf", "a === Infinity || a === -Infinity ? 1 : 0", "nondifferentiable")),
  onnx: (b, [x]) => b.op("IsInf", [x]),
});

/** torch.isinf: whether each element is ±Infinity, as bool. */
export function isinf(x: Tensor): Tensor {
  return apply(isinfOp, [x]);
}
