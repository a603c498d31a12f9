import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import type { OnnxBuilder, OnnxTensor, OnnxValue } from "../ir/onnx";
import { type TensorMeta } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { scatterAddAlongDims } from "../kernels/dimMaps";
import { checkPads, pad, padMaps, type PadMode, paddedShape, readMode, readPads } from "./pad";

type PadBackwardAttrs = { readonly pads: readonly number[]; readonly mode: Exclude<PadMode, "constant"> };

/**
 * A stretch `[from, to)` of padded indices along a dim that reads input indices going up by one,
 * down by one (a reflection) or staying (a replicated edge). Reflect, replicate and circular maps
 * are at most three of them, so the gradient is a few Slices put back in place.
 */
interface CopyRun {
  readonly from: number;
  readonly to: number;
  readonly step: 1 | -1 | 0;
}

function copyRuns(map: Int32Array): CopyRun[] {
  const runs: CopyRun[] = [];
  for (let from = 0; from < map.length; ) {
    const next = from + 1 < map.length ? map[from + 1] - map[from] : 1;
    // A jump (circular's wrap) ends the run at one element.
    const step = next === -1 || next === 0 ? next : 1;
    let to = from + 1;
    while (to < map.length && map[to] - map[to - 1] === step) to++;
    runs.push({ from, to, step });
    from = to;
  }
  return runs;
}

/**
 * ONNX has no scatter-add along a dim map, and the gather is separable: per padded dim, each
 * run of the gradient is sliced (reversed for a reflection, summed for a replicated edge), padded
 * with zeros into the input positions it was copied from, and the runs added.
 */
function padBackwardOnnx(b: OnnxBuilder, [g]: readonly OnnxTensor[], { pads, mode }: PadBackwardAttrs, out: TensorMeta): OnnxValue {
  const rank = g.shape.length;
  const maps = padMaps(out.shape, pads, mode);
  let folded: OnnxValue = g;
  maps.forEach((map, dim) => {
    if (map === undefined) return;
    const size = out.shape[dim];
    const source = folded;
    const along = (start: number, end: number, step = 1) => b.op("Slice", [source, b.int64s([start]), b.int64s([end]), b.int64s([dim]), b.int64s([step])]);
    const placed = (piece: OnnxValue, lo: number, hi: number) => {
      if (lo === 0 && hi === size) return piece;
      const amounts = Array<number>(2 * rank).fill(0);
      [amounts[dim], amounts[rank + dim]] = [lo, size - hi];
      return b.op("Pad", [piece, b.int64s(amounts)]);
    };
    // Cropped to nothing, no element was copied: the empty gradient padded to zeros.
    if (map.length === 0) {
      folded = placed(source, 0, 0);
      return;
    }
    const pieces = copyRuns(map).map(({ from, to, step }) => {
      const whole = from === 0 && to === map.length;
      if (step === 1) return placed(whole ? source : along(from, to), map[from], map[from] + to - from);
      // From the run's last element down past its first (an end below -size means "before index 0").
      if (step === -1) return placed(along(to - 1, from === 0 ? Number.MIN_SAFE_INTEGER : from - 1, -1), map[to - 1], map[from] + 1);
      const edge = b.op("ReduceSum", [whole ? source : along(from, to), b.int64s([dim])], { keepdims: 1 });
      return placed(edge, map[from], map[from] + 1);
    });
    folded = pieces.reduce((total, piece) => b.op("Add", [total, piece]));
  });
  // With nothing padded the output is the gradient, as a node of its own.
  return folded === g ? b.op("Identity", [g]) : folded;
}

/**
 * The gradient of reflect, replicate and circular padding: each element of `g` added to the input
 * element it is a copy of (constant padding's gradient is a crop, another pad).
 */
export const padBackwardOp = registerBuiltinOp<PadBackwardAttrs>({
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
  jvp: "linear",
  // The pads count from the last dim, so the batch in front is left alone.
  batch: ({ inputs: [g], node, rebuild }) => rebuild([g], node.attrs),
  onnx: padBackwardOnnx,
});

/** The gradient of `pad`: the border's gradient folded back onto the elements it was copied from. */
export function padBackward(g: Tensor, pads: readonly number[], mode: PadBackwardAttrs["mode"]): Tensor {
  return apply(padBackwardOp, [g], { pads, mode });
}
