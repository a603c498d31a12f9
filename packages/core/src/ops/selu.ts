import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { le } from "./compare";
import { unaryOp } from "./elementwise";
import { exp } from "./exp";
import { mul } from "./mul";
import { where } from "./where";

const seluAlpha = 1.6732632423543772848170429916717;
const seluScale = 1.0507009873554804934193349852946;

/** scale · elu(x, alpha) with the self-normalizing constants of Klambauer et al. (PyTorch's values). */
export const seluOp = registerBuiltinOp({
  ...unaryOp(
    "selu",
    `a > 0 ? ${seluScale} * a : ${seluScale * seluAlpha} * Math.expm1(a)`,
    (g, { inputs: [x] }) => [where(le(x, 0), mul(g, mul(exp(x), seluScale * seluAlpha)), mul(g, seluScale))],
  ),
  onnx: (b, [x]) => b.op("Selu", [x], { alpha: { float: seluAlpha }, gamma: { float: seluScale } }),
});

/** torch.nn.functional.selu: `scale · elu(x, alpha)` with PyTorch's constants. */
export function selu(x: Tensor): Tensor {
  return apply(seluOp, [x]);
}
