import { OpError } from "../errors";
import { apply } from "../ir/graph";
import { checkShape, formatShape, type Shape, sameShape, sizeOf } from "../shape";
import type { Tensor } from "../tensor";
import { registerOp } from "./registry";

/** Row-major reshape; the data is shared, not copied. `shape` is resolved (no -1) by `reshape()`. */
export const reshapeOp = registerOp<{ shape: readonly number[] }>({
  name: "reshape",
  arity: 1,
  infer([x], { shape }) {
    checkShape("reshape", shape);
    if (sizeOf(shape) !== sizeOf(x.shape)) {
      throw new OpError("reshape", `shape ${formatShape(shape)} is invalid for input of size ${sizeOf(x.shape)}`);
    }
    return { shape, dtype: x.dtype };
  },
  kernel: ([x]) => x.data,
  vjp: (g, { inputs: [x] }) => [reshape(g, x.shape)],
});

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

export function reshape(x: Tensor, shape: Shape): Tensor {
  const resolved = resolveShape(shape, x.size);
  return sameShape(resolved, x.shape) ? x : apply(reshapeOp, [x], { shape: resolved });
}
