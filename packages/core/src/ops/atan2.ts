import { apply } from "../ir/graph";
import type { OnnxBuilder, OnnxTensor, OnnxValue } from "../ir/onnx";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor, TensorLike } from "../ir/tensor";
import { add } from "./add";
import { div } from "./div";
import { floatBinaryOp } from "./elementwise";
import { mul } from "./mul";
import { neg } from "./neg";
import { floatOperands } from "./operands";
import { unbroadcast } from "./unbroadcast";

/** atan2(a, b): the angle of the point (b, a), in (-π, π]; derivatives.yaml: grad · (b, -a) / (a² + b²). */
export const atan2Op = registerBuiltinOp({
  ...floatBinaryOp("atan2", "Math.atan2(a, b)", (g, { inputs: [a, b], needs }) => {
    const scaled = div(g, add(mul(a, a), mul(b, b)));
    return [needs[0] ? unbroadcast(mul(scaled, b), a.shape) : null, needs[1] ? unbroadcast(neg(mul(scaled, a)), b.shape) : null];
  }),
  onnx: atan2Onnx,
});

/**
 * ONNX has no atan2. Its magnitude is atan(|a| / b), half a turn more where b is negative or -0;
 * where that quotient is NaN but atan2 is not, both zero gives 0 and both infinite ±1 (so 0 or π,
 * π/4 or 3π/4). The sign is a's, put on by a product: ONNX Runtime's Where returns -0 as +0.
 */
function atan2Onnx(b: OnnxBuilder, [y, x]: readonly OnnxTensor[]): OnnxValue {
  const constant = (value: number) => b.scalar(value, y.dtype);
  // v + 1/v has v's sign for every v: at ±0 and ±Infinity one of the two is the other's infinity or zero.
  const signBitSet = (v: OnnxValue) => b.op("Less", [b.op("Add", [v, b.op("Reciprocal", [v])]), constant(0)]);
  const both = (test: (v: OnnxValue) => OnnxValue) => b.op("And", [test(y), test(x)]);
  const quotient = b.op("Where", [
    both((v) => b.op("Equal", [v, constant(0)])),
    constant(0),
    b.op("Where", [both((v) => b.op("IsInf", [v])), b.op("Sign", [x]), b.op("Div", [b.op("Abs", [y]), x])]),
  ]);
  const magnitude = b.op("Add", [b.op("Atan", [quotient]), b.op("Where", [signBitSet(x), constant(Math.PI), constant(0)])]);
  return b.op("Mul", [magnitude, b.op("Where", [signBitSet(y), constant(-1), constant(1)])]);
}

/** torch.atan2: the angle of the point (b, a), in (-π, π]. */
export function atan2(a: TensorLike, b: TensorLike): Tensor {
  return apply(atan2Op, floatOperands("atan2", a, b));
}
