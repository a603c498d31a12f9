import { apply } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { mul } from "./mul";
import { unaryOp } from "./elementwise";
import { registerBuiltinOp } from "./builtinOp";

export const expOp = registerBuiltinOp({
  ...unaryOp("exp", "Math.exp(a)", (g, { output }) => [mul(g, output)]),
  onnx: (b, [x]) => b.op("Exp", [x]),
});

/** torch.exp: e to the power of each element. */
export function exp(x: Tensor): Tensor {
  return apply(expOp, [x]);
}
