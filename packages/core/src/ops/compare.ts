import type { Attrs } from "../ir/attrs";
import type { OnnxMapping } from "../ir/onnx";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp, withBoolResult } from "./elementwise";
import { sameDTypeOperands } from "./operands";
import { type BuiltinOpDef, registerBuiltinOp } from "./builtinOp";

/**
 * Comparisons give bool tensors, as PyTorch's do (a NaN compares false, but ne); they are
 * piecewise constant, so no gradient flows through them.
 */
function comparison(name: string, operator: string, onnx: OnnxMapping<Attrs>): BuiltinOpDef {
  return registerBuiltinOp({ ...withBoolResult(binaryOp(name, `a ${operator} b ? 1 : 0`, "nondifferentiable")), onnx });
}

/** The ONNX comparison of that name. */
const onnxComparison =
  (opType: string): OnnxMapping<Attrs> =>
  (b, [x, y]) =>
    b.op(opType, [x, y]);

export const eqOp = comparison("eq", "===", onnxComparison("Equal"));
export const neOp = comparison("ne", "!==", (b, [x, y]) => b.op("Not", [b.op("Equal", [x, y])]));
export const ltOp = comparison("lt", "<", onnxComparison("Less"));
export const leOp = comparison("le", "<=", onnxComparison("LessOrEqual"));
export const gtOp = comparison("gt", ">", onnxComparison("Greater"));
export const geOp = comparison("ge", ">=", onnxComparison("GreaterOrEqual"));

/** torch.eq: `a == b`, as bool. */
export const eq = (a: TensorLike, b: TensorLike): Tensor => apply(eqOp, sameDTypeOperands("eq", a, b));
/** torch.ne: `a != b`, as bool. */
export const ne = (a: TensorLike, b: TensorLike): Tensor => apply(neOp, sameDTypeOperands("ne", a, b));
/** torch.lt: `a < b`, as bool. */
export const lt = (a: TensorLike, b: TensorLike): Tensor => apply(ltOp, sameDTypeOperands("lt", a, b));
/** torch.le: `a <= b`, as bool. */
export const le = (a: TensorLike, b: TensorLike): Tensor => apply(leOp, sameDTypeOperands("le", a, b));
/** torch.gt: `a > b`, as bool. */
export const gt = (a: TensorLike, b: TensorLike): Tensor => apply(gtOp, sameDTypeOperands("gt", a, b));
/** torch.ge: `a >= b`, as bool. */
export const ge = (a: TensorLike, b: TensorLike): Tensor => apply(geOp, sameDTypeOperands("ge", a, b));
