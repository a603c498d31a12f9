import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { neg } from "./neg";

/** 1 / x; derivatives.yaml: -grad · result². */
export const reciprocalOp = registerBuiltinOp({
  ...unaryOp("reciprocal", "1 / a", (g, { output }) => [neg(mul(g, mul(output, output)))]),
  onnx: (b, [x]) => b.op("Reciprocal", [x]),
});

/** torch.reciprocal: `1 / x`. */
export function reciprocal(x: Tensor): Tensor {
  return apply(reciprocalOp, [x]);
}
