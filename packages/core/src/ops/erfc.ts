import erfcOf from "@stdlib/math-base-special-erfc";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { twoOverSqrtPi } from "./erf";
import { exp } from "./exp";
import { mul } from "./mul";
import { neg } from "./neg";

/** 1 - erf(x), without the cancellation for large x (@stdlib's erfc). */
export const erfcOp = registerBuiltinOp({
  ...unaryOp("erfc", { expr: "erfc(a)", helpers: { erfc: erfcOf } }, (g, { inputs: [x] }) => [mul(g, mul(exp(neg(mul(x, x))), -twoOverSqrtPi))]),
  onnx: (b, [x]) => b.op("Sub", [b.scalar(1, x.dtype), b.op("Erf", [x])]),
});

/** torch.erfc: `1 - erf(x)`, accurate where erf is near 1. */
export function erfc(x: Tensor): Tensor {
  return apply(erfcOp, [x]);
}
