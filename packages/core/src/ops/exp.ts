import { apply } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { mul } from "./mul";
import { unaryOp } from "./elementwise";
import { registerOp } from "../ir/registry";

export const expOp = registerOp({
  ...unaryOp("exp", "Math.exp(a)", (g, { output }) => [mul(g, output)]),
  onnx: (b, [x]) => b.op("Exp", [x]),
});

/** torch.exp: e to the power of each element. */
export function exp(x: Tensor): Tensor {
  return apply(expOp, [x]);
}
