import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** Piecewise constant: the gradient is zero everywhere, as PyTorch's (which is defined, not missing). */
export const ceilOp = registerBuiltinOp({
  ...unaryOp("ceil", "Math.ceil(a)", () => [null]),
  onnx: (b, [x]) => b.op("Ceil", [x]),
});

/** torch.ceil: each element rounded up. */
export function ceil(x: Tensor): Tensor {
  return apply(ceilOp, [x]);
}
