import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { le, lt } from "./compare";
import { div } from "./div";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { where } from "./where";

/** x · relu6(x + 3) / 6; the gradient as PyTorch's hardswish_backward (x < -3: 0, x ≤ 3: x/3 + 0.5, else 1). */
export const hardswishOp = registerBuiltinOp({
  ...unaryOp(
    "hardswish",
    "a <= -3 ? 0 : a >= 3 ? a : a * (a + 3) / 6",
    (g, { inputs: [x] }) => [where(lt(x, -3), 0, where(le(x, 3), mul(g, add(div(x, 3), 0.5)), g))],
  ),
  onnx: (b, [x]) => b.op("HardSwish", [x]),
});

/** torch.nn.functional.hardswish: `x · hardsigmoid(x)`. */
export function hardswish(x: Tensor): Tensor {
  return apply(hardswishOp, [x]);
}
