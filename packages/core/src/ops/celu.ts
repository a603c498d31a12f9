import { OpError } from "../basics/errors";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { le } from "./compare";
import { div } from "./div";
import { unaryOp } from "./elementwise";
import { exp } from "./exp";
import { mul } from "./mul";
import { where } from "./where";

/** max(0, x) + min(0, alpha · (e^(x/alpha) - 1)); at 0 the gradient is 1 from the x ≤ 0 side, as PyTorch's. */
const celuDef = unaryOp<{ readonly alpha: number }>(
  "celu",
  "a > 0 ? a : alpha * Math.expm1(a / alpha)",
  (g, { inputs: [x], attrs: { alpha } }) => [where(le(x, 0), mul(g, exp(div(x, alpha))), g)],
  { alpha: 1 },
);

export const celuOp = registerBuiltinOp({
  ...celuDef,
  canonicalize(inputs, attrs) {
    const canonical = celuDef.canonicalize!(inputs, attrs);
    if (canonical.alpha === 0) throw new OpError("celu", "ZeroDivisionError: alpha cannot be 0 (the formula divides by it)");
    return canonical;
  },
  onnx: (b, [x], { alpha }) => b.op("Celu", [x], { alpha: { float: alpha } }),
});

/** torch.nn.functional.celu: `max(0, x) + min(0, alpha·(exp(x/alpha) - 1))`. */
export function celu(x: Tensor, alpha = 1): Tensor {
  return apply(celuOp, [x], { alpha });
}
