import { OpError } from "../basics/errors";
import { formatShape, normalizeDim, stridesOf } from "../basics/shape";
import { checkAttrNames, integerAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { type PlacementRule } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { batchedDiagonal, canonicalDiagonal, diagonal, type DiagonalAttrs, diagonalLength, diagonalWindow } from "./diagonal";
import { onnxReshape } from "./reshape";
import { placementKernel } from "./ruleKernels";
import { sliceBackwardOp } from "./sliceBackward";

/** The diagonal's attributes and the sizes of the plane it lies in (along dim1 and dim2). */
type DiagonalBackwardAttrs = DiagonalAttrs & { readonly size1: number; readonly size2: number };

const placement: PlacementRule<DiagonalBackwardAttrs> = ([g], attrs, out) => ({
  zeroFill: true,
  windows: [diagonalWindow({ offset: 0, strides: stridesOf(out.shape) }, attrs, g.shape)],
});

/**
 * The gradient of diagonal (PyTorch's diagonal_backward): zeros with `g`'s last dim written along
 * the diagonal of a `size1` × `size2` plane inserted at `dim1` and `dim2`. For a vector and dims
 * 0, 1 it is torch.diag's matrix.
 */
export const diagonalBackwardOp = registerBuiltinOp<DiagonalBackwardAttrs>({
  name: "diagonalBackward",
  arity: 1,
  canonicalize([g], attrs) {
    checkAttrNames("diagonalBackward", attrs, ["offset", "dim1", "dim2", "size1", "size2"]);
    if (g.shape.length === 0) throw new OpError("diagonalBackward", "expected a tensor with at least one dimension (the diagonal), got a 0-d tensor");
    const { offset, dim1, dim2 } = canonicalDiagonal("diagonalBackward", attrs, g.shape.length + 1);
    const [size1, size2] = [integerAttr("diagonalBackward", attrs, "size1"), integerAttr("diagonalBackward", attrs, "size2")];
    if (size1 < 0 || size2 < 0) throw new OpError("diagonalBackward", `sizes must be non-negative, got ${size1} and ${size2}`);
    // Dims given in the other order are swapped, and the sizes with them.
    const swapped = normalizeDim("diagonalBackward", integerAttr("diagonalBackward", attrs, "dim1", 0), g.shape.length + 1) !== dim1;
    return swapped ? { offset, dim1, dim2, size1: size2, size2: size1 } : { offset, dim1, dim2, size1, size2 };
  },
  infer([g], { offset, dim1, dim2, size1, size2 }) {
    const length = g.shape[g.shape.length - 1];
    if (length !== diagonalLength(size1, size2, offset)) {
      throw new OpError(
        "diagonalBackward",
        `a diagonal of ${length} elements does not fit offset ${offset} of a ${size1} x ${size2} plane (gradient ${formatShape(g.shape)})`,
      );
    }
    const kept = g.shape.slice(0, -1);
    const shape: number[] = [];
    for (let d = 0, next = 0; d <= kept.length + 1; d++) shape.push(d === dim1 ? size1 : d === dim2 ? size2 : kept[next++]);
    return { shape, dtype: g.dtype };
  },
  kernel: placementKernel(placement),
  vjp: (gg, { attrs: { offset, dim1, dim2 } }) => [diagonal(gg, offset, dim1, dim2)],
  jvp: "linear",
  batch: ({ inputs: [g], node: { attrs }, rebuild }) => rebuild([g], batchedDiagonal(attrs)),
  placement,
  onnx(b, [g], { offset, dim1, dim2, size1, size2 }, out) {
    // Each plane flattened is sliceBackward's zeros with the diagonal every (size2 + 1)-th element from its first.
    const kept = g.shape.slice(0, -1);
    const length = g.shape[g.shape.length - 1];
    const first = length === 0 ? 0 : offset >= 0 ? offset : -offset * size2;
    const flatPlanes = { dim: kept.length, start: first, step: size2 + 1, size: size1 * size2 };
    const planes = sliceBackwardOp.onnx!(b, [g], flatPlanes, { shape: [...kept, size1 * size2], dtype: g.dtype });
    const matrices = onnxReshape(b, planes, [...kept, size1 * size2], [...kept, size1, size2]);
    // The plane's two dims go to dim1 and dim2, the kept ones fill the rest in order.
    const perm: number[] = [];
    for (let d = 0, next = 0; d < out.shape.length; d++) perm.push(d === dim1 ? kept.length : d === dim2 ? kept.length + 1 : next++);
    return perm.every((p, d) => p === d) ? matrices : b.op("Transpose", [matrices], { perm });
  },
});

/** The gradient of `diagonal`: `g` written onto the diagonal of zeros of sizes `size1` × `size2`. */
export function diagonalBackward(g: Tensor, offset: number, dim1: number, dim2: number, size1: number, size2: number): Tensor {
  return apply(diagonalBackwardOp, [g], { offset, dim1, dim2, size1, size2 });
}
