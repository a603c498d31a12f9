import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** Piecewise constant: the gradient is zero everywhere, as PyTorch's (which is defined, not missing). */
export const truncOp = registerOp(
  unaryOp("trunc", "Math.trunc(a)", () => [null]),
);

/** torch.trunc: each element rounded toward zero. */
export function trunc(x: Tensor): Tensor {
  return apply(truncOp, [x]);
}
