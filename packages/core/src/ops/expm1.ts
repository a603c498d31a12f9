import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

/** e^x - 1, exact for small x; derivatives.yaml: grad · (result + 1). */
export const expm1Op = registerBuiltinOp({
  ...unaryOp("expm1", "Math.expm1(a)", (g, { output }) => [mul(g, add(output, 1))]),
  onnx: (b, [x]) => b.op("Sub", [b.op("Exp", [x]), b.scalar(1, x.dtype)]),
});

/** torch.expm1: `exp(x) - 1`, accurate near 0. */
export function expm1(x: Tensor): Tensor {
  return apply(expm1Op, [x]);
}
