import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { neg } from "./neg";
import { sigmoid } from "./sigmoid";

/** log(sigmoid(x)), computed without overflow for large |x|. */
export const logSigmoidOp = registerBuiltinOp({
  ...unaryOp("logSigmoid", "Math.min(a, 0) - Math.log1p(Math.exp(-Math.abs(a)))", (g, { inputs: [x] }) => [mul(g, sigmoid(neg(x)))]),
  onnx: (b, [x]) => b.op("Neg", [b.op("Softplus", [b.op("Neg", [x])])]),
});

/** torch.nn.functional.logsigmoid: `log(sigmoid(x))`, without overflow. */
export function logSigmoid(x: Tensor): Tensor {
  return apply(logSigmoidOp, [x]);
}
