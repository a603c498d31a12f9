import { allocate } from "../dtype";
import { apply } from "../ir/graph";
import { sizeOf, stridesOf } from "../shape";
import type { Tensor } from "../tensor";
import { expand } from "./expand";
import { checkGatherShapes, checkIndexValue } from "./indexing";
import { scatterAdd } from "./scatterAdd";
import { registerOp } from "./registry";
import { scalarNode } from "../ir/graph";

/** out[i][j] = x[i][index[i][j]] for dim 1 (and likewise for any dim), as torch.gather. */
export const gatherOp = registerOp<{ dim: number }>({
  name: "gather",
  arity: 2,
  infer([x, index], { dim }) {
    checkGatherShapes("gather", x, index, dim);
    return { shape: index.shape, dtype: x.dtype };
  },
  kernel([x, index], { dim }, out) {
    const result = allocate(out.dtype, sizeOf(out.shape));
    const xStrides = stridesOf(x.shape);
    const outStrides = stridesOf(out.shape);
    for (let i = 0; i < result.length; i++) {
      let src = 0;
      for (let d = 0, rest = i; d < out.shape.length; d++) {
        const coord = Math.floor(rest / outStrides[d]);
        rest -= coord * outStrides[d];
        if (d === dim) {
          const j = index.data[i];
          checkIndexValue("gather", j, dim, x.shape[dim]);
          src += j * xStrides[d];
        } else src += coord * xStrides[d];
      }
      result[i] = x.data[src];
    }
    return result;
  },
  vjp: (g, { inputs: [x, index], attrs: { dim } }) => [
    scatterAdd(expand(scalarNode(0, x.dtype), x.shape), dim, index, g),
    null,
  ],
});

export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return apply(gatherOp, [x, index], { dim: checkGatherShapes("gather", x, index, dim) });
}
