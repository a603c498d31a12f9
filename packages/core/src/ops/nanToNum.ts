import type { OnnxValue } from "../ir/onnx";
import { checkAttrNames, numberAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { isfinite } from "./isfinite";
import { mul } from "./mul";
import { unaryOp } from "./elementwise";
import { cast } from "./cast";

type Replacements = { readonly nan: number; readonly posinf: number; readonly neginf: number };

/** The largest finite value of each float dtype: PyTorch's default replacement for ±Infinity. */
const largest = { float32: 3.4028234663852886e38, float64: Number.MAX_VALUE } as const;

const replacing = unaryOp<Replacements>(
  "nanToNum",
  "a !== a ? nan : a === Infinity ? posinf : a === -Infinity ? neginf : a",
  // derivatives.yaml: grad · isfinite(x); replaced values are constants.
  (g, { inputs: [x] }) => [mul(g, cast(isfinite(x), g.dtype))],
  { nan: 0, posinf: 0, neginf: 0 },
);

/** NaN → nan (0), +Infinity → posinf, -Infinity → neginf (the dtype's largest finite values by default). */
export const nanToNumOp = registerBuiltinOp<Replacements>({
  ...replacing,
  canonicalize([x], attrs) {
    checkAttrNames("nanToNum", attrs, ["nan", "posinf", "neginf"]);
    const max = x.dtype === "float32" ? largest.float32 : largest.float64;
    return {
      nan: numberAttr("nanToNum", attrs, "nan", 0),
      posinf: numberAttr("nanToNum", attrs, "posinf", max),
      neginf: numberAttr("nanToNum", attrs, "neginf", -max),
    };
  },
  onnx: (b, [x], { nan, posinf, neginf }) => {
    const replace = (test: OnnxValue, value: number, rest: OnnxValue) => b.op("Where", [test, b.scalar(value, x.dtype), rest]);
    const infinities = replace(b.op("IsInf", [x], { detect_negative: 0 }), posinf, replace(b.op("IsInf", [x], { detect_positive: 0 }), neginf, x));
    return replace(b.op("IsNaN", [x]), nan, infinities);
  },
});

/**
 * torch.nan_to_num: NaN as `nan`, ±Infinity as `posinf` / `neginf` (the dtype's largest finite values by
 * default).
 */
export function nanToNum(x: Tensor, nan = 0, posinf?: number, neginf?: number): Tensor {
  return apply(nanToNumOp, [x], { nan, ...(posinf === undefined ? {} : { posinf }), ...(neginf === undefined ? {} : { neginf }) });
}
