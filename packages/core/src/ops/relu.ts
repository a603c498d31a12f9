import { apply } from "../ir/graph";
import type { Tensor } from "../tensor";
import { gt } from "./compare";
import { mul } from "./mul";
import { unaryOp } from "./elementwise";
import { registerOp } from "./registry";

// relu'(0) = 0, as in PyTorch; NaN passes through.
export const reluOp = registerOp(unaryOp("relu", "a <= 0 ? 0 : a", (g, { inputs: [x] }) => [mul(g, gt(x, 0))]));

export function relu(x: Tensor): Tensor {
  return apply(reluOp, [x]);
}
