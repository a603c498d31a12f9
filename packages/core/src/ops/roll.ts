import type { OnnxValue } from "../ir/onnx";
import { OpError } from "../basics/errors";
import { normalizeDim } from "../basics/shape";
import { checkAttrNames, integerListAttr } from "../ir/attrs";
import { applyCanonical, canonicalAttrs } from "../ir/graph";
import { type BuiltinOpDef, registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { gatherAlongDims } from "../kernels/dimMaps";
import { dimsAfterBatch } from "./batching";
import { reshape } from "./reshape";

/**
 * Canonically one shift per rolled dim, in [1, size): dims sorted, a dim given twice rolled by
 * the sum (as PyTorch rolls it twice), shifts taken modulo the size and the zero ones dropped.
 */
type RollAttrs = { readonly shifts: readonly number[]; readonly dims: readonly number[] };

/** Output index i along a dim of `size` rolled by `shift` reads input index i - shift (mod size). */
const rolled = (size: number, shift: number) => Int32Array.from({ length: size }, (_, i) => (i - shift + size) % size);

/** torch.roll with dims: elements shifted along each dim, those pushed past the end coming back at the start. */
export const rollOp: BuiltinOpDef<RollAttrs> = registerBuiltinOp<RollAttrs>({
  name: "roll",
  arity: 1,
  canonicalize([x], attrs) {
    checkAttrNames("roll", attrs, ["shifts", "dims"]);
    const shifts = integerListAttr("roll", attrs, "shifts");
    const dims = integerListAttr("roll", attrs, "dims").map((d) => normalizeDim("roll", d, x.shape.length));
    if (shifts.length !== dims.length) throw new OpError("roll", `shifts and dimensions must align. shifts: ${shifts.length}, dims:${dims.length}`);
    const total = new Map<number, number>();
    dims.forEach((d, i) => total.set(d, (total.get(d) ?? 0) + shifts[i]));
    // A 0-d tensor (whose dim 0 PyTorch's wrapping accepts) has nothing to roll.
    const size = (d: number) => x.shape[d] ?? 0;
    const turn = (d: number) => ((total.get(d)! % size(d)) + size(d)) % size(d);
    const rolledDims = [...total.keys()].filter((d) => size(d) > 0 && turn(d) !== 0).sort((a, b) => a - b);
    return { shifts: rolledDims.map(turn), dims: rolledDims };
  },
  infer: ([x]) => x,
  kernel([x], { shifts, dims }, out) {
    const maps = x.shape.map((size, d) => (dims.includes(d) ? rolled(size, shifts[dims.indexOf(d)]) : undefined));
    return gatherAlongDims(x.data, x.shape, maps, x.shape, out.dtype);
  },
  // Rolled back by the rest of each turn, which is canonical too.
  vjp: (g, { inputs: [x], attrs: { shifts, dims } }) => [applyCanonical(rollOp, [g], { shifts: shifts.map((s, i) => x.shape[dims[i]] - s), dims })],
  jvp: "linear",
  // Sorted dims stay sorted one up, and each shift stays within its dim's size.
  batch: ({ inputs: [x], node: { attrs }, rebuild }) => rebuild([x], { shifts: attrs.shifts, dims: dimsAfterBatch(attrs.dims) }),
  onnx: (b, [x], { shifts, dims }) =>
    dims.reduce<OnnxValue>((rolled, dim, i) => {
      const size = x.shape[dim];
      const shift = size === 0 ? 0 : ((shifts[i] % size) + size) % size;
      if (shift === 0) return rolled;
      const part = (start: number, end: number) => b.op("Slice", [rolled, b.int64s([start]), b.int64s([end]), b.int64s([dim])]);
      return b.op("Concat", [part(size - shift, size), part(0, size - shift)], { axis: dim });
    }, b.op("Identity", [x])),
});

/**
 * torch.roll(x, shifts, dims). Without `dims` (or with none) the tensor is rolled as if flattened,
 * then given its shape back. A single shift goes with a single dim; lists go pairwise.
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const shiftList = typeof shifts === "number" ? [shifts] : shifts;
  const dimList = dims === undefined ? [] : typeof dims === "number" ? [dims] : dims;
  if (shiftList.length === 0) throw new OpError("roll", "`shifts` required");
  if (dimList.length === 0 && shiftList.length === 1) return reshape(roll(reshape(x, [-1]), shiftList, 0), x.shape);
  const attrs = canonicalAttrs(rollOp, [x], { shifts: shiftList, dims: dimList });
  return attrs.dims.length === 0 ? x : applyCanonical(rollOp, [x], attrs);
}
