import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** Piecewise constant: the gradient is zero everywhere, as PyTorch's (which is defined, not missing). */
export const floorOp = registerOp({
  ...unaryOp("floor", "Math.floor(a)", () => [null]),
  onnx: (b, [x]) => b.op("Floor", [x]),
});

/** torch.floor: each element rounded down. */
export function floor(x: Tensor): Tensor {
  return apply(floorOp, [x]);
}
