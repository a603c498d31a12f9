import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp, withBoolResult } from "./elementwise";
import { sameDTypeOperands } from "./operands";
import { type OpDef, registerOp } from "../ir/registry";

/**
 * Comparisons give bool tensors, as PyTorch's do (a NaN compares false, but ne); they are
 * piecewise constant, so no gradient flows through them.
 */
function comparison(name: string, operator: string): OpDef {
  return registerOp(withBoolResult(binaryOp(name, `a ${operator} b ? 1 : 0`, "nondifferentiable")));
}

export const eqOp = comparison("eq", "===");
export const neOp = comparison("ne", "!==");
export const ltOp = comparison("lt", "<");
export const leOp = comparison("le", "<=");
export const gtOp = comparison("gt", ">");
export const geOp = comparison("ge", ">=");

export const eq = (a: TensorLike, b: TensorLike): Tensor => apply(eqOp, sameDTypeOperands("eq", a, b));
export const ne = (a: TensorLike, b: TensorLike): Tensor => apply(neOp, sameDTypeOperands("ne", a, b));
export const lt = (a: TensorLike, b: TensorLike): Tensor => apply(ltOp, sameDTypeOperands("lt", a, b));
export const le = (a: TensorLike, b: TensorLike): Tensor => apply(leOp, sameDTypeOperands("le", a, b));
export const gt = (a: TensorLike, b: TensorLike): Tensor => apply(gtOp, sameDTypeOperands("gt", a, b));
export const ge = (a: TensorLike, b: TensorLike): Tensor => apply(geOp, sameDTypeOperands("ge", a, b));
