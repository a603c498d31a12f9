import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { gt } from "./compare";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { where } from "./where";

/** x where x > 0, else negativeSlope · x. The gradient at 0 is negativeSlope (PyTorch's leaky_relu_backward: `x > 0`). */
export const leakyReluOp = registerBuiltinOp({
  ...unaryOp<{ readonly negativeSlope: number }>(
    "leakyRelu",
    "a > 0 ? a : a * negativeSlope",
    (g, { inputs: [x], attrs: { negativeSlope } }) => [where(gt(x, 0), g, mul(g, negativeSlope))],
    { negativeSlope: 0.01 },
  ),
  onnx: (b, [x], { negativeSlope }) => b.op("LeakyRelu", [x], { alpha: { float: negativeSlope } }),
});

/** torch.nn.functional.leaky_relu: `x` where positive, else `negativeSlope · x`. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return apply(leakyReluOp, [x], { negativeSlope });
}
