/**
 * PyTorch's parameter initializations (torch.nn.init), drawn from the core's torch-compatible
 * generator. After `manualSeed(s)`, building the same modules in the same order gives the same
 * float32 parameters as PyTorch bit for bit (uniform draws; normal draws match up to the last bit
 * of a few values, see `Generator.fillNormal`). Each function fills a leaf in place.
 */
import { type Generator, type Tensor, defaultGenerator } from "@gradgraph/core";
import { checkFiniteNumber, checkGenerator, checkTensor, describeValue } from "./validation";

function freshArray(owner: string, tensor: Tensor, generator: Generator): Float32Array | Float64Array {
  checkTensor(owner, "tensor", tensor);
  checkGenerator(owner, generator);
  if (tensor.dtype === "int32") throw new TypeError(`${owner}: expected a float tensor, got int32 ${tensor}`);
  return tensor.dtype === "float64" ? new Float64Array(tensor.size) : new Float32Array(tensor.size);
}

/** `torch.nn.init.uniform_(tensor, low, high)`. */
export function fillUniform(tensor: Tensor, low: number, high: number, generator: Generator = defaultGenerator): Tensor {
  const data = freshArray("fillUniform", tensor, generator);
  checkFiniteNumber("fillUniform", "low", low);
  checkFiniteNumber("fillUniform", "high", high);
  generator.fillUniform(data, low, high);
  return tensor.assign(data);
}

/** `torch.nn.init.normal_(tensor, mean, std)`. */
export function fillNormal(tensor: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  const data = freshArray("fillNormal", tensor, generator);
  checkFiniteNumber("fillNormal", "mean", mean);
  checkFiniteNumber("fillNormal", "std", std);
  generator.fillNormal(data, mean, std);
  return tensor.assign(data);
}

/** `torch.nn.init._calculate_fan_in_and_fan_out`: fans of a weight of at least 2 dims (receptive field folded in). */
export function fanInAndFanOut(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (!Array.isArray(shape)) throw new TypeError(`fanInAndFanOut: shape must be an array of sizes, got ${describeValue(shape)}`);
  if (shape.length < 2) {
    throw new Error(`Fan in and fan out can not be computed for tensor with fewer than 2 dimensions, got shape [${shape.join(", ")}]`);
  }
  const receptiveField = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptiveField, fanOut: shape[0] * receptiveField };
}

/**
 * `torch.nn.init.kaiming_uniform_(tensor, a, mode="fan_in", nonlinearity="leaky_relu")`, the
 * default for Linear weights (with a = sqrt(5)). The bound is computed in the same order as
 * PyTorch so that it is the same double.
 */
export function fillKaimingUniform(tensor: Tensor, a = 0, generator: Generator = defaultGenerator): Tensor {
  checkTensor("fillKaimingUniform", "tensor", tensor);
  checkFiniteNumber("fillKaimingUniform", "a", a);
  const { fanIn } = fanInAndFanOut(tensor.shape);
  const gain = Math.sqrt(2.0 / (1 + a ** 2));
  const std = gain / Math.sqrt(fanIn);
  const bound = Math.sqrt(3.0) * std;
  return fillUniform(tensor, -bound, bound, generator);
}
