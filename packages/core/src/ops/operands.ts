import { type DType, isFloat, promote } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { scalarNode } from "../ir/graph";
import { Tensor, type TensorLike } from "../ir/tensor";
import { cast } from "./cast";

/** A JS number joins a tensor expression as a scalar of the tensor's dtype (PyTorch: Python scalars don't promote). */
export function asTensor(op: string, x: TensorLike, dtype: DType): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== "number") throw new OpError(op, `expected a Tensor or a number, got ${x === null ? "null" : typeof x}`);
  // With a bool tensor an integer is int32 and any other number float32 (PyTorch: int64, float32).
  if (dtype === "bool") return scalarNode(x, Number.isInteger(x) ? "int32" : "float32");
  return scalarNode(x, Number.isInteger(x) || isFloat(dtype) ? dtype : "float32");
}

/**
 * Both operands as tensors of one dtype, promoting float32 to float64 as PyTorch does. Two numbers
 * are int32 when both are integers (PyTorch's default integer dtype, int64, is int32 here), else float32.
 */
export function sameDTypeOperands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    const dtype = Number.isInteger(a) && Number.isInteger(b) ? "int32" : "float32";
    return [asTensor(op, a, dtype), asTensor(op, b, dtype)];
  }
  const like = a instanceof Tensor ? a.dtype : (b as Tensor).dtype;
  let ta = asTensor(op, a, like);
  let tb = asTensor(op, b, like);
  const dtype = promote(ta.dtype, tb.dtype);
  if (ta.dtype !== dtype) ta = cast(ta, dtype);
  if (tb.dtype !== dtype) tb = cast(tb, dtype);
  return [ta, tb];
}

/** Both operands in one float dtype: int32 ones become float32, as PyTorch's float-valued ops (atan2, hypot) promote them. */
export function floatOperands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const operands = sameDTypeOperands(op, a, b);
  return isFloat(operands[0].dtype) ? operands : [cast(operands[0], "float32"), cast(operands[1], "float32")];
}
