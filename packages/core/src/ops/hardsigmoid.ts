import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { gt, lt } from "./compare";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { where } from "./where";

/**
 * PyTorch's hardsigmoid_backward multiplies by the float32 constant 1/6 in every dtype, so its
 * float64 gradient is 0.1666666716337204, not 1/6: gradgraph follows it.
 */
const floatOneSixth = Math.fround(1 / 6);

/** relu6(x + 3) / 6; the gradient is (float32's) 1/6 strictly inside (-3, 3), as PyTorch's hardsigmoid_backward. */
export const hardsigmoidOp = registerBuiltinOp({
  ...unaryOp(
    "hardsigmoid",
    "a <= -3 ? 0 : a >= 3 ? 1 : a / 6 + 0.5",
    (g, { inputs: [x] }) => [where(gt(x, -3), where(lt(x, 3), mul(g, floatOneSixth), 0), 0)],
  ),
  onnx: (b, [x]) => b.op("HardSigmoid", [x], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } }),
});

/** torch.nn.functional.hardsigmoid: `clamp(x / 6 + 1 / 2, 0, 1)`. */
export function hardsigmoid(x: Tensor): Tensor {
  return apply(hardsigmoidOp, [x]);
}
