import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor, TensorLike } from "../ir/tensor";
import { add } from "./add";
import { div } from "./div";
import { floatBinaryOp } from "./elementwise";
import { exp } from "./exp";
import { floatOperands } from "./operands";
import { sub } from "./sub";
import { unbroadcast } from "./unbroadcast";

/**
 * log(e^a + e^b) without overflow: max(a, b) + log1p(e^-|a - b|); equal infinities give that
 * infinity (their difference would be NaN), as PyTorch's. derivatives.yaml: grad / (1 + e^(b - a)).
 */
function scalarLogAddExp(a: number, b: number): number {
  if (a === b && !Number.isFinite(a)) return a;
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}

export const logAddExpOp = registerBuiltinOp({
  ...floatBinaryOp("logAddExp", { expr: "logAddExp(a, b)", helpers: { logAddExp: scalarLogAddExp } }, (g, { inputs: [a, b], needs }) => [
    needs[0] ? unbroadcast(div(g, add(exp(sub(b, a)), 1)), a.shape) : null,
    needs[1] ? unbroadcast(div(g, add(exp(sub(a, b)), 1)), b.shape) : null,
  ]),
  onnx: (b, [x, y]) => {
    const gap = b.op("Neg", [b.op("Abs", [b.op("Sub", [x, y])])]);
    return b.op("Add", [b.op("Max", [x, y]), b.op("Log", [b.op("Add", [b.op("Exp", [gap]), b.scalar(1, x.dtype)])])]);
  },
});

/** torch.logaddexp: `log(exp(a) + exp(b))` without overflow. */
export function logAddExp(a: TensorLike, b: TensorLike): Tensor {
  return apply(logAddExpOp, floatOperands("logAddExp", a, b));
}
