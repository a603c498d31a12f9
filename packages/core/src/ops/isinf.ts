import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** 1 where x is ±Infinity, else 0 (in x's dtype, as the comparisons give). */
export const isinfOp = registerOp(unaryOp("isinf", "a === Infinity || a === -Infinity ? 1 : 0", "nondifferentiable"));

export function isinf(x: Tensor): Tensor {
  return apply(isinfOp, [x]);
}
