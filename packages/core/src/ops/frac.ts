import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { truncOnnx } from "./trunc";

/** x - trunc(x): the fractional part, with x's sign. */
export const fracOp = registerBuiltinOp({
  ...unaryOp("frac", "a - Math.trunc(a)", (g) => [g]),
  onnx: (b, [x]) => b.op("Sub", [x, truncOnnx(b, [x])]),
});

/** torch.frac: `x - trunc(x)`, the fractional part with x's sign. */
export function frac(x: Tensor): Tensor {
  return apply(fracOp, [x]);
}
