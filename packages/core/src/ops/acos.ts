import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { neg } from "./neg";
import { rsqrt } from "./rsqrt";
import { sub } from "./sub";

/** derivatives.yaml: -grad · rsqrt(1 - x²). */
export const acosOp = registerBuiltinOp({
  ...unaryOp("acos", "Math.acos(a)", (g, { inputs: [x] }) => [neg(mul(g, rsqrt(sub(1, mul(x, x)))))]),
  onnx: (b, [x]) => b.op("Acos", [x]),
});

/** torch.acos: the arccosine of each element. */
export function acos(x: Tensor): Tensor {
  return apply(acosOp, [x]);
}
