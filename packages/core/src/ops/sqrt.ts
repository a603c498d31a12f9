import { apply } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { div } from "./div";
import { mul } from "./mul";
import { unaryOp } from "./elementwise";
import { registerBuiltinOp } from "./builtinOp";

export const sqrtOp = registerBuiltinOp({
  ...unaryOp("sqrt", "Math.sqrt(a)", (g, { output }) => [div(g, mul(output, 2))]),
  onnx: (b, [x]) => b.op("Sqrt", [x]),
});

/** torch.sqrt: the square root of each element. */
export function sqrt(x: Tensor): Tensor {
  return apply(sqrtOp, [x]);
}
