import { allocate } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { sizeOf } from "../basics/shape";
import { checkAttrNames, integerAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import type { TensorMeta } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { type BuiltinOpDef, registerBuiltinOp } from "./builtinOp";

type TriangleAttrs = { readonly diagonal: number };

/**
 * tril keeps the elements of each matrix (the last two dims) with `col - row <= diagonal`, triu
 * those with `col - row >= diagonal`; the rest become zeros. `diagonal` 0 is the main diagonal,
 * positive ones lie above it. Diagonals past the matrix's corners keep everything or nothing,
 * so the canonical one is clamped to the nearest that still says which.
 */
function triangle(name: "tril" | "triu"): BuiltinOpDef<TriangleAttrs> {
  const upper = name === "triu";
  const op: BuiltinOpDef<TriangleAttrs> = registerBuiltinOp<TriangleAttrs>({
    name,
    arity: 1,
    canonicalize([x], attrs) {
      checkAttrNames(name, attrs, ["diagonal"]);
      const diagonal = integerAttr(name, attrs, "diagonal", 0);
      if (x.shape.length < 2) throw new OpError(name, `input tensor must have at least 2 dimensions, got ${x.shape.length}`);
      const [rows, cols] = matrixSize(x);
      // col - row runs over [1 - rows, cols - 1]; 0 - rows rather than -rows, whose -0 JSON would not keep.
      const [keepsAll, keepsNone] = upper ? [1 - rows, cols] : [cols - 1, 0 - rows];
      return { diagonal: Math.min(Math.max(diagonal, Math.min(keepsAll, keepsNone)), Math.max(keepsAll, keepsNone)) };
    },
    infer: ([x]) => x,
    onnx: (b, [x], { diagonal }) => b.op("Trilu", [x, b.scalar(diagonal, "int64")], { upper: upper ? 1 : 0 }),
    kernel([x], { diagonal }, out) {
      const [rows, cols] = matrixSize(x);
      const result = allocate(out.dtype, sizeOf(x.shape));
      for (let start = 0; start < result.length; start += rows * cols) {
        for (let row = 0; row < rows; row++) {
          // The kept columns of this row: [from, to).
          const from = upper ? Math.max(0, row + diagonal) : 0;
          const to = upper ? cols : Math.min(cols, row + diagonal + 1);
          const at = start + row * cols;
          for (let col = from; col < to; col++) result[at + col] = x.data[at + col];
        }
      }
      return result;
    },
    vjp: (g, { attrs }) => [apply(op, [g], attrs)],
    jvp: "linear",
    // The matrices are the last two dims, so the batch in front changes nothing.
    batch: ({ inputs: [x], node: { attrs }, rebuild }) => rebuild([x], attrs),
  });
  return op;
}

const matrixSize = (x: TensorMeta) => x.shape.slice(-2) as [number, number];

export const trilOp = triangle("tril");
export const triuOp = triangle("triu");

/** torch.tril: the lower triangle of each matrix, from `diagonal` down. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return apply(trilOp, [x], { diagonal });
}

/** torch.triu: the upper triangle of each matrix, from `diagonal` up. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return apply(triuOp, [x], { diagonal });
}
