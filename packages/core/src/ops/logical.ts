import { noAttributes } from "../ir/attrs";
import { apply } from "../ir/graph";
import { type BuiltinOpDef, registerBuiltinOp } from "./builtinOp";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp, withBoolResult } from "./elementwise";
import { sameDTypeOperands } from "./operands";
import { elementwiseKernel } from "./ruleKernels";

/**
 * Logical and, or, xor and not of tensors of any dtype: nonzero (NaN included) is true, as in
 * PyTorch; the result is bool, and no gradient flows.
 */
function logical(name: string, test: string, onnxOpType: string): BuiltinOpDef {
  return registerBuiltinOp({
    ...withBoolResult(binaryOp(name, `${test} ? 1 : 0`, "nondifferentiable")),
    onnx: (b, [x, y]) => b.op(onnxOpType, [b.cast(x, "bool"), b.cast(y, "bool")]),
  });
}

export const logicalAndOp = logical("logicalAnd", "a !== 0 && b !== 0", "And");
export const logicalOrOp = logical("logicalOr", "a !== 0 || b !== 0", "Or");
export const logicalXorOp = logical("logicalXor", "(a !== 0) !== (b !== 0)", "Xor");

const notRule = { expr: "a === 0 ? 1 : 0" };
export const logicalNotOp = registerBuiltinOp({
  name: "logicalNot",
  arity: 1,
  canonicalize: noAttributes("logicalNot"),
  infer: ([x]) => ({ shape: x.shape, dtype: "bool" }),
  kernel: elementwiseKernel(notRule),
  vjp: "nondifferentiable",
  elementwise: notRule,
  onnx: (b, [x]) => b.op("Not", [b.cast(x, "bool")]),
});

/** torch.logical_and: both nonzero, as bool. */
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => apply(logicalAndOp, sameDTypeOperands("logicalAnd", a, b));
/** torch.logical_or: either nonzero, as bool. */
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => apply(logicalOrOp, sameDTypeOperands("logicalOr", a, b));
/** torch.logical_xor: exactly one nonzero, as bool. */
export const logicalXor = (a: TensorLike, b: TensorLike): Tensor => apply(logicalXorOp, sameDTypeOperands("logicalXor", a, b));
/** torch.logical_not: zero, as bool. */
export const logicalNot = (x: Tensor): Tensor => apply(logicalNotOp, [x]);

