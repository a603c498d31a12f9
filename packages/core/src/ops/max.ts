import { OpError } from "../errors";
import { apply } from "../ir/graph";
import { reduce } from "../exec/kernels/reduce";
import type { Tensor } from "../tensor";
import { eq } from "./compare";
import { div } from "./div";
import { expand } from "./expand";
import { mul } from "./mul";
import { reduceAttrs, type ReduceAttrs, reducedShape } from "./reduction";
import { reshape } from "./reshape";
import { sum } from "./sum";
import { registerOp } from "./registry";

/** Max over dims (PyTorch's amax): ties share the gradient evenly; NaN propagates. */
export const maxOp = registerOp<ReduceAttrs>({
  name: "max",
  arity: 1,
  infer([x], attrs) {
    for (const d of attrs.dims) {
      if (x.shape[d] === 0) throw new OpError("max", `cannot reduce over dimension ${d} of size 0: max has no identity`);
    }
    return { shape: reducedShape(x, attrs), dtype: x.dtype };
  },
  kernel: ([x], { dims }, out) => reduce("max", x.data, x.shape, dims, out.dtype),
  vjp(g, { inputs: [x], output, attrs }) {
    const kept = reducedShape(x, { ...attrs, keepdim: true });
    const isMax = eq(x, expand(reshape(output, kept), x.shape));
    const ties = sum(isMax, attrs.dims, true);
    return [mul(expand(reshape(div(g, reshape(ties, g.shape)), kept), x.shape), isMax)];
  },
});

export function max(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  const attrs = reduceAttrs("max", x, dim, keepdim);
  if (attrs.dims.length === 0 && x.size === 0) throw new OpError("max", "cannot take the max of an empty tensor");
  return attrs.dims.length === 0 ? x : apply(maxOp, [x], attrs);
}
