import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** 1 where x is neither NaN nor ±Infinity, else 0 (in x's dtype, as the comparisons give). */
export const isfiniteOp = registerOp(unaryOp("isfinite", "a - a === 0 ? 1 : 0", "nondifferentiable"));

export function isfinite(x: Tensor): Tensor {
  return apply(isfiniteOp, [x]);
}
