import { apply } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { le } from "./compare";
import { unaryOp } from "./elementwise";
import { registerBuiltinOp } from "./builtinOp";
import { where } from "./where";

// As PyTorch's threshold_backward: the gradient is dropped where the output is <= 0, so relu'(0) = 0
// and a NaN input passes its gradient through.
export const reluOp = registerBuiltinOp({
  ...unaryOp("relu", "a <= 0 ? 0 : a", (g, { output }) => [where(le(output, 0), 0, g)]),
  onnx: (b, [x]) => b.op("Relu", [x]),
});

/** torch.relu: `max(x, 0)`. */
export function relu(x: Tensor): Tensor {
  return apply(reluOp, [x]);
}
