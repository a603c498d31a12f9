import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { rsqrt } from "./rsqrt";
import { sub } from "./sub";

/** derivatives.yaml: grad · rsqrt(x² - 1); NaN below 1, where acosh is NaN. */
export const acoshOp = registerBuiltinOp({
  ...unaryOp("acosh", "Math.acosh(a)", (g, { inputs: [x] }) => [mul(g, rsqrt(sub(mul(x, x), 1)))]),
  onnx: (b, [x]) => b.op("Acosh", [x]),
});

/** torch.acosh: the inverse hyperbolic cosine of each element. */
export function acosh(x: Tensor): Tensor {
  return apply(acoshOp, [x]);
}
