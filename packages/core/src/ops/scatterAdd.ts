import { OpError } from "../errors";
import { apply } from "../ir/graph";
import { formatShape, sameShape, stridesOf } from "../shape";
import type { Tensor } from "../tensor";
import { gather } from "./gather";
import { checkGatherShapes, checkIndexValue } from "./indexing";
import { registerOp } from "./registry";

/** out = base; out[...index[i]...] += src[i] along `dim`: the gradient of gather. */
export const scatterAddOp = registerOp<{ dim: number }>({
  name: "scatterAdd",
  arity: 3,
  infer([base, index, src], { dim }) {
    checkGatherShapes("scatterAdd", base, index, dim);
    if (!sameShape(index.shape, src.shape) || src.dtype !== base.dtype) {
      throw new OpError("scatterAdd", `src ${src.dtype} ${formatShape(src.shape)} must have index's shape ${formatShape(index.shape)} and base's dtype ${base.dtype}`);
    }
    return base;
  },
  kernel([base, index, src], { dim }, out) {
    const result = base.data.slice();
    const baseStrides = stridesOf(base.shape);
    const srcStrides = stridesOf(src.shape);
    for (let i = 0; i < src.data.length; i++) {
      let dst = 0;
      for (let d = 0, rest = i; d < src.shape.length; d++) {
        const coord = Math.floor(rest / srcStrides[d]);
        rest -= coord * srcStrides[d];
        if (d === dim) {
          const j = index.data[i];
          checkIndexValue("scatterAdd", j, dim, out.shape[dim]);
          dst += j * baseStrides[d];
        } else dst += coord * baseStrides[d];
      }
      result[dst] += src.data[i];
    }
    return result;
  },
  vjp: (g, { inputs: [, index], attrs: { dim }, needs }) => [g, null, needs[2] ? gather(g, dim, index) : null],
});

export function scatterAdd(base: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return apply(scatterAddOp, [base, index, src], { dim: checkGatherShapes("scatterAdd", base, index, dim) });
}
