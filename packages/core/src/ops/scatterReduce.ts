import type { DType } from "../basics/dtype";
import { describeValue, OpError } from "../basics/errors";
import { formatShape, sameShape } from "../basics/shape";
import { booleanAttr, checkAttrNames, dimAttr } from "../ir/attrs";
import { checkOptions, checkTensor } from "../ir/args";
import { apply, scalarNode } from "../ir/graph";
import { cast } from "./cast";
import { type Vjp } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { eq } from "./compare";
import { div } from "./div";
import { expand } from "./expand";
import { gather } from "./gather";
import type { OnnxBuilder, OnnxTensor, OnnxValue } from "../ir/onnx";
import { batchEveryInput, checkGatherShapes, indexedPositions, srcCoveredByIndex, srcForIndexOnnx } from "./indexing";
import { mul } from "./mul";
import { scatter } from "./scatter";
import { scatterAdd } from "./scatterAdd";
import { where } from "./where";

/** How `scatterReduce` combines the values that meet at one index (PyTorch's `reduce=`). */
export type ScatterReduction = "sum" | "prod" | "mean" | "amax" | "amin";
const reductions: readonly string[] = ["sum", "prod", "mean", "amax", "amin"] satisfies ScatterReduction[];

type ScatterReduceAttrs = { readonly dim: number; readonly reduce: ScatterReduction; readonly includeSelf: boolean };

/** How each reduction folds a value into a position; NaN wins amax and amin, as in PyTorch. */
const folds: Record<ScatterReduction, (acc: number, v: number, dtype: DType) => number> = {
  sum: (acc, v) => acc + v,
  mean: (acc, v) => acc + v,
  prod: (acc, v, dtype) => (dtype === "int32" ? Math.imul(acc, v) : acc * v),
  amax: (acc, v) => (v > acc || Number.isNaN(v) ? v : acc),
  amin: (acc, v) => (v < acc || Number.isNaN(v) ? v : acc),
};

/**
 * torch.scatter_reduce: out = x, with each src value folded into the position that gather would
 * read it from (`reduce`: sum, prod, mean, amax or amin), x's own value taking part unless
 * `includeSelf` is false; positions no index reaches keep x. An int32 mean floors, as PyTorch's.
 * The gradients are PyTorch's (scatter_reduce_backward), ties and zeros included: see the VJP.
 */
export const scatterReduceOp = registerBuiltinOp<ScatterReduceAttrs>({
  name: "scatterReduce",
  arity: 3,
  canonicalize([x], attrs) {
    checkAttrNames("scatterReduce", attrs, ["dim", "reduce", "includeSelf"]);
    if (!reductions.includes(attrs.reduce as string)) {
      throw new OpError("scatterReduce", `reduce argument must be either sum, prod, mean, amax or amin, got ${describeValue(attrs.reduce)}`);
    }
    return {
      dim: dimAttr("scatterReduce", attrs, "dim", x.shape.length),
      reduce: attrs.reduce as ScatterReduction,
      includeSelf: booleanAttr("scatterReduce", attrs, "includeSelf", true),
    };
  },
  infer([x, index, src], { dim }) {
    checkGatherShapes("scatterReduce", x, index, dim);
    if (!sameShape(index.shape, src.shape) || src.dtype !== x.dtype) {
      throw new OpError("scatterReduce", `src ${src.dtype} ${formatShape(src.shape)} must have index's shape ${formatShape(index.shape)} and self's dtype ${x.dtype}`);
    }
    return x;
  },
  kernel([x, index, src], { dim, reduce, includeSelf }) {
    const positions = indexedPositions("scatterReduce", index, dim, x.shape);
    const result = x.data.slice();
    const fold = folds[reduce];
    const reached = new Int32Array(result.length);
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i];
      result[p] = reached[p] === 0 && !includeSelf ? src.data[i] : fold(result[p], src.data[i], x.dtype);
      reached[p]++;
    }
    if (reduce === "mean") {
      const divide = x.dtype === "int32" ? (a: number, n: number) => Math.floor(a / n) : (a: number, n: number) => a / n;
      for (let p = 0; p < result.length; p++) if (reached[p] > 0) result[p] = divide(result[p], reached[p] + (includeSelf ? 1 : 0));
    }
    return result;
  },
  vjp: scatterReduceVjp,
  jvp(tangents, ctx) {
    const { inputs: [x, index, src], output, attrs: { dim, reduce, includeSelf } } = ctx;
    const [selfTangent, , srcTangent] = tangents;
    // Linear in x and src together (a mean's counts depend on index alone).
    if (reduce === "sum" || reduce === "mean") return scatterReduce(selfTangent ?? zerosLike(x), dim, index, srcTangent ?? zerosLike(src), reduce, { includeSelf });
    // Each element of x and src reaches one output position, so the VJP of a cotangent of ones gives
    // each its partial derivative there (ties shared as the VJP shares them): J·t adds them up.
    const needs = [selfTangent !== null, false, srcTangent !== null];
    const [selfSlope, , srcSlope] = scatterReduceVjp(onesLike(output), { ...ctx, needs });
    const fromSelf = selfTangent === null ? null : mul(selfSlope!, selfTangent);
    return srcTangent === null ? fromSelf : scatterAdd(fromSelf ?? zerosLike(x), dim, index, mul(srcSlope!, srcTangent));
  },
  batch: batchEveryInput,
  onnx: (b, [x, index, src], attrs) => scatterReduceOnnx(b, x, index, srcForIndexOnnx(b, src, index.shape), attrs),
});

/**
 * ONNX 17's ScatterElements adds and multiplies, but has no max or min (opset 18) and no mean:
 * amax/amin write src sorted along dim so that the extreme value is written last (ONNX Runtime
 * writes in index order, as scatter's mapping relies on too; NaN does not win there), and a mean
 * is a sum divided by its count, floored for int32 as PyTorch's.
 */
function scatterReduceOnnx(b: OnnxBuilder, x: OnnxTensor, index: OnnxTensor, src: OnnxValue, { dim, reduce, includeSelf }: ScatterReduceAttrs): OnnxValue {
  const scatterInto = (base: OnnxValue, values: OnnxValue, reduction?: string, at: OnnxValue = index) =>
    b.op("ScatterElements", [base, at, values], { axis: dim, reduction });
  if (reduce === "amax" || reduce === "amin") {
    // An empty index writes nothing, and ONNX Runtime's TopK crashes on an empty tensor with a nonzero axis.
    const sortedWrite = () => {
      const [sorted, order] = b.opOutputs("TopK", [src, b.int64s([index.shape[dim]])], { axis: dim, largest: reduce === "amin" ? 1 : 0, sorted: 1 }, 2);
      return scatterInto(x, sorted, undefined, b.op("GatherElements", [index, order], { axis: dim }));
    };
    const written = index.shape.includes(0) ? scatterInto(x, src) : sortedWrite();
    return includeSelf ? b.op(reduce === "amax" ? "Max" : "Min", [x, written]) : written;
  }
  const filled = (value: number, shape: readonly number[]) => b.op("Expand", [b.scalar(value, x.dtype), b.int64s(shape)]);
  const counts = () => scatterInto(filled(0, x.shape), filled(1, index.shape), "add");
  // Without includeSelf, the reached positions start from the reduction's identity instead of x.
  const start = (identity: number) => (includeSelf ? x : b.op("Where", [b.op("Greater", [counts(), b.scalar(0, x.dtype)]), b.scalar(identity, x.dtype), x]));
  if (reduce === "sum") return scatterInto(start(0), src, "add");
  if (reduce === "prod") return scatterInto(start(1), src, "mul");
  const total = scatterInto(start(0), src, "add");
  // Unreached positions keep x: divided by 1.
  const count = includeSelf ? b.op("Add", [counts(), b.scalar(1, x.dtype)]) : b.op("Max", [counts(), b.scalar(1, x.dtype)]);
  if (x.dtype !== "int32") return b.op("Div", [total, count]);
  return b.cast(b.op("Floor", [b.op("Div", [b.cast(total, "float64"), b.cast(count, "float64")])]), "int32");
}

function scatterReduceVjp(...[g, { inputs: [x, index, src], output, attrs: { dim, reduce, includeSelf }, needs }]: Parameters<Vjp<ScatterReduceAttrs>>): (Tensor | null)[] {
  const [gradSelf, gradSrc] = reductionGradients[reduce]({ g, x, index, src, result: output, dim, includeSelf, needs: [needs[0], needs[2]] });
  // Without includeSelf, x's value at a reached position took no part: it gets no gradient there.
  return [gradSelf === null || includeSelf ? gradSelf : scatter(gradSelf, dim, index, 0), null, gradSrc];
}

interface GradientContext {
  readonly g: Tensor;
  readonly x: Tensor;
  readonly index: Tensor;
  readonly src: Tensor;
  readonly result: Tensor;
  readonly dim: number;
  readonly includeSelf: boolean;
  /** Whether x's and src's gradients are asked for. */
  readonly needs: readonly [boolean, boolean];
}
type ReductionGradient = (c: GradientContext) => [Tensor | null, Tensor | null];

const zerosLike = (t: Tensor) => expand(scalarNode(0, t.dtype), t.shape);
const onesLike = (t: Tensor) => expand(scalarNode(1, t.dtype), t.shape);

/** PyTorch's scatter_reduce_backward, reduction by reduction, in registered ops. */
const reductionGradients: Record<ScatterReduction, ReductionGradient> = {
  sum: ({ g, index, dim, needs }) => [needs[0] ? g : null, needs[1] ? gather(g, dim, index) : null],
  mean({ g, x, index, src, dim, includeSelf, needs }) {
    // Each position's count of contributors, at least 1 (an unreached position divides g by 1).
    const reached = scatterAdd(includeSelf ? onesLike(x) : zerosLike(x), dim, index, onesLike(src));
    const count = where(eq(reached, 0), 1, reached);
    return [needs[0] ? div(g, count) : null, needs[1] ? div(gather(g, dim, index), gather(count, dim, index)) : null];
  },
  prod({ g, x, index, src, result, dim, includeSelf, needs }) {
    // x's gradient is the product of the other factors, never divided by a zero: x's zeros count as 1 there.
    const selfOnes = where(eq(x, 0), 1, x);
    return [
      needs[0] ? div(mul(g, scatterReduce(selfOnes, dim, index, src, "prod", { includeSelf })), selfOnes) : null,
      needs[1] ? prodSrcGradient(g, x, index, src, result, dim, includeSelf) : null,
    ];
  },
  amax: extremumGradient,
  amin: extremumGradient,
};

/**
 * A src zero alone at its position gets g times the product of the others there (computed with it
 * taken as 1); any other src value gets g·result/src, which is 0 where two or more zeros meet.
 */
function prodSrcGradient(g: Tensor, x: Tensor, index: Tensor, src: Tensor, result: Tensor, dim: number, includeSelf: boolean): Tensor {
  const srcZero = eq(src, 0);
  const zerosThere = gather(scatterAdd(zerosLike(x), dim, index, cast(srcZero, x.dtype)), dim, index);
  const loneZero = mul(srcZero, eq(zerosThere, 1));
  const othersProduct = scatterReduce(x, dim, index, where(loneZero, 1, src), "prod", { includeSelf });
  return where(loneZero, gather(mul(g, othersProduct), dim, index), div(gather(mul(g, result), dim, index), where(srcZero, 1, src)));
}

/** amax/amin: g is shared evenly among the values equal to the result (x's own counted even without includeSelf, as PyTorch). */
function extremumGradient({ g, x, index, src, result, dim, needs }: GradientContext): [Tensor | null, Tensor | null] {
  const selfWins = eq(x, result);
  const srcWins = eq(src, gather(result, dim, index));
  const share = div(g, scatterAdd(cast(selfWins, g.dtype), dim, index, cast(srcWins, g.dtype)));
  return [needs[0] ? mul(selfWins, share) : null, needs[1] ? mul(srcWins, gather(share, dim, index)) : null];
}

/**
 * `scatter_reduce(x, dim, index, src, reduce, { includeSelf })`: src as large as index or larger
 * (only the part index covers is read, as in PyTorch).
 */
export function scatterReduce(x: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduction, options?: { includeSelf?: boolean }): Tensor {
  const { includeSelf = true } = checkOptions("scatterReduce", options, ["includeSelf"]);
  checkTensor("scatterReduce", "input", x);
  checkTensor("scatterReduce", "index", index);
  checkTensor("scatterReduce", "src", src);
  return apply(scatterReduceOp, [x, index, srcCoveredByIndex("scatterReduce", src, index)], { dim, reduce, includeSelf });
}
