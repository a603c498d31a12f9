import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { cosh } from "./cosh";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

export const sinhOp = registerBuiltinOp({
  ...unaryOp("sinh", "Math.sinh(a)", (g, { inputs: [x] }) => [mul(g, cosh(x))]),
  onnx: (b, [x]) => b.op("Sinh", [x]),
});

/** torch.sinh: the hyperbolic sine of each element. */
export function sinh(x: Tensor): Tensor {
  return apply(sinhOp, [x]);
}
