import { OpError } from "../basics/errors";
import { checkShape, formatShape, type Shape, sameShape } from "../basics/shape";
import { broadcastWindow } from "../basics/window";
import { checkAttrNames, integerListAttr } from "../ir/attrs";
import { applyCanonical, canonicalAttrs } from "../ir/graph";
import { type ViewRule } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import { withSampleRank } from "./batching";
import type { Tensor } from "../ir/tensor";
import { viewKernel } from "./ruleKernels";
import { unbroadcast } from "./unbroadcast";

type ExpandAttrs = { readonly shape: readonly number[] };

const view: ViewRule<ExpandAttrs> = (input, _attrs, out) => broadcastWindow(input, out.shape);

/** Broadcasts size-1 dims (and new leading dims) to `shape`; `-1` keeps an existing size, as in PyTorch. */
export const expandOp = registerBuiltinOp<ExpandAttrs>({
  name: "expand",
  arity: 1,
  canonicalize([x], attrs) {
    checkAttrNames("expand", attrs, ["shape"]);
    const requested = integerListAttr("expand", attrs, "shape");
    const lead = requested.length - x.shape.length;
    return { shape: checkShape("expand", requested.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d))) };
  },
  infer([x], { shape }) {
    const lead = shape.length - x.shape.length;
    if (lead < 0) {
      throw new OpError(
        "expand",
        `the number of sizes provided (${shape.length}) must be greater or equal to the number of dimensions in the tensor (${x.shape.length})`,
      );
    }
    x.shape.forEach((d, i) => {
      if (d !== 1 && d !== shape[lead + i]) {
        throw new OpError(
          "expand",
          `the expanded size of the tensor (${shape[lead + i]}) must match the existing size (${d}) at non-singleton dimension ${lead + i}. ` +
            `Target sizes: ${formatShape(shape)}. Tensor sizes: ${formatShape(x.shape)}`,
        );
      }
    });
    return { shape, dtype: x.dtype };
  },
  kernel: viewKernel(view),
  vjp: (g, { inputs: [x] }) => [unbroadcast(g, x.shape)],
  jvp: "linear",
  // The sample's new leading dims come after the batch: size-1 dims there broadcast to them.
  batch: ({ inputs: [x], size, node, rebuild }) => rebuild([withSampleRank(x, node.shape.length)], { shape: [size, ...node.shape] }),
  view,
  // ONNX's Expand broadcasts both ways: a 1 keeps the input's size, so only the broadcast dims are
  // fixed and a dim the input already has (a dynamic batch) follows it.
  onnx: (b, [x], _attrs, out) => {
    const lead = out.shape.length - x.shape.length;
    return b.op("Expand", [x, b.int64s(out.shape.map((d, i) => (i >= lead && x.shape[i - lead] === d ? 1 : d)))]);
  },
});

/** torch.Tensor.expand: size-1 dims broadcast to `shape` (-1 keeps a size; new leading dims allowed). */
export function expand(x: Tensor, shape: Shape): Tensor {
  const attrs = canonicalAttrs(expandOp, [x], { shape });
  return sameShape(attrs.shape, x.shape) ? x : applyCanonical(expandOp, [x], attrs);
}
