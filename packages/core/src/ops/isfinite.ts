import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** True where x is neither NaN nor ±Infinity, as a bool tensor. */
const isfiniteDef = unaryOp("isfinite", "a - a === 0 ? 1 : 0", "nondifferentiable");

export const isfiniteOp = registerOp({ ...isfiniteDef, infer: (inputs, attrs) => ({ ...isfiniteDef.infer(inputs, attrs), dtype: "bool" }) });

export function isfinite(x: Tensor): Tensor {
  return apply(isfiniteOp, [x]);
}
