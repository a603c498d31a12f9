import { OpError } from "../basics/errors";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor, TensorLike } from "../ir/tensor";
import { cast } from "./cast";
import { ge, gt, le, lt } from "./compare";
import { unaryOp } from "./elementwise";
import { where } from "./where";

/**
 * x clamped to [min, max] (min > max gives max everywhere, NaN stays NaN, as PyTorch). The gradient
 * flows inside and at the bounds (PyTorch's clamp_backward: `min <= x <= max`); a NaN input gets none.
 */
const clampDef = unaryOp<{ readonly min: number; readonly max: number }>(
  "clamp",
  "a < min ? (min > max ? max : min) : a > max ? max : a",
  (g, { inputs: [x], attrs: { min, max } }) => [where(ge(x, min), where(le(x, max), g, 0), 0)],
  { min: -Infinity, max: Infinity },
);

/** Float tensors, and int32 ones with integer bounds (what PyTorch keeps int32; clamp() casts for other bounds). */
export const clampOp = registerBuiltinOp({
  ...clampDef,
  infer(inputs, attrs) {
    const [x] = inputs;
    if (x.dtype !== "int32") return clampDef.infer(inputs, attrs);
    for (const bound of [attrs.min, attrs.max]) {
      if (!Number.isInteger(bound) && Math.abs(bound) !== Infinity) throw new OpError("clamp", `an int32 tensor takes integer bounds, got ${bound}`);
    }
    return x;
  },
  onnx: (b, [x], { min, max }) => b.op("Clip", [x, Number.isFinite(min) ? b.scalar(min, x.dtype) : null, Number.isFinite(max) ? b.scalar(max, x.dtype) : null]),
});

/**
 * clamp(x, min, max) with number bounds (either may be undefined, not both, as PyTorch). Tensor
 * bounds broadcast and take the gradient where they win, with x keeping it at the bounds.
 */
export function clamp(x: Tensor, min?: TensorLike, max?: TensorLike): Tensor {
  if (min === undefined && max === undefined) throw new OpError("clamp", "at least one of 'min' or 'max' must be given");
  if ((min === undefined || typeof min === "number") && (max === undefined || typeof max === "number")) {
    // An int32 tensor with a fractional bound promotes to float32, as PyTorch's result_type does.
    const fractional = [min, max].some((bound) => bound !== undefined && !Number.isInteger(bound) && Math.abs(bound) !== Infinity);
    const input = x.dtype === "int32" && fractional ? cast(x, "float32") : x;
    return apply(clampOp, [input], { min: min ?? -Infinity, max: max ?? Infinity });
  }
  const low = min === undefined ? x : where(lt(x, min), min, x);
  return max === undefined ? low : where(gt(low, max), max, low);
}
