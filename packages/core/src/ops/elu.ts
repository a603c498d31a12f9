import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { le } from "./compare";
import { unaryOp } from "./elementwise";
import { exp } from "./exp";
import { mul } from "./mul";
import { where } from "./where";

/** x where x > 0, else alpha · (e^x - 1); at 0 the gradient is alpha (PyTorch's elu_backward takes the x ≤ 0 side). */
export const eluOp = registerBuiltinOp({
  ...unaryOp<{ readonly alpha: number }>(
    "elu",
    "a > 0 ? a : alpha * Math.expm1(a)",
    (g, { inputs: [x], attrs: { alpha } }) => [where(le(x, 0), mul(g, mul(exp(x), alpha)), g)],
    { alpha: 1 },
  ),
  onnx: (b, [x], { alpha }) => b.op("Elu", [x], { alpha: { float: alpha } }),
});

/** torch.nn.functional.elu: `x` where positive, else `alpha·(exp(x) - 1)`. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return apply(eluOp, [x], { alpha });
}
