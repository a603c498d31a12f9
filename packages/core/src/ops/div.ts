import { unbroadcast } from "./unbroadcast";
import { isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { cast } from "./cast";
import { binaryOp } from "./elementwise";
import { mul } from "./mul";
import { neg } from "./neg";
import { sameDTypeOperands } from "./operands";
import { registerBuiltinOp } from "./builtinOp";

// d(a/b)/db = -a/b² = -(a/b)/b: reusing the output saves a multiply and matches PyTorch's formula.
const division = binaryOp("div", "a / b", (g, { inputs: [a, b], output, needs }) => [
  needs[0] ? unbroadcast(div(g, b), a.shape) : null,
  needs[1] ? unbroadcast(neg(div(mul(g, output), b)), b.shape) : null,
]);

/** True division of float tensors; `div()` brings int32 operands to float32 first, as PyTorch does. */
export const divOp = registerBuiltinOp({
  ...division,
  infer(inputs, attrs) {
    const [a, b] = inputs;
    if (!isFloat(a.dtype)) {
      throw new OpError(
        "div",
        `expected float tensors (true division of int32 or bool gives float32: div() casts them; floorDivide() keeps int32), got ${a.dtype} ${formatShape(a.shape)} and ${b.dtype} ${formatShape(b.shape)}`,
      );
    }
    return division.infer(inputs, attrs);
  },
  onnx: (b, [x, y]) => b.op("Div", [x, y]),
});

/** a / b; int32 operands are divided as float32, so 7 / 2 is 3.5 and 1 / 0 is Infinity (PyTorch's true division). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const operands = sameDTypeOperands("div", a, b);
  return apply(divOp, isFloat(operands[0].dtype) ? operands : operands.map((x) => cast(x, "float32")));
}
