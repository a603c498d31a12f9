/**
 * What every init function does around its formula: check the tensor it overwrites, draw from the
 * generator in the tensor's dtype (float32 and float64 draws differ, as in PyTorch), and name
 * itself in every error, the generator's included.
 */
import { type FloatDType, type Generator, type Tensor, defaultGenerator, isFloat } from "@gradgraph/core";
import { checkGenerator, checkTensor } from "../validation";

/** Something an init function may overwrite in place: a leaf tensor (a parameter, a buffer, a constant) that is not shared. */
export function checkTarget(owner: string, tensor: unknown): asserts tensor is Tensor {
  checkTensor(owner, "tensor", tensor);
  if (!tensor.isLeaf) {
    throw new TypeError(`${owner}: expected a leaf tensor (a parameter, buffer or constant) to fill in place, got the output of '${tensor.op}' ${tensor.describe()}`);
  }
  if (tensor.frozen) throw new TypeError(`${owner}: ${tensor.describe()} is a shared constant and cannot be filled`);
}

/** `checkTarget` for the random initializations, which PyTorch defines for float tensors only; returns the dtype to draw in. */
export function floatTarget(owner: string, tensor: unknown): FloatDType {
  checkTarget(owner, tensor);
  if (!isFloat(tensor.dtype)) throw new TypeError(`${owner}: expected a float tensor, got ${tensor.dtype} ${tensor.describe()}`);
  return tensor.dtype;
}

/** The generator's own argument errors ("uniform_ expects from <= to") rethrown with the init function's name. */
function named<T>(owner: string, draw: () => T): T {
  try {
    return draw();
  } catch (err) {
    if (err instanceof RangeError) throw new RangeError(`${owner}: ${err.message}`, { cause: err });
    throw err;
  }
}

function drawArray(owner: string, dtype: FloatDType, size: number, generator: Generator | undefined): Float32Array | Float64Array {
  checkGenerator(owner, generator);
  return dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
}

/** `size` draws of `Tensor.uniform_(low, high)` in `dtype`. */
export function uniformDraws(owner: string, dtype: FloatDType, size: number, low: number, high: number, generator = defaultGenerator): Float32Array | Float64Array {
  const data = drawArray(owner, dtype, size, generator);
  named(owner, () => generator.fillUniform(data, low, high));
  return data;
}

/** `size` draws of `Tensor.normal_(mean, std)` in `dtype`. */
export function normalDraws(owner: string, dtype: FloatDType, size: number, mean: number, std: number, generator = defaultGenerator): Float32Array | Float64Array {
  const data = drawArray(owner, dtype, size, generator);
  named(owner, () => generator.fillNormal(data, mean, std));
  return data;
}
