import { OpError } from "../basics/errors";
import { checkShape, formatShape, type Shape, sameShape, sizeOf, stridesOf } from "../basics/shape";
import { isContiguous, type Window } from "../basics/window";
import { checkAttrNames, integerListAttr } from "../ir/attrs";
import { applyCanonical, canonicalAttrs } from "../ir/graph";
import type { OnnxBuilder, OnnxValue } from "../ir/onnx";
import { type ViewRule } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { viewKernel } from "./ruleKernels";

type ReshapeAttrs = { readonly shape: readonly number[] };

/** Resolves a single -1 from the other sizes, as PyTorch does. */
function resolveShape(requested: Shape, size: number): number[] {
  const inferred = requested.reduce<number[]>((at, d, i) => (d === -1 ? [...at, i] : at), []);
  if (inferred.length > 1) throw new OpError("reshape", `only one dimension can be inferred, got ${formatShape(requested)}`);
  if (inferred.length === 0) return [...requested];
  const known = sizeOf(requested.filter((d) => d !== -1));
  if (known === 0 || size % known !== 0) {
    throw new OpError("reshape", `shape ${formatShape(requested)} is invalid for input of size ${size}`);
  }
  return requested.map((d) => (d === -1 ? size / known : d));
}

/** Whether two shapes differ only in size-1 dims (squeeze/unsqueeze), which any strided window survives. */
function sameBeyondUnitDims(a: Shape, b: Shape): boolean {
  return sameShape(
    a.filter((d) => d !== 1),
    b.filter((d) => d !== 1),
  );
}

/** A contiguous window takes any shape; any window takes a shape that only adds or drops size-1 dims. */
const view: ViewRule<ReshapeAttrs> = (input, _attrs, out): Window | undefined => {
  if (isContiguous(input)) return { offset: input.offset, shape: out.shape, strides: stridesOf(out.shape) };
  if (!sameBeyondUnitDims(input.shape, out.shape)) return undefined;
  const strides = input.strides.filter((_, i) => input.shape[i] !== 1);
  let next = 0;
  return { offset: input.offset, shape: out.shape, strides: out.shape.map((d) => (d === 1 ? 0 : strides[next++])) };
};

/**
 * ONNX's Reshape of `x` (of `from`) to `to`, written so that a dynamic leading dim (a batch)
 * follows the input: the leading size is 0 (ONNX copies the input's) when it is the input's,
 * else -1 (inferred, as when the batch is folded into it); the others are fixed. Exact at the
 * exported sizes. A size 0 behind the leading one would read as "copy" (or make -1 ambiguous),
 * so such a shape is written as it is, with allowzero.
 */
export function onnxReshape(b: OnnxBuilder, x: OnnxValue, from: Shape, to: Shape): OnnxValue {
  const flexible = from.length > 0 && to.length > 0 && to[0] !== 0 && to.slice(1).every((d) => d !== 0);
  if (!flexible) return b.op("Reshape", [x, b.int64s(to)], { allowzero: 1 });
  return b.op("Reshape", [x, b.int64s([to[0] === from[0] ? 0 : -1, ...to.slice(1)])]);
}

/** Row-major reshape; the data is shared, not copied. One size may be -1, inferred from the others. */
export const reshapeOp = registerBuiltinOp<ReshapeAttrs>({
  name: "reshape",
  arity: 1,
  canonicalize([x], attrs) {
    checkAttrNames("reshape", attrs, ["shape"]);
    const size = sizeOf(x.shape);
    const shape = checkShape("reshape", resolveShape(integerListAttr("reshape", attrs, "shape"), size));
    if (sizeOf(shape) !== size) throw new OpError("reshape", `shape ${formatShape(shape)} is invalid for input of size ${size}`);
    return { shape };
  },
  infer: ([x], { shape }) => ({ shape, dtype: x.dtype }),
  kernel: viewKernel(view),
  vjp: (g, { inputs: [x] }) => [reshape(g, x.shape)],
  jvp: "linear",
  batch: ({ inputs: [x], size, node, rebuild }) => rebuild([x], { shape: [size, ...node.shape] }),
  view,
  onnx: (b, [x], _attrs, out) => onnxReshape(b, x, x.shape, out.shape),
});

/** torch.reshape: the same elements in row-major order in `shape` (one size may be -1, inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const attrs = canonicalAttrs(reshapeOp, [x], { shape });
  return sameShape(attrs.shape, x.shape) ? x : applyCanonical(reshapeOp, [x], attrs);
}
