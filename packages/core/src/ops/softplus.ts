import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { gt } from "./compare";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { sigmoid } from "./sigmoid";
import { where } from "./where";

/** log(1 + e^(beta·x)) / beta, and x itself where beta·x > threshold (PyTorch's switch to the linear function). */
export const softplusOp = registerBuiltinOp({
  ...unaryOp<{ readonly beta: number; readonly threshold: number }>(
    "softplus",
    "a * beta > threshold ? a : Math.log1p(Math.exp(a * beta)) / beta",
    (g, { inputs: [x], attrs: { beta, threshold } }) => {
      const scaled = mul(x, beta);
      return [where(gt(scaled, threshold), g, mul(g, sigmoid(scaled)))];
    },
    { beta: 1, threshold: 20 },
  ),
  onnx: (b, [x], { beta, threshold }) => {
    const scaled = b.op("Mul", [x, b.scalar(beta, x.dtype)]);
    const smooth = b.op("Div", [b.op("Softplus", [scaled]), b.scalar(beta, x.dtype)]);
    return b.op("Where", [b.op("Greater", [scaled, b.scalar(threshold, x.dtype)]), x, smooth]);
  },
});

/** torch.nn.functional.softplus: `log(1 + exp(beta·x)) / beta`, linear above `threshold`. */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return apply(softplusOp, [x], { beta, threshold });
}
