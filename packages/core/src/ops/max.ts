import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { applyCanonical, canonicalAttrs } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { eq } from "./compare";
import { div } from "./div";
import { expand } from "./expand";
import { mul } from "./mul";
import { canonicalizeReduction, type ReduceAttrs, reducedShape, reductionRule } from "./reduction";
import { reshape } from "./reshape";
import { reductionKernel } from "./ruleKernels";
import { sum } from "./sum";

// NaN wins, as in PyTorch.
const rule = reductionRule(-Infinity, "(v > acc || v !== v) ? v : acc");

/** Max over dims (PyTorch's amax): ties share the gradient evenly; NaN propagates. */
export const maxOp = registerOp<ReduceAttrs>({
  name: "max",
  arity: 1,
  canonicalize: canonicalizeReduction("max"),
  infer([x], attrs) {
    // max has no identity to give an empty slice.
    for (const d of attrs.dims) {
      if (x.shape[d] === 0) throw new OpError("max", `Expected reduction dim ${d} to have non-zero size (input shape ${formatShape(x.shape)})`);
    }
    return { shape: reducedShape(x, attrs), dtype: x.dtype };
  },
  kernel: reductionKernel(rule),
  vjp(g, { inputs: [x], output, attrs }) {
    const kept = reducedShape(x, { ...attrs, keepdim: true });
    const isMax = eq(x, expand(reshape(output, kept), x.shape));
    const ties = sum(isMax, attrs.dims, true);
    return [mul(expand(reshape(div(g, reshape(ties, g.shape)), kept), x.shape), isMax)];
  },
  reduction: rule,
});

/** Max over `dim` (a dim, a list, or every dim when omitted); an empty slice has none, as in PyTorch. */
export function max(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  if (dim === undefined && x.size === 0) {
    throw new OpError(
      "max",
      `Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument (input shape ${formatShape(x.shape)})`,
    );
  }
  const attrs = canonicalAttrs(maxOp, [x], dim === undefined ? { keepdim } : { dims: dim, keepdim });
  return attrs.dims.length === 0 ? x : applyCanonical(maxOp, [x], attrs);
}
