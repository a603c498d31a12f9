import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor, TensorLike } from "../ir/tensor";
import { eq } from "./compare";
import { div } from "./div";
import { floatBinaryOp } from "./elementwise";
import { mul } from "./mul";
import { floatOperands } from "./operands";
import { unbroadcast } from "./unbroadcast";
import { where } from "./where";

/**
 * |a| with the sign of b, -0 included (b = -0 gives a negative result, as C's copysign). A NaN b
 * counts as positive: JS cannot read a NaN's sign bit, and the NaNs PyTorch makes are positive.
 * derivatives.yaml: a's gradient is grad · result / a (0 where a = 0); b gets none.
 */
export const copysignOp = registerBuiltinOp({
  ...floatBinaryOp("copysign", "b < 0 || (b === 0 && 1 / b < 0) ? -Math.abs(a) : Math.abs(a)", (g, { inputs: [a], output, needs }) => [
    needs[0] ? unbroadcast(mul(g, where(eq(a, 0), 0, div(output, a))), a.shape) : null,
    null,
  ]),
  onnx: (b, [x, y]) => {
    // 1 / y is negative for y < 0 and for -0 too.
    const negative = b.op("Less", [b.op("Reciprocal", [y]), b.scalar(0, y.dtype)]);
    const magnitude = b.op("Abs", [x]);
    return b.op("Where", [negative, b.op("Neg", [magnitude]), magnitude]);
  },
});

/** torch.copysign: `|a|` with the sign of `b`. */
export function copysign(a: TensorLike, b: TensorLike): Tensor {
  return apply(copysignOp, floatOperands("copysign", a, b));
}
