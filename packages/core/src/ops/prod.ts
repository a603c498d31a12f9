import { apply, scalarNode } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { expand } from "./expand";
import { linearScan } from "./linearScan";
import { mul } from "./mul";
import { permute } from "./permute";
import { batchReduction, canonicalizeReduction, type ReduceAttrs, reducedShape, reductionRule } from "./reduction";
import { reshape } from "./reshape";
import { reductionKernel } from "./ruleKernels";
import { shifted } from "./shift";
import { sum } from "./sum";

const rule = reductionRule(1, "acc * v");

/**
 * The product of every element but each one itself, along the last dim: the running products
 * from the left and from the right, each shifted by one. Exact with zeros, where grad · result / x
 * (0 / 0) is not: PyTorch's prod_backward treats inputs with zeros separately for the same reason.
 */
function productOfOthers(x: Tensor): Tensor {
  const dim = x.shape.length - 1;
  const zero = expand(scalarNode(0, x.dtype), x.shape);
  const fromLeft = linearScan(shifted(x, { dim, reverse: false }, 1), zero, { dim, initial: 1 });
  const fromRight = linearScan(shifted(x, { dim, reverse: true }, 1), zero, { dim, reverse: true, initial: 1 });
  return mul(fromLeft, fromRight);
}

/** For each element of x, the product of the others in its line over `dims`, in x's shape. */
function productOfOthersOver(x: Tensor, dims: readonly number[]): Tensor {
  // The reduced dims go last, merged into one line per output element.
  const kept = x.shape.map((_, d) => d).filter((d) => !dims.includes(d));
  const order = [...kept, ...dims];
  const moved = permute(x, order);
  const lineLength = dims.reduce((n, d) => n * x.shape[d], 1);
  const others = reshape(productOfOthers(reshape(moved, [...kept.map((d) => x.shape[d]), lineLength])), moved.shape);
  return permute(others, order.map((_, d) => order.indexOf(d)));
}

/** The product over dims (all when omitted), PyTorch's torch.prod; the empty product is 1. */
export const prodOp = registerBuiltinOp<ReduceAttrs>({
  name: "prod",
  arity: 1,
  canonicalize: canonicalizeReduction("prod"),
  infer: ([x], attrs) => ({ shape: reducedShape(x, attrs), dtype: x.dtype === "bool" ? "int32" : x.dtype }),
  kernel: reductionKernel(rule),
  vjp(g, { inputs: [x], attrs }) {
    const spread = expand(reshape(g, reducedShape(x, { ...attrs, keepdim: true })), x.shape);
    return [mul(spread, productOfOthersOver(x, attrs.dims))];
  },
  // d(prod) = Σ t_i · (the product of the others): the VJP's factor, so zeros stay exact here too.
  jvp: ([t], { inputs: [x], attrs }) => sum(mul(t!, productOfOthersOver(x, attrs.dims)), attrs.dims, attrs.keepdim),
  batch: batchReduction,
  reduction: rule,
  onnx: (b, [x], { dims, keepdim }, out) =>
    dims.length === 0 ? b.cast(x, out.dtype) : b.op("ReduceProd", [b.cast(x, out.dtype)], { axes: dims, keepdims: keepdim ? 1 : 0 }),
});

/**
 * torch.prod: the product over `dim` (every dim if left out), with PyTorch's gradient where elements are 0.
 */
export function prod(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return apply(prodOp, [x], dim === undefined ? { keepdim } : { dims: dim, keepdim });
}
