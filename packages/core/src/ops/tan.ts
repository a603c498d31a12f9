import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

/** derivatives.yaml: grad · (1 + result²). */
export const tanOp = registerBuiltinOp({
  ...unaryOp("tan", "Math.tan(a)", (g, { output }) => [mul(g, add(mul(output, output), 1))]),
  onnx: (b, [x]) => b.op("Tan", [x]),
});

/** torch.tan: the tangent of each element (radians). */
export function tan(x: Tensor): Tensor {
  return apply(tanOp, [x]);
}
