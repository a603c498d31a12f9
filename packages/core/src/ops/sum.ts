import { apply } from "../ir/graph";
import { reduce } from "../exec/kernels/reduce";
import type { Tensor } from "../tensor";
import { expand } from "./expand";
import { reduceAttrs, type ReduceAttrs, reducedShape } from "./reduction";
import { reshape } from "./reshape";
import { registerOp } from "./registry";

export const sumOp = registerOp<ReduceAttrs>({
  name: "sum",
  arity: 1,
  infer: ([x], attrs) => ({ shape: reducedShape(x, attrs), dtype: x.dtype }),
  kernel: ([x], { dims }, out) => reduce("sum", x.data, x.shape, dims, out.dtype),
  vjp: (g, { inputs: [x], attrs }) => [expand(reshape(g, reducedShape(x, { ...attrs, keepdim: true })), x.shape)],
});

/** Sums over `dim` (a dim, a list, or every dim when omitted). */
export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  const attrs = reduceAttrs("sum", x, dim, keepdim);
  return attrs.dims.length === 0 ? x : apply(sumOp, [x], attrs);
}
