import { OpError } from "../errors";
import { apply } from "../ir/graph";
import { stridedCopy } from "../exec/kernels/strided";
import { formatShape, normalizeDim, stridesOf } from "../shape";
import type { Tensor } from "../tensor";
import { registerOp } from "./registry";

export const permuteOp = registerOp<{ dims: readonly number[] }>({
  name: "permute",
  arity: 1,
  infer([x], { dims }) {
    if (dims.length !== x.shape.length) {
      throw new OpError(
        "permute",
        `number of dims don't match: the input has ${x.shape.length} dims ${formatShape(x.shape)} but ${dims.length} were given ${formatShape(dims)}`,
      );
    }
    const seen = new Set(dims.map((d) => normalizeDim("permute", d, dims.length)));
    if (seen.size !== dims.length) throw new OpError("permute", `duplicate dims are not allowed: ${formatShape(dims)}`);
    return { shape: dims.map((d) => x.shape[d]), dtype: x.dtype };
  },
  kernel([x], { dims }, out) {
    const strides = stridesOf(x.shape);
    return stridedCopy(x.data, 0, out.shape, dims.map((d) => strides[d]), out.dtype);
  },
  vjp(g, { attrs: { dims } }) {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => (inverse[d] = i));
    return [permute(g, inverse)];
  },
});

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const normalized = dims.map((d) => normalizeDim("permute", d, Math.max(dims.length, x.shape.length)));
  if (normalized.every((d, i) => d === i) && normalized.length === x.shape.length) return x;
  return apply(permuteOp, [x], { dims: normalized });
}
