import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** Math.round rounds halves up; a half that went to an odd integer goes back down to the even one. */
function roundHalfEven(x: number): number {
  const rounded = Math.round(x);
  return rounded - x === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** Rounds half to even, as PyTorch (and C's nearbyint) do: round(2.5) is 2, round(-0.5) is -0. The gradient is zero. */
export const roundOp = registerBuiltinOp({
  ...unaryOp("round", { expr: "roundHalfEven(a)", helpers: { roundHalfEven } }, () => [null]),
  onnx: (b, [x]) => b.op("Round", [x]),
});

/** torch.round: to the nearest integer, halves to even. */
export function round(x: Tensor): Tensor {
  return apply(roundOp, [x]);
}
