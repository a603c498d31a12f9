/**
 * The functional API: every registered op's builder, plus the composites built from them
 * (mean, softmax, stack, ...), which need no kernel or gradient of their own.
 */
import { type DType, isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { normalizeDim, type Shape, sizeOf } from "../basics/shape";
import { scalarNode } from "../ir/graph";
import { checkTensor, checkTensorList, describeValue } from "../ir/args";
import type { Tensor, TensorLike } from "../ir/tensor";
import { add } from "../ops/add";
import { concat } from "../ops/concat";
import { detach } from "../ops/detach";
import { div } from "../ops/div";
import { exp } from "../ops/exp";
import { log } from "../ops/log";
import { mul } from "../ops/mul";
import { reshape } from "../ops/reshape";
import { slice } from "../ops/slice";
import { sub } from "../ops/sub";
import { sum } from "../ops/sum";
import { isinf } from "../ops/isinf";
import { reduceAttrs } from "../ops/reduction";
import { where } from "../ops/where";
import { cast as castNode } from "../ops/cast";
import { clamp as clampNode } from "../ops/clamp";
import { relu6 as relu6Node } from "../ops/hardtanh";
import { lerp as lerpNode } from "../ops/lerp";
import { unbroadcast as unbroadcastNode } from "../ops/unbroadcast";
import { asCalled, checkTensorOrNumberArgument } from "./arguments";
import { amax } from "./reductions";

export { abs } from "../ops/abs";
export { acos } from "../ops/acos";
export { acosh } from "../ops/acosh";
export { add } from "../ops/add";
export { asin } from "../ops/asin";
export { asinh } from "../ops/asinh";
export { atan } from "../ops/atan";
export { atan2 } from "../ops/atan2";
export { atanh } from "../ops/atanh";
export { ceil } from "../ops/ceil";
export { celu } from "../ops/celu";
export { eq, ge, gt, le, lt, ne } from "../ops/compare";
export { concat } from "../ops/concat";
export { copysign } from "../ops/copysign";
export { cos } from "../ops/cos";
export { cosh } from "../ops/cosh";
export { detach } from "../ops/detach";
export { div } from "../ops/div";
export { elu } from "../ops/elu";
export { erf } from "../ops/erf";
export { erfc } from "../ops/erfc";
export { exp } from "../ops/exp";
export { exp2 } from "../ops/exp2";
export { expand } from "../ops/expand";
export { expm1 } from "../ops/expm1";
export { floor } from "../ops/floor";
export { floorDivide } from "../ops/floorDivide";
export { fmod } from "../ops/fmod";
export { frac } from "../ops/frac";
export { gather } from "../ops/gather";
export { gelu } from "../ops/gelu";
export { hardsigmoid } from "../ops/hardsigmoid";
export { hardswish } from "../ops/hardswish";
export { hardtanh } from "../ops/hardtanh";
export { hypot } from "../ops/hypot";
export { indexAdd } from "../ops/indexAdd";
export { indexSelect } from "../ops/indexSelect";
export { isfinite } from "../ops/isfinite";
export { isinf } from "../ops/isinf";
export { isnan } from "../ops/isnan";
export { leakyRelu } from "../ops/leakyRelu";
export { log } from "../ops/log";
export { log10 } from "../ops/log10";
export { log1p } from "../ops/log1p";
export { log2 } from "../ops/log2";
export { logAddExp } from "../ops/logAddExp";
export { logSigmoid } from "../ops/logSigmoid";
export { matmul } from "../ops/matmul";
export { maximum, minimum } from "../ops/minmax";
export { mish } from "../ops/mish";
export { mul } from "../ops/mul";
export { nanToNum } from "../ops/nanToNum";
export { neg } from "../ops/neg";
export { permute } from "../ops/permute";
export { pow } from "../ops/pow";
export { reciprocal } from "../ops/reciprocal";
export { relu } from "../ops/relu";
export { remainder } from "../ops/remainder";
export { reshape } from "../ops/reshape";
export { round } from "../ops/round";
export { rsqrt } from "../ops/rsqrt";
export { scatterAdd } from "../ops/scatterAdd";
export { advancedIndex } from "../ops/advancedIndex";
export { indexPut } from "../ops/indexPut";
export { scatter } from "../ops/scatter";
export { scatterReduce, type ScatterReduction } from "../ops/scatterReduce";
export * from "./indexing";
export * from "./conv";
export { selu } from "../ops/selu";
export { sigmoid } from "../ops/sigmoid";
export { sign } from "../ops/sign";
export { silu } from "../ops/silu";
export { sin } from "../ops/sin";
export { sinh } from "../ops/sinh";
export { slice } from "../ops/slice";
export { sliceBackward } from "../ops/sliceBackward";
export { softplus } from "../ops/softplus";
export { softsign } from "../ops/softsign";
export { sqrt } from "../ops/sqrt";
export { square } from "../ops/square";
export { sub } from "../ops/sub";
export { sum } from "../ops/sum";
export { tan } from "../ops/tan";
export { tanh } from "../ops/tanh";
export { transpose } from "../ops/transpose";
export { trunc } from "../ops/trunc";
export { logicalAnd, logicalNot, logicalOr, logicalXor } from "../ops/logical";
export { all, any } from "../ops/truth";
export * from "./reductions";
export * from "./nn";
export * from "./layout";
export { where } from "../ops/where";

/** torch.mean: the mean over `dim` (every dim if left out) of a float tensor. */
export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  checkTensor("mean", "input", x);
  if (!isFloat(x.dtype)) throw new OpError("mean", `expected a float tensor, got ${x.dtype}`);
  const { dims } = reduceAttrs("mean", x, dim, keepdim);
  const count = sizeOf(dims.map((d) => x.shape[d]));
  return div(sum(x, dim, keepdim), scalarNode(count, x.dtype));
}

/**
 * What softmax and logSumExp subtract before exp so that large inputs do not overflow: the
 * (constant) max along `dim`. An empty dim has no max and nothing to overflow, so nothing is
 * subtracted: softmax then is empty and logSumExp -Infinity (log of an empty sum), as in PyTorch.
 */
function stabilizer(op: string, x: Tensor, dim: number): TensorLike {
  return x.shape[normalizeDim(op, dim, x.shape.length)] === 0 ? 0 : detach(amax(x, dim, true));
}

/** log(sum(exp(x))) over `dim`, shifted by the (constant) max so large inputs do not overflow. */
export function logSumExp(x: Tensor, dim: number, keepdim = false): Tensor {
  checkTensor("logSumExp", "input", x);
  // An infinite max is not subtracted (inf - inf would be NaN): the sum then holds the infinity itself, as PyTorch's logsumexp.
  const max = stabilizer("logSumExp", x, dim);
  const shift = typeof max === "number" ? max : where(isinf(max), 0, max);
  const result = add(log(sum(exp(sub(x, shift)), dim, true)), shift);
  return keepdim ? result : squeeze(result, dim);
}

/** torch.log_softmax: `x - logSumExp(x, dim)`, without overflow. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkTensor("logSoftmax", "input", x);
  return asCalled("logSoftmax", () => sub(x, logSumExp(x, dim, true)));
}

/** torch.softmax: `exp(x) / sum(exp(x))` along `dim`, shifted by the maximum so that nothing overflows. */
export function softmax(x: Tensor, dim: number): Tensor {
  checkTensor("softmax", "input", x);
  const shifted = exp(sub(x, stabilizer("softmax", x, dim)));
  return div(shifted, sum(shifted, dim, true));
}

/** torch.unsqueeze: a size-1 dim inserted at `dim`. */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor("unsqueeze", "input", x);
  const d = normalizeDim("unsqueeze", dim, x.shape.length + 1);
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** Removes `dim` if it has size 1, or every size-1 dim when `dim` is omitted (as PyTorch). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  checkTensor("squeeze", "input", x);
  if (dim === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const d = normalizeDim("squeeze", dim, x.shape.length);
  return x.shape[d] === 1 ? reshape(x, x.shape.filter((_, i) => i !== d)) : x;
}

/** torch.stack: the tensors (all of one shape) joined along a new dim `dim`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  checkTensorList("stack", "tensors", tensors);
  if (tensors.length === 0) throw new OpError("stack", "expected a non-empty list of tensors");
  const d = normalizeDim("stack", dim, tensors[0].shape.length + 1);
  return concat(tensors.map((t) => unsqueeze(t, d)), d);
}

/** `x.select(dim, i)`: one index along `dim`, which is dropped (negative `i` counts from the end). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor("select", "input", x);
  const d = normalizeDim("select", dim, x.shape.length);
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new OpError("select", `index ${index} is out of range for dimension ${d} with size ${size}`);
  }
  const i = index < 0 ? index + size : index;
  return squeeze(slice(x, d, i, i + 1), d);
}



// The doors of ops whose builders trust their arguments (they are called from gradients with
// tensors they built): a user's call is checked here first.

/** torch.Tensor.to(dtype): the values in `dtype` (NaN and ±Infinity to int32 as PyTorch's casts). */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor("cast", "input", x);
  return castNode(x, dtype);
}

/** torch.clamp: into [min, max]; either bound (a number or a tensor, broadcast) may be left out, not both. */
export function clamp(x: Tensor, min?: TensorLike, max?: TensorLike): Tensor {
  checkTensor("clamp", "input", x);
  if (min !== undefined) checkTensorOrNumberArgument("clamp", "min", 2, min);
  if (max !== undefined) checkTensorOrNumberArgument("clamp", "max", 3, max);
  return clampNode(x, min, max);
}

/** clamp's alias, as in PyTorch (whose errors name clamp too). */
export const clip = clamp;

/** hardtanh(x, 0, 6), as PyTorch defines relu6. */
export function relu6(x: Tensor): Tensor {
  checkTensor("relu6", "input", x);
  return relu6Node(x);
}

/** torch.lerp: `start + weight * (end - start)`; the weight may be a number. */
export function lerp(start: Tensor, end: Tensor, weight: TensorLike): Tensor {
  checkTensor("lerp", "input", start);
  checkTensor("lerp", "end", end);
  checkTensorOrNumberArgument("lerp", "weight", 3, weight);
  return lerpNode(start, end, weight);
}

/** A broadcast gradient summed back to `shape`, the shape of the operand it was broadcast from. */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  checkTensor("unbroadcast", "gradient", g);
  if (!Array.isArray(shape)) throw new OpError("unbroadcast", `shape must be a list of sizes, got ${describeValue(shape)}`);
  return asCalled("unbroadcast", () => unbroadcastNode(g, shape));
}
