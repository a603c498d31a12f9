import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { cos } from "./cos";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

export const sinOp = registerBuiltinOp({
  ...unaryOp("sin", "Math.sin(a)", (g, { inputs: [x] }) => [mul(g, cos(x))]),
  onnx: (b, [x]) => b.op("Sin", [x]),
});

/** torch.sin: the sine of each element (radians). */
export function sin(x: Tensor): Tensor {
  return apply(sinOp, [x]);
}
