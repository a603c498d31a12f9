import { OpError } from "../basics/errors";
import { normalizeDim, type Shape } from "../basics/shape";
import type { Window } from "../basics/window";
import { type Attrs, checkAttrNames, integerAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { type ViewRule } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { afterBatch } from "./batching";
import { diagonalBackward } from "./diagonalBackward";
import { onnxReshape } from "./reshape";
import { viewKernel } from "./ruleKernels";

/** Canonically `dim1 < dim2`: the same diagonal read with the dims swapped has the offset negated. */
export type DiagonalAttrs = { readonly offset: number; readonly dim1: number; readonly dim2: number };

/** The length of the diagonal `offset` of a `rows` × `cols` plane (0 when it misses the plane). */
export function diagonalLength(rows: number, cols: number, offset: number): number {
  return Math.max(0, offset >= 0 ? Math.min(rows, cols - offset) : Math.min(rows + offset, cols));
}

/**
 * The dims `dim1` and `dim2` (0 and 1 unless given) of a tensor of `rank`, validated as PyTorch
 * words it, in canonical order with the offset that keeps the same diagonal.
 */
export function canonicalDiagonal(op: string, attrs: Attrs, rank: number): DiagonalAttrs {
  const offset = integerAttr(op, attrs, "offset", 0);
  const [given1, given2] = [integerAttr(op, attrs, "dim1", 0), integerAttr(op, attrs, "dim2", 1)];
  const [dim1, dim2] = [normalizeDim(op, given1, rank), normalizeDim(op, given2, rank)];
  if (dim1 === dim2) throw new OpError(op, `diagonal dimensions cannot be identical ${given1}, ${given2}`);
  // 0 - offset rather than -offset, whose -0 JSON would not keep.
  return dim1 < dim2 ? { offset, dim1, dim2 } : { offset: 0 - offset, dim1: dim2, dim2: dim1 };
}

/** The diagonal as a window of `plane` (a window of the tensor the diagonal is taken of), of `shape`. */
export function diagonalWindow(plane: Pick<Window, "offset" | "strides">, { offset, dim1, dim2 }: DiagonalAttrs, shape: Shape): Window {
  const { strides } = plane;
  return {
    offset: plane.offset + (offset >= 0 ? offset * strides[dim2] : -offset * strides[dim1]),
    shape,
    strides: [...strides.filter((_, d) => d !== dim1 && d !== dim2), strides[dim1] + strides[dim2]],
  };
}

const view: ViewRule<DiagonalAttrs> = (input, attrs, out) => diagonalWindow(input, attrs, out.shape);

/**
 * torch.diagonal: the elements x[..., i, ..., i + offset, ...] of the planes spanned by `dim1`
 * and `dim2` (rows along dim1), with both dims removed and the diagonal appended as the last dim.
 * A window of the input, as in PyTorch.
 */
export const diagonalOp = registerBuiltinOp<DiagonalAttrs>({
  name: "diagonal",
  arity: 1,
  canonicalize([x], attrs) {
    checkAttrNames("diagonal", attrs, ["offset", "dim1", "dim2"]);
    return canonicalDiagonal("diagonal", attrs, x.shape.length);
  },
  infer([x], { offset, dim1, dim2 }) {
    const kept = x.shape.filter((_, d) => d !== dim1 && d !== dim2);
    return { shape: [...kept, diagonalLength(x.shape[dim1], x.shape[dim2], offset)], dtype: x.dtype };
  },
  kernel: viewKernel(view),
  vjp: (g, { inputs: [x], attrs: { offset, dim1, dim2 } }) => [diagonalBackward(g, offset, dim1, dim2, x.shape[dim1], x.shape[dim2])],
  jvp: "linear",
  batch: ({ inputs: [x], node: { attrs }, rebuild }) => rebuild([x], batchedDiagonal(attrs)),
  view,
  onnx(b, [x], { offset, dim1, dim2 }, out) {
    // The plane's dims moved last and merged: the diagonal is every (cols + 1)-th element from its first.
    const kept = x.shape.flatMap((_, d) => (d === dim1 || d === dim2 ? [] : [d]));
    const [rows, cols] = [x.shape[dim1], x.shape[dim2]];
    const length = out.shape[out.shape.length - 1];
    const moved = dim1 === kept.length && dim2 === kept.length + 1 ? x : b.op("Transpose", [x], { perm: [...kept, dim1, dim2] });
    const planes = onnxReshape(b, moved, [...kept.map((d) => x.shape[d]), rows, cols], [...kept.map((d) => x.shape[d]), rows * cols]);
    const first = length === 0 ? 0 : offset >= 0 ? offset : -offset * cols;
    const end = length === 0 ? 0 : first + (length - 1) * (cols + 1) + 1;
    return b.op("Slice", [planes, b.int64s([first]), b.int64s([end]), b.int64s([kept.length]), b.int64s([cols + 1])]);
  },
});

/** The diagonal's attributes for a tensor with the batch in front: both dims one up, the offset kept. */
export const batchedDiagonal = <A extends DiagonalAttrs>(attrs: A): A => ({ ...attrs, dim1: afterBatch(attrs.dim1), dim2: afterBatch(attrs.dim2) });

/** torch.diagonal: the diagonal of dims `dim1` and `dim2`, shifted by `offset`, as the last dim. */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  return apply(diagonalOp, [x], { offset, dim1, dim2 });
}
