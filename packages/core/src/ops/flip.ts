import { OpError } from "../basics/errors";
import { normalizeDim } from "../basics/shape";
import { checkAttrNames, integerListAttr } from "../ir/attrs";
import { applyCanonical, canonicalAttrs } from "../ir/graph";
import { type BuiltinOpDef, registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { type DimMaps, gatherAlongDims } from "../kernels/dimMaps";
import { dimsAfterBatch } from "./batching";

/** Canonically the flipped dims, normalized and sorted (the order of flips does not matter). */
type FlipAttrs = { readonly dims: readonly number[] };

const reversed = (size: number) => Int32Array.from({ length: size }, (_, i) => size - 1 - i);

/**
 * torch.flip: the order of the elements reversed along each of `dims` (a copy, as in PyTorch).
 * Its window would need negative strides, which no other view has and the compiler does not
 * plan for, so it runs its own kernel there too.
 */
export const flipOp: BuiltinOpDef<FlipAttrs> = registerBuiltinOp<FlipAttrs>({
  name: "flip",
  arity: 1,
  canonicalize([x], attrs) {
    checkAttrNames("flip", attrs, ["dims"]);
    const dims = integerListAttr("flip", attrs, "dims").map((d) => normalizeDim("flip", d, x.shape.length));
    const repeated = dims.find((d, i) => dims.indexOf(d) !== i);
    if (repeated !== undefined) throw new OpError("flip", `dim ${repeated} appears multiple times in the list of dims`);
    return { dims: x.shape.length === 0 ? [] : dims.sort((a, b) => a - b) };
  },
  infer: ([x]) => x,
  kernel([x], { dims }, out) {
    const maps: DimMaps = x.shape.map((size, d) => (dims.includes(d) ? reversed(size) : undefined));
    return gatherAlongDims(x.data, x.shape, maps, x.shape, out.dtype);
  },
  vjp: (g, { attrs }) => [applyCanonical(flipOp, [g], attrs)],
  jvp: "linear",
  batch: ({ inputs: [x], node: { attrs }, rebuild }) => rebuild([x], { dims: dimsAfterBatch(attrs.dims) }),
  // From the last element (-1) past the first: an end below -size is clamped to "before index 0".
  onnx: (b, [x], { dims }) =>
    dims.length === 0
      ? b.op("Identity", [x])
      : b.op("Slice", [x, b.int64s(dims.map(() => -1)), b.int64s(dims.map(() => Number.MIN_SAFE_INTEGER)), b.int64s(dims), b.int64s(dims.map(() => -1))]),
});

/** torch.flip: the order of the elements reversed along each of `dims`. */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const attrs = canonicalAttrs(flipOp, [x], { dims: typeof dims === "number" ? [dims] : dims });
  return attrs.dims.length === 0 ? x : applyCanonical(flipOp, [x], attrs);
}
