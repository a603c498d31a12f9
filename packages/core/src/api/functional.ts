/**
 * The functional API: every registered op's builder, plus the composites built from them
 * (mean, softmax, stack, ...), which need no kernel or gradient of their own.
 */
import { isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { normalizeDim, sizeOf } from "../basics/shape";
import { scalarNode } from "../ir/graph";
import { checkTensor, checkTensorList } from "../ir/args";
import type { Tensor, TensorLike } from "../ir/tensor";
import { add } from "../ops/add";
import { concat } from "../ops/concat";
import { detach } from "../ops/detach";
import { div } from "../ops/div";
import { exp } from "../ops/exp";
import { log } from "../ops/log";
import { max } from "../ops/max";
import { maximum as maximumOf, minimum as minimumOf } from "../ops/minmax";
import { mul } from "../ops/mul";
import { reshape } from "../ops/reshape";
import { slice } from "../ops/slice";
import { sub } from "../ops/sub";
import { sum } from "../ops/sum";
import { reduceAttrs } from "../ops/reduction";

export { abs } from "../ops/abs";
export { add } from "../ops/add";
export { cast } from "../ops/cast";
export { eq, ge, gt, le, lt, ne } from "../ops/compare";
export { concat } from "../ops/concat";
export { detach } from "../ops/detach";
export { div } from "../ops/div";
export { exp } from "../ops/exp";
export { expand } from "../ops/expand";
export { floorDivide } from "../ops/floorDivide";
export { gather } from "../ops/gather";
export { indexAdd } from "../ops/indexAdd";
export { indexSelect } from "../ops/indexSelect";
export { log } from "../ops/log";
export { matmul } from "../ops/matmul";
export { max } from "../ops/max";
export { maximum, minimum } from "../ops/minmax";
export { mul } from "../ops/mul";
export { neg } from "../ops/neg";
export { permute } from "../ops/permute";
export { pow } from "../ops/pow";
export { relu } from "../ops/relu";
export { remainder } from "../ops/remainder";
export { reshape } from "../ops/reshape";
export { scatterAdd } from "../ops/scatterAdd";
export { sigmoid } from "../ops/sigmoid";
export { sign } from "../ops/sign";
export { slice } from "../ops/slice";
export { sliceBackward } from "../ops/sliceBackward";
export { sqrt } from "../ops/sqrt";
export { sub } from "../ops/sub";
export { sum } from "../ops/sum";
export { tanh } from "../ops/tanh";
export { transpose } from "../ops/transpose";
export { where } from "../ops/where";
export { unbroadcast } from "../ops/unbroadcast";

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
  return x.shape[normalizeDim(op, dim, x.shape.length)] === 0 ? 0 : detach(max(x, dim, true));
}

/** log(sum(exp(x))) over `dim`, shifted by the (constant) max so large inputs do not overflow. */
export function logSumExp(x: Tensor, dim: number, keepdim = false): Tensor {
  checkTensor("logSumExp", "input", x);
  const shift = stabilizer("logSumExp", x, dim);
  const result = add(log(sum(exp(sub(x, shift)), dim, true)), shift);
  return keepdim ? result : squeeze(result, dim);
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkTensor("logSoftmax", "input", x);
  return sub(x, logSumExp(x, dim, true));
}

export function softmax(x: Tensor, dim: number): Tensor {
  checkTensor("softmax", "input", x);
  const shifted = exp(sub(x, stabilizer("softmax", x, dim)));
  return div(shifted, sum(shifted, dim, true));
}

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

export function square(x: Tensor): Tensor {
  checkTensor("square", "input", x);
  return mul(x, x);
}

export function clamp(x: Tensor, min?: TensorLike, maxValue?: TensorLike): Tensor {
  checkTensor("clamp", "input", x);
  let result = x;
  if (min !== undefined) result = maximumOf(result, min);
  if (maxValue !== undefined) result = minimumOf(result, maxValue);
  return result;
}
