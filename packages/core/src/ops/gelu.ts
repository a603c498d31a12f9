import { describeValue, OpError } from "../basics/errors";
import erfOf from "@stdlib/math-base-special-erf";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { unaryOp } from "./elementwise";
import { erf } from "./erf";
import { exp } from "./exp";
import { geluTanhOp } from "./geluTanh";
import { mul } from "./mul";

/** x · Φ(x), Φ the standard normal CDF (PyTorch's `approximate='none'`). */
export const geluOp = registerBuiltinOp({
  ...unaryOp(
    "gelu",
    { expr: "0.5 * a * (1 + erf(a * Math.SQRT1_2))", helpers: { erf: erfOf } },
    (g, { inputs: [x] }) => {
      const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return [mul(g, add(cdf, mul(x, pdf)))];
    },
  ),
  onnx: (b, [x]) => {
    const cdf = b.op("Add", [b.op("Erf", [b.op("Mul", [x, b.scalar(Math.SQRT1_2, x.dtype)])]), b.scalar(1, x.dtype)]);
    return b.op("Mul", [b.op("Mul", [x, b.scalar(0.5, x.dtype)]), cdf]);
  },
});

/** PyTorch's `gelu(x, approximate)`: the exact form, or the tanh approximation (a distinct op, `geluTanh`). */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  if (approximate !== "none" && approximate !== "tanh") {
    throw new OpError("gelu", `approximate must be 'none' or 'tanh', got ${describeValue(approximate)}`);
  }
  return apply(approximate === "none" ? geluOp : geluTanhOp, [x]);
}
