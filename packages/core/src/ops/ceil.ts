import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** Piecewise constant: the gradient is zero everywhere, as PyTorch's (which is defined, not missing). */
export const ceilOp = registerOp({
  ...unaryOp("ceil", "Math.ceil(a)", () => [null]),
  onnx: (b, [x]) => b.op("Ceil", [x]),
});

/** torch.ceil: each element rounded up. */
export function ceil(x: Tensor): Tensor {
  return apply(ceilOp, [x]);
}
