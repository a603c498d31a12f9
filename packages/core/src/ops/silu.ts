import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { sigmoid } from "./sigmoid";
import { sub } from "./sub";

/** x · sigmoid(x) (swish); derivatives.yaml: grad · s · (1 + x · (1 - s)). */
export const siluOp = registerBuiltinOp({
  ...unaryOp(
    "silu",
    "a / (1 + Math.exp(-a))",
    (g, { inputs: [x] }) => {
      const s = sigmoid(x);
      return [mul(g, mul(s, add(mul(x, sub(1, s)), 1)))];
    },
  ),
  onnx: (b, [x]) => b.op("Mul", [x, b.op("Sigmoid", [x])]),
});

/** torch.nn.functional.silu: `x · sigmoid(x)`. */
export function silu(x: Tensor): Tensor {
  return apply(siluOp, [x]);
}
