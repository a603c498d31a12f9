import { unbroadcast } from "./unbroadcast";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import type { Attrs } from "../ir/attrs";
import { eq, gt, lt } from "./compare";
import { binaryOp } from "./elementwise";
import { mul } from "./mul";
import { sameDTypeOperands } from "./operands";
import { type Vjp } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import { where } from "./where";

/**
 * derivatives.yaml: an operand gets the gradient except where it loses, halved where the operands
 * tie. Only a comparison that holds loses, so with a NaN operand both get the whole gradient.
 */
function extremumVjp(loses: (x: Tensor, y: Tensor) => Tensor): Vjp<Attrs> {
  return (g, { inputs: [a, b], needs }) => {
    const shared = where(eq(a, b), mul(g, 0.5), g);
    return [
      needs[0] ? unbroadcast(where(loses(a, b), 0, shared), a.shape) : null,
      needs[1] ? unbroadcast(where(loses(b, a), 0, shared), b.shape) : null,
    ];
  };
}

// NaN wins, as in PyTorch's maximum/minimum.
export const maximumOp = registerBuiltinOp({
  ...binaryOp("maximum", "(a > b || a !== a) ? a : b", extremumVjp(lt)),
  onnx: (b, [x, y]) => b.op("Max", [x, y]),
});

export const minimumOp = registerBuiltinOp({
  ...binaryOp("minimum", "(a < b || a !== a) ? a : b", extremumVjp(gt)),
  onnx: (b, [x, y]) => b.op("Min", [x, y]),
});

/** torch.maximum: the elementwise larger (NaN if either is NaN). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return apply(maximumOp, sameDTypeOperands("maximum", a, b));
}

/** torch.minimum: the elementwise smaller (NaN if either is NaN). */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return apply(minimumOp, sameDTypeOperands("minimum", a, b));
}
