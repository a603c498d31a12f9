import { unbroadcast } from "./unbroadcast";
import { apply } from "../ir/graph";
import type { Tensor, TensorLike } from "../ir/tensor";
import { binaryOp } from "./elementwise";
import { sameDTypeOperands } from "./operands";
import { registerBuiltinOp } from "./builtinOp";

export const addOp = registerBuiltinOp({
  ...binaryOp("add", { expr: "a + b", addition: true }, (g, { inputs: [a, b] }) => [unbroadcast(g, a.shape), unbroadcast(g, b.shape)]),
  onnx: (b, [x, y], _attrs, out) => b.op(out.dtype === "bool" ? "Or" : "Add", [x, y]),
});

/** torch.add: `a + b`, broadcast and promoted as in PyTorch. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return apply(addOp, sameDTypeOperands("add", a, b));
}
