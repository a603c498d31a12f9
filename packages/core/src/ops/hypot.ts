import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor, TensorLike } from "../ir/tensor";
import { div } from "./div";
import { floatBinaryOp } from "./elementwise";
import { mul } from "./mul";
import { floatOperands } from "./operands";
import { unbroadcast } from "./unbroadcast";

/**
 * sqrt(a² + b²) without overflow or underflow in the squares (Math.hypot scales first), for
 * operands of any sign; derivatives.yaml: grad · a / result and grad · b / result.
 */
export const hypotOp = registerBuiltinOp({
  ...floatBinaryOp("hypot", "Math.hypot(a, b)", (g, { inputs: [a, b], output, needs }) => {
    const scaled = div(g, output);
    return [needs[0] ? unbroadcast(mul(scaled, a), a.shape) : null, needs[1] ? unbroadcast(mul(scaled, b), b.shape) : null];
  }),
  onnx: (b, [x, y]) => b.op("Sqrt", [b.op("Add", [b.op("Mul", [x, x]), b.op("Mul", [y, y])])]),
});

/** torch.hypot: `sqrt(a² + b²)` without overflow. */
export function hypot(a: TensorLike, b: TensorLike): Tensor {
  return apply(hypotOp, floatOperands("hypot", a, b));
}
