import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

/** 1 / sqrt(x); derivatives.yaml: -0.5 · grad · result³. */
export const rsqrtOp = registerBuiltinOp({
  ...unaryOp("rsqrt", "1 / Math.sqrt(a)", (g, { output }) => [mul(mul(g, -0.5), mul(output, mul(output, output)))]),
  onnx: (b, [x]) => b.op("Reciprocal", [b.op("Sqrt", [x])]),
});

/** torch.rsqrt: `1 / sqrt(x)`. */
export function rsqrt(x: Tensor): Tensor {
  return apply(rsqrtOp, [x]);
}
