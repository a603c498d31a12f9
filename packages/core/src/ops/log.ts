import { apply } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { div } from "./div";
import { unaryOp } from "./elementwise";
import { registerBuiltinOp } from "./builtinOp";

export const logOp = registerBuiltinOp({
  ...unaryOp("log", "Math.log(a)", (g, { inputs: [x] }) => [div(g, x)]),
  onnx: (b, [x]) => b.op("Log", [x]),
});

/** torch.log: the natural logarithm of each element. */
export function log(x: Tensor): Tensor {
  return apply(logOp, [x]);
}
