import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { div } from "./div";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

export const atanOp = registerBuiltinOp({
  ...unaryOp("atan", "Math.atan(a)", (g, { inputs: [x] }) => [div(g, add(mul(x, x), 1))]),
  onnx: (b, [x]) => b.op("Atan", [x]),
});

/** torch.atan: the arctangent of each element. */
export function atan(x: Tensor): Tensor {
  return apply(atanOp, [x]);
}
