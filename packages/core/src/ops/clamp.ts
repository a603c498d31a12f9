import { OpError } from "../basics/errors";
import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor, TensorLike } from "../ir/tensor";
import { ge, gt, le, lt } from "./compare";
import { unaryOp } from "./elementwise";
import { where } from "./where";

/**
 * x clamped to [min, max] (min > max gives max everywhere, NaN stays NaN, as PyTorch). The gradient
 * flows inside and at the bounds (PyTorch's clamp_backward: `min <= x <= max`); a NaN input gets none.
 */
export const clampOp = registerOp(
  unaryOp<{ readonly min: number; readonly max: number }>(
    "clamp",
    "a < min ? (min > max ? max : min) : a > max ? max : a",
    (g, { inputs: [x], attrs: { min, max } }) => [where(ge(x, min), where(le(x, max), g, 0), 0)],
    { min: -Infinity, max: Infinity },
  ),
);

/**
 * clamp(x, min, max) with number bounds (either may be undefined, not both, as PyTorch). Tensor
 * bounds broadcast and take the gradient where they win, with x keeping it at the bounds.
 */
export function clamp(x: Tensor, min?: TensorLike, max?: TensorLike): Tensor {
  if (min === undefined && max === undefined) throw new OpError("clamp", "at least one of 'min' or 'max' must be given");
  if ((min === undefined || typeof min === "number") && (max === undefined || typeof max === "number")) {
    return apply(clampOp, [x], { min: min ?? -Infinity, max: max ?? Infinity });
  }
  const low = min === undefined ? x : where(lt(x, min), min, x);
  return max === undefined ? low : where(gt(low, max), max, low);
}
