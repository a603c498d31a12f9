import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { convolveWeightGrad } from "../kernels/conv";
import { conv } from "./conv";
import { convTranspose } from "./convTranspose";
import { checkConvOperands, convAttrs, convGeometry, paddingAttr, sharedAttrs, sizeAttr, spatialRankOf, type WeightGradAttrs } from "./convolution";

/**
 * conv's weight gradient: for x (N, C, ...) and the output gradient g (N, O, ...), the weight
 * (O, C/groups, ...kernelSize) whose entry (o, c, p) sums g[n, o, i]·x[n, group(o)·C/groups + c,
 * i·stride − padding + p·dilation] over samples and windows. Its own gradients are the other two
 * convolutions, with the gradient it gets as their weight.
 */
export const convWeightBackwardOp = registerOp<WeightGradAttrs>({
  name: "convWeightBackward",
  arity: 2,
  canonicalize([x, g], attrs) {
    checkAttrNames("convWeightBackward", attrs, ["stride", "padding", "dilation", "groups", "kernelSize"]);
    const spatial = spatialRankOf("convWeightBackward", x);
    const shared = { ...convAttrs("convWeightBackward", attrs, spatial), padding: paddingAttr("convWeightBackward", attrs, spatial) };
    return { ...shared, kernelSize: sizeAttr("convWeightBackward", attrs, "kernelSize", spatial) };
  },
  infer([x, g], { groups, kernelSize }) {
    const spatial = spatialRankOf("convWeightBackward", x);
    checkConvOperands("convWeightBackward", x, g, "gradient");
    if (g.shape[0] !== x.shape[0] || x.shape[1] % groups !== 0 || g.shape[1] % groups !== 0) {
      throw new OpError("convWeightBackward", `input ${formatShape(x.shape)} and gradient ${formatShape(g.shape)} need one batch size and channel counts that groups=${groups} divides`);
    }
    if (kernelSize.length !== spatial) throw new OpError("convWeightBackward", `kernelSize ${formatShape(kernelSize)} does not have the input's ${spatial} spatial dims`);
    return { shape: [g.shape[1], x.shape[1] / groups, ...kernelSize], dtype: x.dtype };
  },
  kernel: ([x, g], attrs, out) => convolveWeightGrad(x.data, g.data, convGeometry(x.shape, g.shape, attrs.kernelSize, attrs), out.dtype),
  vjp: (gw, { inputs: [x, g], attrs, needs }) => [
    needs[0] ? convTranspose(g, gw, undefined, { ...sharedAttrs(attrs), outputSize: x.shape.slice(2) }) : null,
    needs[1] ? conv(x, gw, undefined, { ...sharedAttrs(attrs), outputSize: g.shape.slice(2) }) : null,
  ],
});

/** The convWeightBackward node of `x` and the output gradient `g` (attributes in any form `convWeightBackwardOp` reads). */
export function convWeightBackward(x: Tensor, g: Tensor, attrs: Attrs): Tensor {
  return apply(convWeightBackwardOp, [x, g], attrs);
}
