import { OpError } from "../basics/errors";
import { formatShape, normalizeDim } from "../basics/shape";
import { checkAttrNames, integerListAttr } from "../ir/attrs";
import { applyCanonical, canonicalAttrs } from "../ir/graph";
import { type ViewRule } from "../ir/registry";
import { type BuiltinOpDef, registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { afterBatch } from "./batching";
import { viewKernel } from "./ruleKernels";

type PermuteAttrs = { readonly dims: readonly number[] };

const view: ViewRule<PermuteAttrs> = (input, { dims }, out) => ({ offset: input.offset, shape: out.shape, strides: dims.map((d) => input.strides[d]) });

/** Output dim i is input dim `dims[i]`. */
export const permuteOp: BuiltinOpDef<PermuteAttrs> = registerBuiltinOp<PermuteAttrs>({
  name: "permute",
  arity: 1,
  canonicalize([x], attrs) {
    checkAttrNames("permute", attrs, ["dims"]);
    const given = integerListAttr("permute", attrs, "dims");
    if (given.length !== x.shape.length) {
      throw new OpError(
        "permute",
        `number of dims don't match: the input has ${x.shape.length} dims ${formatShape(x.shape)} but ${given.length} were given ${formatShape(given)}`,
      );
    }
    const dims = given.map((d) => normalizeDim("permute", d, x.shape.length));
    if (new Set(dims).size !== dims.length) throw new OpError("permute", `duplicate dims are not allowed: ${formatShape(given)}`);
    return { dims };
  },
  infer: ([x], { dims }) => ({ shape: dims.map((d) => x.shape[d]), dtype: x.dtype }),
  kernel: viewKernel(view),
  vjp(g, { attrs: { dims } }) {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => (inverse[d] = i));
    return [applyCanonical(permuteOp, [g], { dims: inverse })];
  },
  jvp: "linear",
  // The batch stays in front; the sample's dims keep their order behind it.
  batch: ({ inputs: [x], node, rebuild }) => rebuild([x], { dims: [0, ...node.attrs.dims.map(afterBatch)] }),
  view,
  onnx: (b, [x], { dims }) => b.op("Transpose", [x], { perm: dims }),
});

/** torch.permute: dim i of the result is dim `dims[i]` of x. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const attrs = canonicalAttrs(permuteOp, [x], { dims });
  return attrs.dims.every((d, i) => d === i) ? x : applyCanonical(permuteOp, [x], attrs);
}
