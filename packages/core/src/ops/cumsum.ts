import { allocate } from "../basics/dtype";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { batchAlongDim, canonicalizeScan, type ScanAttrs, scanOrder } from "./scan";

/**
 * Running sums along `dim`. The running value is a double, stored rounded to the dtype at each
 * position (PyTorch's CPU kernel accumulates float32 in double the same way); int32 wraps at every
 * step. The gradient is the running sum of the gradient from the other end.
 */
export const cumsumOp = registerBuiltinOp<ScanAttrs>({
  name: "cumsum",
  arity: 1,
  canonicalize: canonicalizeScan("cumsum"),
  // Running counts of bools, in int32 (PyTorch: int64).
  infer: ([x]) => (x.dtype === "bool" ? { shape: x.shape, dtype: "int32" } : x),
  kernel([x], attrs, out) {
    const result = allocate(out.dtype, x.data.length);
    const wraps = out.dtype === "int32";
    let total = 0;
    scanOrder(x.shape, attrs, (position, step) => {
      total = (step === 0 ? 0 : total) + x.data[position];
      if (wraps) total |= 0;
      result[position] = total;
    });
    return result;
  },
  vjp: (g, { attrs: { dim, reverse } }) => [cumsum(g, dim, { reverse: !reverse })],
  jvp: "linear",
  batch: batchAlongDim,
  onnx: (b, [x], { dim, reverse }, out) =>
    // ONNX refuses to scan a 0-d tensor, whose scan is itself.
    x.shape.length === 0 ? b.op("Identity", [b.cast(x, out.dtype)]) : b.op("CumSum", [b.cast(x, out.dtype), b.scalar(dim, "int64")], { reverse: reverse ? 1 : 0 }),
});

/** torch.cumsum(x, dim); `reverse` sums from the end (TensorFlow's option). */
export function cumsum(x: Tensor, dim: number, { reverse = false }: { reverse?: boolean } = {}): Tensor {
  return apply(cumsumOp, [x], { dim, reverse });
}
