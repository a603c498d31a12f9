import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { rsqrt } from "./rsqrt";
import { sub } from "./sub";

/** derivatives.yaml: grad · rsqrt(1 - x²) (±Infinity at ±1, as PyTorch). */
export const asinOp = registerBuiltinOp({
  ...unaryOp("asin", "Math.asin(a)", (g, { inputs: [x] }) => [mul(g, rsqrt(sub(1, mul(x, x))))]),
  onnx: (b, [x]) => b.op("Asin", [x]),
});

/** torch.asin: the arcsine of each element. */
export function asin(x: Tensor): Tensor {
  return apply(asinOp, [x]);
}
