import { apply } from "../ir/graph";
import type { Tensor } from "../tensor";
import { registerOp } from "./registry";

/** The identity, with no gradient: the value is used as a constant (e.g. the max shift in softmax). */
export const detachOp = registerOp({
  name: "detach",
  arity: 1,
  infer: ([x]) => x,
  kernel: ([x]) => x.data,
  vjp: "nondifferentiable",
});

export function detach(x: Tensor): Tensor {
  return apply(detachOp, [x]);
}
