import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { neg } from "./neg";
import { sin } from "./sin";

export const cosOp = registerBuiltinOp({
  ...unaryOp("cos", "Math.cos(a)", (g, { inputs: [x] }) => [neg(mul(g, sin(x)))]),
  onnx: (b, [x]) => b.op("Cos", [x]),
});

/** torch.cos: the cosine of each element (radians). */
export function cos(x: Tensor): Tensor {
  return apply(cosOp, [x]);
}
