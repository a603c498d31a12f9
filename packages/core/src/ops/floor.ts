import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** Piecewise constant: the gradient is zero everywhere, as PyTorch's (which is defined, not missing). */
export const floorOp = registerBuiltinOp({
  ...unaryOp("floor", "Math.floor(a)", () => [null]),
  onnx: (b, [x]) => b.op("Floor", [x]),
});

/** torch.floor: each element rounded down. */
export function floor(x: Tensor): Tensor {
  return apply(floorOp, [x]);
}
