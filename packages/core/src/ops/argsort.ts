import { allocate, isFloat } from "../basics/dtype";
import { linesAlong } from "../basics/shape";
import { booleanAttr, checkAttrNames, dimAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { batchAlongDim, onnxScan } from "./scan";

type SortAttrs = { readonly dim: number; readonly descending: boolean };

/**
 * The indices that sort each line along `dim`, as int32: stable (equal values keep their order,
 * PyTorch's `stable=True`), NaN after every number ascending and before them descending (PyTorch
 * sorts NaN as the largest value). Piecewise constant: no gradient flows; `sort` gathers the values.
 */
export const argsortOp = registerBuiltinOp<SortAttrs>({
  name: "argsort",
  arity: 1,
  canonicalize([x], attrs) {
    checkAttrNames("argsort", attrs, ["dim", "descending"]);
    return { dim: dimAttr("argsort", attrs, "dim", Math.max(x.shape.length, 1)), descending: booleanAttr("argsort", attrs, "descending", false) };
  },
  infer: ([x]) => ({ shape: x.shape, dtype: "int32" }),
  kernel([x], { dim, descending }) {
    const { outer, size, inner } = x.shape.length === 0 ? { outer: 1, size: 1, inner: 1 } : linesAlong(x.shape, dim);
    const result = allocate("int32", x.data.length);
    const order = Array.from({ length: size }, (_, i) => i);
    const line = new Float64Array(size);
    // NaN compares as the largest value; ties fall back to the index, which keeps the sort stable.
    const byValue = (i: number, j: number) => {
      const [a, b] = [line[i], line[j]];
      if (a !== a || b !== b) return a !== a ? (b !== b ? 0 : 1) : -1;
      return a < b ? -1 : a > b ? 1 : 0;
    };
    const compare = descending ? (i: number, j: number) => byValue(j, i) || i - j : (i: number, j: number) => byValue(i, j) || i - j;
    for (let o = 0; o < outer; o++) {
      for (let r = 0; r < inner; r++) {
        const base = o * size * inner + r;
        for (let i = 0; i < size; i++) {
          line[i] = x.data[base + i * inner];
          order[i] = i;
        }
        order.sort(compare);
        for (let i = 0; i < size; i++) result[base + i * inner] = order[i];
      }
    }
    return result;
  },
  vjp: "nondifferentiable",
  batch: batchAlongDim,
  /**
   * TopK of every element: ties keep the lower index first, the stable order. ONNX Runtime places
   * NaN erratically, so floats are sorted by a float64 key: NaN as +Infinity, +Infinity as the
   * largest double. Exact for float32; a float64 line holding both +Infinity and Number.MAX_VALUE
   * would order those two by index.
   */
  onnx: (b, [x], { dim, descending }) =>
    onnxScan(b, [x], { dim, reverse: false }, ([line], { shape }) => {
      // ONNX Runtime's TopK can crash the process on an empty input; an empty result is the input's shape in int32.
      if (shape.includes(0)) return b.cast(line, "int32");
      let key = b.cast(line, isFloat(x.dtype) ? "float64" : "int32");
      if (isFloat(x.dtype)) {
        const infinity = b.scalar(Infinity, "float64");
        key = b.op("Where", [b.op("Equal", [key, infinity]), b.scalar(Number.MAX_VALUE, "float64"), key]);
        key = b.op("Where", [b.op("IsNaN", [key]), infinity, key]);
      }
      const [, indices] = b.opOutputs("TopK", [key, b.int64s([shape[dim]])], { axis: dim, largest: descending ? 1 : 0, sorted: 1 }, 2);
      return b.cast(indices, "int32");
    }),
});

/** torch.argsort: the indices that sort `x` along `dim`, stably, NaN sorting as the largest value (as PyTorch). */
export function argsort(x: Tensor, dim = -1, descending = false): Tensor {
  return apply(argsortOp, [x], { dim, descending });
}
