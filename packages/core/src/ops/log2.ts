import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { div } from "./div";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

export const log2Op = registerBuiltinOp({
  ...unaryOp("log2", "Math.log2(a)", (g, { inputs: [x] }) => [div(g, mul(x, Math.LN2))]),
  onnx: (b, [x]) => b.op("Div", [b.op("Log", [x]), b.scalar(Math.LN2, x.dtype)]),
});

/** torch.log2: the base-2 logarithm of each element. */
export function log2(x: Tensor): Tensor {
  return apply(log2Op, [x]);
}
