import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { div } from "./div";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

export const log10Op = registerBuiltinOp({
  ...unaryOp("log10", "Math.log10(a)", (g, { inputs: [x] }) => [div(g, mul(x, Math.LN10))]),
  onnx: (b, [x]) => b.op("Div", [b.op("Log", [x]), b.scalar(Math.LN10, x.dtype)]),
});

/** torch.log10: the base-10 logarithm of each element. */
export function log10(x: Tensor): Tensor {
  return apply(log10Op, [x]);
}
