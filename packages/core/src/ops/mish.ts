import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { sigmoid } from "./sigmoid";
import { softplus } from "./softplus";
import { sub } from "./sub";
import { tanh } from "./tanh";

/** x · tanh(softplus(x)); the gradient as PyTorch's mish_backward. */
export const mishOp = registerBuiltinOp({
  ...unaryOp(
    "mish",
    "a * Math.tanh(Math.log1p(Math.exp(a)))",
    (g, { inputs: [x] }) => {
      const t = tanh(softplus(x));
      return [mul(g, add(t, mul(mul(x, sigmoid(x)), sub(1, mul(t, t)))))];
    },
  ),
  onnx: (b, [x]) => b.op("Mul", [x, b.op("Tanh", [b.op("Softplus", [x])])]),
});

/** torch.nn.functional.mish: `x · tanh(softplus(x))`. */
export function mish(x: Tensor): Tensor {
  return apply(mishOp, [x]);
}
