import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** 1 where x is NaN, else 0 (in x's dtype, as the comparisons give). */
export const isnanOp = registerOp(unaryOp("isnan", "a !== a ? 1 : 0", "nondifferentiable"));

export function isnan(x: Tensor): Tensor {
  return apply(isnanOp, [x]);
}
