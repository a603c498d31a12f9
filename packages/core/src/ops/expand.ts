import { unbroadcast } from "../autodiff/unbroadcast";
import { OpError } from "../errors";
import { apply } from "../ir/graph";
import { stridedCopy } from "../exec/kernels/strided";
import { broadcastStrides, checkShape, formatShape, type Shape, sameShape } from "../shape";
import type { Tensor } from "../tensor";
import { registerOp } from "./registry";

/** Broadcasts size-1 dims (and new leading dims) to `shape`, materialized by the kernel. */
export const expandOp = registerOp<{ shape: readonly number[] }>({
  name: "expand",
  arity: 1,
  infer([x], { shape }) {
    checkShape("expand", shape);
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
  kernel: ([x], _attrs, out) => stridedCopy(x.data, 0, out.shape, broadcastStrides(x.shape, out.shape), out.dtype),
  vjp: (g, { inputs: [x] }) => [unbroadcast(g, x.shape)],
});

/** `-1` keeps an existing size, as in PyTorch. */
export function expand(x: Tensor, shape: Shape): Tensor {
  const lead = shape.length - x.shape.length;
  const resolved = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  return sameShape(resolved, x.shape) ? x : apply(expandOp, [x], { shape: resolved });
}
