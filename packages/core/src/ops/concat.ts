import { OpError } from "../basics/errors";
import { formatShape, stridesOf } from "../basics/shape";
import { checkAttrNames, dimAttr } from "../ir/attrs";
import { checkTensorList } from "../ir/args";
import { apply } from "../ir/graph";
import { type PlacementRule } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { checkSameDType } from "./elementwise";
import { afterBatch, withBatch } from "./batching";
import { placementKernel } from "./ruleKernels";
import { slice } from "./slice";

type ConcatAttrs = { readonly dim: number };

/** Each input's block, side by side along `dim`. */
const placement: PlacementRule<ConcatAttrs> = (inputs, { dim }, out) => {
  const strides = stridesOf(out.shape);
  let start = 0;
  const windows = inputs.map((x) => {
    const window = { offset: start * strides[dim], shape: x.shape, strides };
    start += x.shape[dim];
    return window;
  });
  return { zeroFill: false, windows };
};

export const concatOp = registerBuiltinOp<ConcatAttrs>({
  name: "concat",
  arity: "variadic",
  canonicalize(inputs, attrs) {
    checkAttrNames("concat", attrs, ["dim"]);
    if (inputs.length === 0) throw new OpError("concat", "expected a non-empty list of tensors");
    return { dim: dimAttr("concat", attrs, "dim", inputs[0].shape.length) };
  },
  infer(inputs, { dim }) {
    checkSameDType("concat", inputs);
    const first = inputs[0].shape;
    let total = 0;
    inputs.forEach((x, n) => {
      if (x.shape.length !== first.length) {
        throw new OpError(
          "concat",
          `tensors must have the same number of dimensions: got ${first.length} ${formatShape(first)} and ${x.shape.length} ${formatShape(x.shape)} for tensor number ${n}`,
        );
      }
      x.shape.forEach((size, i) => {
        if (i !== dim && size !== first[i]) {
          throw new OpError(
            "concat",
            `sizes of tensors must match except in dimension ${dim}. Expected size ${first[i]} but got size ${size} for tensor number ${n} in the list`,
          );
        }
      });
      total += x.shape[dim];
    });
    const shape = [...first];
    shape[dim] = total;
    return { shape, dtype: inputs[0].dtype };
  },
  kernel: placementKernel(placement),
  vjp(g, { inputs, attrs: { dim }, needs }) {
    let start = 0;
    return inputs.map((x, i) => {
      const begin = start;
      start += x.shape[dim];
      return needs[i] ? slice(g, dim, begin, start) : null;
    });
  },
  jvp: "linear",
  // Every block needs the batch: a shared input is repeated for each sample (a view).
  batch: ({ inputs, batched, size, node: { attrs }, rebuild }) =>
    rebuild(
      inputs.map((x, i) => withBatch(x, batched[i], size)),
      { dim: afterBatch(attrs.dim) },
    ),
  placement,
  onnx: (b, inputs, { dim }) => b.op("Concat", inputs, { axis: dim }),
});

/** torch.cat: the tensors joined along `dim`; every other size must agree. */
export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  checkTensorList("concat", "tensors", tensors);
  if (tensors.length === 1) return tensors[0];
  return apply(concatOp, tensors, { dim });
}
