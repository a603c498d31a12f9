import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** True where x is NaN, as a bool tensor. */
const isnanDef = unaryOp("isnan", "a !== a ? 1 : 0", "nondifferentiable");

export const isnanOp = registerOp({ ...isnanDef, infer: (inputs, attrs) => ({ ...isnanDef.infer(inputs, attrs), dtype: "bool" }) });

export function isnan(x: Tensor): Tensor {
  return apply(isnanOp, [x]);
}
