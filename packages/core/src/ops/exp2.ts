import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

export const exp2Op = registerBuiltinOp({
  ...unaryOp("exp2", "Math.pow(2, a)", (g, { output }) => [mul(g, mul(output, Math.LN2))]),
  onnx: (b, [x]) => b.op("Pow", [b.scalar(2, x.dtype), x]),
});

/** torch.exp2: 2 to the power of each element. */
export function exp2(x: Tensor): Tensor {
  return apply(exp2Op, [x]);
}
