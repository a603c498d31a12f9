import { OpError } from "../basics/errors";
import { checkTensor } from "../ir/args";
import { apply } from "../ir/graph";
import { formatShape, sameShape } from "../basics/shape";
import type { Tensor } from "../ir/tensor";
import { gather } from "./gather";
import { addedIntoJvp, batchEveryInput, canonicalizeIndexDim, checkGatherShapes, indexedPositions, srcCoveredByIndex, srcForIndexOnnx } from "./indexing";
import { registerBuiltinOp } from "./builtinOp";

/** out = base; out[...index[i]...] += src[i] along `dim`: the gradient of gather. */
export const scatterAddOp = registerBuiltinOp<{ readonly dim: number }>({
  name: "scatterAdd",
  arity: 3,
  canonicalize: canonicalizeIndexDim("scatterAdd"),
  infer([base, index, src], { dim }) {
    checkGatherShapes("scatterAdd", base, index, dim);
    if (!sameShape(index.shape, src.shape) || src.dtype !== base.dtype) {
      throw new OpError("scatterAdd", `src ${src.dtype} ${formatShape(src.shape)} must have index's shape ${formatShape(index.shape)} and base's dtype ${base.dtype}`);
    }
    return base;
  },
  kernel([base, index, src], { dim }) {
    const positions = indexedPositions("scatterAdd", index, dim, base.shape);
    const result = base.data.slice();
    for (let i = 0; i < positions.length; i++) result[positions[i]] += src.data[i];
    return result;
  },
  vjp: (g, { inputs: [, index], attrs: { dim }, needs }) => [g, null, needs[2] ? gather(g, dim, index) : null],
  jvp: addedIntoJvp(2),
  batch: batchEveryInput,
  onnx: (b, [x, index, src], { dim }) => b.op("ScatterElements", [x, index, srcForIndexOnnx(b, src, index.shape)], { axis: dim, reduction: "add" }),
});

/** src may be larger than index: only the part index covers is read, as in PyTorch. */
export function scatterAdd(base: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkTensor("scatterAdd", "input", base);
  checkTensor("scatterAdd", "index", index);
  checkTensor("scatterAdd", "src", src);
  return apply(scatterAddOp, [base, index, srcCoveredByIndex("scatterAdd", src, index)], { dim });
}
