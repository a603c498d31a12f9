import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** True where x is ±Infinity, as a bool tensor. */
const isinfDef = unaryOp("isinf", "a === Infinity || a === -Infinity ? 1 : 0", "nondifferentiable");

export const isinfOp = registerOp({ ...isinfDef, infer: (inputs, attrs) => ({ ...isinfDef.infer(inputs, attrs), dtype: "bool" }) });

export function isinf(x: Tensor): Tensor {
  return apply(isinfOp, [x]);
}
