import type { OnnxBuilder, OnnxTensor, OnnxValue } from "../ir/onnx";
import { describeValue, OpError } from "../basics/errors";
import { formatShape, type Shape } from "../basics/shape";
import { type Attrs, checkAttrNames, integerListAttr, numberAttr } from "../ir/attrs";
import { applyCanonical, canonicalAttrs } from "../ir/graph";
import { type BuiltinOpDef, registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { gatherAlongDims } from "../kernels/dimMaps";
import { padBackward } from "./padBackward";

/** How `pad` fills the border: PyTorch's `F.pad` modes. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";
const modes: readonly PadMode[] = ["constant", "reflect", "replicate", "circular"];

/**
 * Canonically `pads` in PyTorch's order (the last dim's left and right amounts first, then the
 * dim before it, ...) without the trailing zero pairs, `value` 0 unless the mode is constant.
 */
type PadAttrs = { readonly pads: readonly number[]; readonly mode: PadMode; readonly value: number };

/** The dim of a tensor of `rank` that pair `p` of the pads list pads. */
const paddedDim = (rank: number, p: number) => rank - 1 - p;

/** The padding mode, "constant" unless given, one of `allowed`. */
export function readMode(op: string, attrs: Attrs, allowed: readonly PadMode[]): PadMode {
  const mode = Object.hasOwn(attrs, "mode") ? attrs.mode : "constant";
  if (!allowed.includes(mode as PadMode)) throw new OpError(op, `Unrecognised padding mode ${typeof mode === "string" ? mode : describeValue(mode)}`);
  return mode as PadMode;
}

/** The pads list checked against a tensor of `rank` as F.pad checks it, without its trailing zero pairs. */
export function readPads(op: string, attrs: Attrs, rank: number): number[] {
  const pads = integerListAttr(op, attrs, "pads");
  if (pads.length % 2 !== 0) throw new OpError(op, "Padding length must be divisible by 2");
  if (pads.length / 2 > rank) throw new OpError(op, `Padding length too large: ${pads.length} pads for a tensor of ${rank} dims`);
  let end = pads.length;
  while (end > 0 && pads[end - 1] === 0 && pads[end - 2] === 0) end -= 2;
  return pads.slice(0, end);
}

/**
 * The checks PyTorch makes of each padded dim of an input of `shape` (dims padded by 0 and 0 are
 * left alone). Negative amounts crop: constant and circular padding may crop a dim to nothing
 * (circular then wraps what is left, at most once); reflect and replicate read the input's own
 * edges, may not reflect past them, and must leave at least one element.
 */
export function checkPads(op: string, shape: Shape, pads: readonly number[], mode: PadMode): void {
  for (let p = 0; 2 * p < pads.length; p++) {
    const dim = paddedDim(shape.length, p);
    const [left, right, size] = [pads[2 * p], pads[2 * p + 1], shape[dim]];
    if (left === 0 && right === 0) continue;
    const kept = size + Math.min(left, 0) + Math.min(right, 0);
    const out = size + left + right;
    const where = `at dimension ${dim} of input ${formatShape(shape)}`;
    if ((mode === "constant" || mode === "circular") && kept < 0) {
      throw new OpError(op, `negative padding ${left} and ${right} crops more than the size ${size} of dimension ${dim}`);
    }
    if (mode === "circular" && (left > kept || right > kept)) throw new OpError(op, `Padding value causes wrapping around more than once: padding (${left}, ${right}) ${where}`);
    if (mode === "reflect" && (left >= size || right >= size)) {
      throw new OpError(op, `Padding size should be less than the corresponding input dimension, but got: padding (${left}, ${right}) ${where}`);
    }
    if (mode === "replicate" && size === 0) throw new OpError(op, `dimension ${dim} of input ${formatShape(shape)} is empty: there is nothing to replicate`);
    if ((mode === "reflect" || mode === "replicate") && out < 1) {
      throw new OpError(op, `input (size ${size} at dimension ${dim}) is too small. Calculated output size: ${out}`);
    }
  }
}

const onnxPadModes = { constant: "constant", reflect: "reflect", replicate: "edge" } as const;

/**
 * ONNX's Pad takes every dim's amounts, all the befores then all the afters; opset 17 has no
 * circular mode (`wrap` came in opset 19), so that one is cropped and wrapped with Slice and Concat.
 */
function padOnnx(b: OnnxBuilder, [x]: readonly OnnxTensor[], { pads, mode, value }: PadAttrs): OnnxValue {
  const rank = x.shape.length;
  if (pads.length === 0) return b.op("Identity", [x]);
  const amounts = (p: number) => [pads[2 * p] ?? 0, pads[2 * p + 1] ?? 0];
  if (mode !== "circular") {
    // Negative amounts crop the padded result, as PyTorch reads them: padded first, then sliced.
    const perDim = x.shape.map((_, d) => amounts(rank - 1 - d));
    const constant = mode === "constant" ? b.scalar(value, x.dtype) : null;
    const grown = perDim.map(([left, right]) => [Math.max(left, 0), Math.max(right, 0)]);
    const padded = b.op("Pad", [x, b.int64s([...grown.map(([left]) => left), ...grown.map(([, right]) => right)]), constant], { mode: onnxPadModes[mode] });
    const cropped = perDim.flatMap(([left, right], d) => (left < 0 || right < 0 ? [d] : []));
    if (cropped.length === 0) return padded;
    const ends = cropped.map((d) => x.shape[d] + Math.max(perDim[d][0], 0) + perDim[d][1]);
    return b.op("Slice", [padded, b.int64s(cropped.map((d) => Math.max(-perDim[d][0], 0))), b.int64s(ends), b.int64s(cropped)]);
  }
  let padded: OnnxValue = x;
  for (let p = 0; 2 * p < pads.length; p++) {
    const dim = paddedDim(rank, p);
    const [left, right] = amounts(p);
    const part = (start: number, end: number) => b.op("Slice", [padded, b.int64s([start]), b.int64s([end]), b.int64s([dim])]);
    const kept = x.shape[dim] + Math.min(left, 0) + Math.min(right, 0);
    padded = part(Math.max(-left, 0), Math.max(-left, 0) + kept);
    const pieces = [...(left > 0 ? [part(kept - left, kept)] : []), padded, ...(right > 0 ? [part(0, right)] : [])];
    if (pieces.length > 1) padded = b.op("Concat", pieces, { axis: dim });
  }
  return padded;
}

/** The shape after padding (or, with `sign` -1, before it). */
export function paddedShape(shape: Shape, pads: readonly number[], sign = 1): number[] {
  const out = [...shape];
  for (let p = 0; 2 * p < pads.length; p++) out[paddedDim(shape.length, p)] += sign * (pads[2 * p] + pads[2 * p + 1]);
  return out;
}

/** Which input index output index `j` along a dim of `size` padded by `left` and `right` reads (-1: the constant). */
function sourceIndex(mode: PadMode, j: number, left: number, right: number, size: number): number {
  const i = j - left;
  switch (mode) {
    case "constant":
      return i >= 0 && i < size ? i : -1;
    case "reflect":
      return i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;
    case "replicate":
      return Math.min(Math.max(i, 0), size - 1);
    case "circular": {
      // PyTorch crops first and wraps the rest: (-1, 2) on [a, b, c, d] is [b, c, d, b, c].
      const kept = size + Math.min(left, 0) + Math.min(right, 0);
      return Math.max(-left, 0) + ((((j - Math.max(left, 0)) % kept) + kept) % kept);
    }
  }
}

/** Per dim of the input, the map from padded to input indices (undefined: the dim is not padded). */
export function padMaps(shape: Shape, pads: readonly number[], mode: PadMode): (Int32Array | undefined)[] {
  const maps: (Int32Array | undefined)[] = shape.map(() => undefined);
  for (let p = 0; 2 * p < pads.length; p++) {
    const dim = paddedDim(shape.length, p);
    const [left, right, size] = [pads[2 * p], pads[2 * p + 1], shape[dim]];
    if (left !== 0 || right !== 0) maps[dim] = Int32Array.from({ length: size + left + right }, (_, j) => sourceIndex(mode, j, left, right, size));
  }
  return maps;
}

/**
 * F.pad: `pads` lists the amounts before and after each padded dim, the last dim first (as
 * PyTorch lists them); negative amounts crop. Constant mode fills with `value`; reflect mirrors
 * the input without repeating its edge; replicate repeats the edge; circular wraps around (what
 * is left after cropping, as PyTorch wraps it).
 * PyTorch 1.13 pads reflect, replicate and circular only over the last 1 to 3 dims of inputs with
 * a batch (and, for circular, a channel) dim in front; here any trailing dims of any input, with
 * the same values where PyTorch has them. The gradient of constant padding is the opposite
 * padding; that of the other modes sums the copies (padBackward).
 */
export const padOp: BuiltinOpDef<PadAttrs> = registerBuiltinOp<PadAttrs>({
  name: "pad",
  arity: 1,
  canonicalize([x], attrs) {
    checkAttrNames("pad", attrs, ["pads", "mode", "value"]);
    const mode = readMode("pad", attrs, modes);
    const value = numberAttr("pad", attrs, "value", 0);
    if (mode !== "constant" && value !== 0) throw new OpError("pad", `Padding mode "${mode}" doesn't take in value argument`);
    const pads = readPads("pad", attrs, x.shape.length);
    checkPads("pad", x.shape, pads, mode);
    return { pads, mode, value: mode === "constant" ? value : 0 };
  },
  infer: ([x], { pads }) => ({ shape: paddedShape(x.shape, pads), dtype: x.dtype }),
  onnx: padOnnx,
  kernel: ([x], { pads, mode, value }, out) => gatherAlongDims(x.data, x.shape, padMaps(x.shape, pads, mode), out.shape, out.dtype, value),
  vjp: (g, { attrs: { pads, mode } }) => [
    mode === "constant" ? pad(g, pads.map((p) => -p)) : padBackward(g, pads, mode),
  ],
  // Affine, not linear, with a nonzero fill: the fill is constant, so the tangent's border is zero.
  jvp: ([t], { attrs }) => applyCanonical(padOp, [t!], { ...attrs, value: 0 }),
  // The pads count from the last dim, so the batch in front is left alone.
  batch: ({ inputs: [x], node, rebuild }) => rebuild([x], node.attrs),
});

/**
 * torch.nn.functional.pad: `pads` lists (before, after) for the last dim first, then the one before, ...;
 * negative pads crop.
 */
export function pad(x: Tensor, pads: readonly number[], mode: PadMode = "constant", value = 0): Tensor {
  const attrs = canonicalAttrs(padOp, [x], { pads, mode, value });
  return attrs.pads.length === 0 ? x : applyCanonical(padOp, [x], attrs);
}
