import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { sinh } from "./sinh";

export const coshOp = registerBuiltinOp({
  ...unaryOp("cosh", "Math.cosh(a)", (g, { inputs: [x] }) => [mul(g, sinh(x))]),
  onnx: (b, [x]) => b.op("Cosh", [x]),
});

/** torch.cosh: the hyperbolic cosine of each element. */
export function cosh(x: Tensor): Tensor {
  return apply(coshOp, [x]);
}
