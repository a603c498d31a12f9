import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { scatterAddAlongDims } from "../kernels/dimMaps";
import { checkPads, pad, padMaps, type PadMode, paddedShape, readMode, readPads } from "./pad";

type PadBackwardAttrs = { readonly pads: readonly number[]; readonly mode: Exclude<PadMode, "constant"> };

/**
 * The gradient of reflect, replicate and circular padding: each element of `g` added to the input
 * element it is a copy of (constant padding's gradient is a crop, another pad).
 */
export const padBackwardOp = registerOp<PadBackwardAttrs>({
  name: "padBackward",
  arity: 1,
  canonicalize([g], attrs) {
    checkAttrNames("padBackward", attrs, ["pads", "mode"]);
    const mode = readMode("padBackward", attrs, ["reflect", "replicate", "circular"]) as PadBackwardAttrs["mode"];
    const pads = readPads("padBackward", attrs, g.shape.length);
    const shape = paddedShape(g.shape, pads, -1);
    if (shape.some((d) => d < 0)) throw new OpError("padBackward", `gradient ${formatShape(g.shape)} is smaller than the padding ${formatShape(pads)}`);
    checkPads("padBackward", shape, pads, mode);
    return { pads, mode };
  },
  infer: ([g], { pads }) => ({ shape: paddedShape(g.shape, pads, -1), dtype: g.dtype }),
  kernel: ([g], { pads, mode }, out) => scatterAddAlongDims(g.data, g.shape, padMaps(out.shape, pads, mode), out.shape, out.dtype),
  vjp: (gg, { attrs: { pads, mode } }) => [pad(gg, pads, mode)],
});

/** The gradient of `pad`: the border's gradient folded back onto the elements it was copied from. */
export function padBackward(g: Tensor, pads: readonly number[], mode: PadBackwardAttrs["mode"]): Tensor {
  return apply(padBackwardOp, [g], { pads, mode });
}
