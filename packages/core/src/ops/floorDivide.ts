import { isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { apply } from "../ir/graph";
import type { OnnxBuilder, OnnxTensor, OnnxValue } from "../ir/onnx";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp } from "./elementwise";
import { sameDTypeOperands } from "./operands";

type Division = (a: number, b: number) => number;

/**
 * An int32 division that refuses a zero divisor at evaluation, as PyTorch's integer kernels do
 * (they raise "ZeroDivisionError"); float operands give ±Infinity or NaN instead.
 */
export function int32Division(op: string, divide: Division): Division {
  return (a, b) => {
    if (b === 0) throw new OpError(op, "ZeroDivisionError: expected nonzero int32 divisors, got 0 (float operands give ±Infinity or NaN)");
    return divide(a, b);
  };
}

/**
 * Python's float floor division, as PyTorch's floor_divide computes it (c10::div_floor_floating):
 * (a - fmod(a, b)) / b, one less where fmod's sign differs from b's, floored, and one more if
 * rounding left it more than 0.5 below; a zero keeps the sign of a / b. `round` rounds every step
 * to the dtype, so float32 results are float32 arithmetic's.
 */
function floatFloorDivision(round: (x: number) => number): Division {
  return (a, b) => {
    if (b === 0) return a / b;
    const mod = a % b;
    let quotient = round(round(a - mod) / b);
    if (mod !== 0 && b < 0 !== mod < 0) quotient = round(quotient - 1);
    if (quotient === 0) return a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
    const floor = Math.floor(quotient);
    return round(quotient - floor) > 0.5 ? round(floor + 1) : floor;
  };
}

/**
 * Floor division (PyTorch's floor_divide, Python's //): -7 // 2 is -4. An int32 quotient is exact
 * (|a| < 2^53) and wraps like int32: -2^31 // -1 is -2^31, where PyTorch's process dies of SIGFPE.
 * Piecewise constant, so no gradient flows (derivatives.yaml: non_differentiable).
 */
export const floorDivideOp = registerBuiltinOp({
  ...binaryOp(
    "floorDivide",
    {
      expr: "floorDivide(a, b)",
      helpers: { floorDivide: floatFloorDivision((x) => x) },
      float32: { expr: "floorDivide(a, b)", helpers: { floorDivide: floatFloorDivision(Math.fround) } },
      int32: { expr: "floorDivide(a, b)", helpers: { floorDivide: int32Division("floorDivide", (a, b) => Math.floor(a / b)) } },
    },
    "nondifferentiable",
  ),
  onnx: floorDivideOnnx,
});

/**
 * Floats: Floor(Div). ONNX divides integers toward zero, so an int32 quotient is one less where
 * the remainder a - q·b (exact: |q·b| <= |a|) is nonzero and its sign is not the divisor's.
 */
function floorDivideOnnx(b: OnnxBuilder, [x, y]: readonly OnnxTensor[]): OnnxValue {
  const quotient = b.op("Div", [x, y]);
  if (isFloat(x.dtype)) return b.op("Floor", [quotient]);
  const zero = b.scalar(0, x.dtype);
  const rest = b.op("Sub", [x, b.op("Mul", [quotient, y])]);
  const roundedUp = b.op("And", [b.op("Not", [b.op("Equal", [rest, zero])]), b.op("Xor", [b.op("Less", [y, zero]), b.op("Less", [rest, zero])])]);
  return b.op("Where", [roundedUp, b.op("Sub", [quotient, b.scalar(1, x.dtype)]), quotient]);
}

/** torch.floor_divide (Python's `//`): the quotient rounded down; int32 stays int32. */
export function floorDivide(a: TensorLike, b: TensorLike): Tensor {
  return apply(floorDivideOp, sameDTypeOperands("floorDivide", a, b));
}
