import { OpError } from "../basics/errors";
import { formatShape, sameShape } from "../basics/shape";
import { checkTensor } from "../ir/args";
import { apply, scalarNode } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import { Tensor, type TensorLike } from "../ir/tensor";
import { expand } from "./expand";
import { gather } from "./gather";
import { batchEveryInput, canonicalizeIndexDim, checkGatherShapes, indexedPositions, srcCoveredByIndex, srcForIndexOnnx } from "./indexing";

/**
 * out = x; out[i][index[i][j]] = src[i][j] for dim 1 (likewise for any dim), as torch.scatter.
 * Written twice, a position keeps the value written last in row-major order of index (PyTorch
 * leaves that undefined; its CPU loop does the same). Gradients as PyTorch's: src gets g gathered
 * back (each of a repeated position gets all of g there), x gets g with the scattered positions zeroed.
 */
export const scatterOp = registerBuiltinOp<{ readonly dim: number }>({
  name: "scatter",
  arity: 3,
  canonicalize: canonicalizeIndexDim("scatter"),
  infer([x, index, src], { dim }) {
    checkGatherShapes("scatter", x, index, dim);
    if (!sameShape(index.shape, src.shape) || src.dtype !== x.dtype) {
      throw new OpError("scatter", `src ${src.dtype} ${formatShape(src.shape)} must have index's shape ${formatShape(index.shape)} and self's dtype ${x.dtype}`);
    }
    return x;
  },
  kernel([x, index, src], { dim }) {
    const positions = indexedPositions("scatter", index, dim, x.shape);
    const result = x.data.slice();
    for (let i = 0; i < positions.length; i++) result[positions[i]] = src.data[i];
    return result;
  },
  vjp: (g, { inputs: [, index], attrs: { dim }, needs }) => [
    needs[0] ? scatter(g, dim, index, 0) : null,
    null,
    needs[2] ? gather(g, dim, index) : null,
  ],
  // Linear in x and src together: the positions written over depend on index alone.
  jvp: "linear",
  batch: batchEveryInput,
  onnx: (b, [x, index, src], { dim }) => b.op("ScatterElements", [x, index, srcForIndexOnnx(b, src, index.shape)], { axis: dim }),
});

/**
 * `scatter(x, dim, index, src)` with src a tensor (as large as index or larger: only the part
 * index covers is read, as in PyTorch) or a number written at every indexed position.
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: TensorLike): Tensor {
  checkTensor("scatter", "input", x);
  checkTensor("scatter", "index", index);
  if (src instanceof Tensor) return apply(scatterOp, [x, index, srcCoveredByIndex("scatter", src, index)], { dim });
  if (typeof src !== "number") throw new OpError("scatter", `src must be a Tensor or a number, got ${src === null ? "null" : typeof src}`);
  return apply(scatterOp, [x, index, expand(scalarNode(src, x.dtype), index.shape)], { dim });
}
