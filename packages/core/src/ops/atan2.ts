import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor, TensorLike } from "../ir/tensor";
import { add } from "./add";
import { div } from "./div";
import { floatBinaryOp } from "./elementwise";
import { mul } from "./mul";
import { neg } from "./neg";
import { floatOperands } from "./operands";
import { unbroadcast } from "./unbroadcast";

/** atan2(a, b): the angle of the point (b, a), in (-π, π]; derivatives.yaml: grad · (b, -a) / (a² + b²). */
export const atan2Op = registerOp(
  floatBinaryOp("atan2", "Math.atan2(a, b)", (g, { inputs: [a, b], needs }) => {
    const scaled = div(g, add(mul(a, a), mul(b, b)));
    return [needs[0] ? unbroadcast(mul(scaled, b), a.shape) : null, needs[1] ? unbroadcast(neg(mul(scaled, a)), b.shape) : null];
  }),
);

/** torch.atan2: the angle of the point (b, a), in (-π, π]. */
export function atan2(a: TensorLike, b: TensorLike): Tensor {
  return apply(atan2Op, floatOperands("atan2", a, b));
}
