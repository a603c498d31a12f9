import erfOf from "@stdlib/math-base-special-erf";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { exp } from "./exp";
import { mul } from "./mul";
import { neg } from "./neg";

/** 2/√π, the derivative of erf at 0. */
export const twoOverSqrtPi = 2 / Math.sqrt(Math.PI);

/** The error function (FreeBSD's algorithm, via @stdlib: within an ulp of C's erf, which PyTorch calls). */
export const erfOp = registerBuiltinOp({
  ...unaryOp("erf", { expr: "erf(a)", helpers: { erf: erfOf } }, (g, { inputs: [x] }) => [mul(g, mul(exp(neg(mul(x, x))), twoOverSqrtPi))]),
  onnx: (b, [x]) => b.op("Erf", [x]),
});

/** torch.erf: the error function of each element. */
export function erf(x: Tensor): Tensor {
  return apply(erfOp, [x]);
}
