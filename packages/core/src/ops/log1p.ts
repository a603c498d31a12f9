import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { div } from "./div";
import { unaryOp } from "./elementwise";

/** log(1 + x), exact for small x. */
export const log1pOp = registerBuiltinOp({
  ...unaryOp("log1p", "Math.log1p(a)", (g, { inputs: [x] }) => [div(g, add(x, 1))]),
  onnx: (b, [x]) => b.op("Log", [b.op("Add", [x, b.scalar(1, x.dtype)])]),
});

/** torch.log1p: `log(1 + x)`, accurate near 0. */
export function log1p(x: Tensor): Tensor {
  return apply(log1pOp, [x]);
}
