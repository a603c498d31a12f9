import { isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { broadcastShapes, formatShape } from "../basics/shape";
import { noAttributes } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor, TensorLike } from "../ir/tensor";
import { checkSameDType } from "./elementwise";
import { mul } from "./mul";
import { asTensor } from "./operands";
import { sub } from "./sub";
import { unbroadcast } from "./unbroadcast";
import { elementwiseKernel } from "./ruleKernels";

/** PyTorch's two-sided formula: exact at weight 0 (start) and at weight 1 (end). */
const rule = { expr: "c < 0.5 ? a + c * (b - a) : b - (b - a) * (1 - c)" };

/** lerp(start, end, weight) = start + weight · (end - start); all three broadcast together. */
export const lerpOp = registerBuiltinOp({
  name: "lerp",
  arity: 3,
  canonicalize: noAttributes("lerp"),
  infer(inputs) {
    const [start, end, weight] = inputs;
    if (!isFloat(start.dtype)) throw new OpError("lerp", `expected float tensors, got ${start.dtype} ${formatShape(start.shape)}`);
    checkSameDType("lerp", inputs);
    return { shape: broadcastShapes("lerp", broadcastShapes("lerp", start.shape, end.shape), weight.shape), dtype: start.dtype };
  },
  kernel: elementwiseKernel(rule),
  vjp: (g, { inputs: [start, end, weight], needs }) => [
    needs[0] ? unbroadcast(mul(g, sub(1, weight)), start.shape) : null,
    needs[1] ? unbroadcast(mul(g, weight), end.shape) : null,
    needs[2] ? unbroadcast(mul(g, sub(end, start)), weight.shape) : null,
  ],
  elementwise: rule,
  onnx: (b, [start, end, weight]) => {
    const span = b.op("Sub", [end, start]);
    const fromStart = b.op("Add", [start, b.op("Mul", [weight, span])]);
    const fromEnd = b.op("Sub", [end, b.op("Mul", [span, b.op("Sub", [b.scalar(1, weight.dtype), weight])])]);
    return b.op("Where", [b.op("Less", [weight, b.scalar(0.5, weight.dtype)]), fromStart, fromEnd]);
  },
});

/** The weight may be a number or a tensor of the same dtype. */
export function lerp(start: Tensor, end: Tensor, weight: TensorLike): Tensor {
  return apply(lerpOp, [start, end, asTensor("lerp", weight, start.dtype)]);
}
