import { apply } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";
import { registerBuiltinOp } from "./builtinOp";

// sign has zero derivative wherever it has one; NaN stays NaN.
export const signOp = registerBuiltinOp({
  ...unaryOp("sign", "a > 0 ? 1 : a < 0 ? -1 : a", "nondifferentiable"),
  onnx: (b, [x]) => b.op("Sign", [x]),
});

/** torch.sign: -1, 0 or 1 by each element's sign. */
export function sign(x: Tensor): Tensor {
  return apply(signOp, [x]);
}
