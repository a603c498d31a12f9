/**
 * The positional fills the layers call at construction (`fillUniform(weight, -bound, bound,
 * generator)`): the same draws as `init.uniform`, `init.normal` and `init.kaimingUniform`, with
 * PyTorch's positional argument order and the generator last.
 */
import { type Generator, type Tensor, defaultGenerator } from "@gradgraph/core";
import { checkFiniteNumber } from "../validation";
import { floatTarget, normalDraws, uniformDraws } from "./draw";
import { kaimingStd } from "./scales";

/** `torch.nn.init.uniform_(tensor, low, high)`. */
export function fillUniform(tensor: Tensor, low: number, high: number, generator: Generator = defaultGenerator): Tensor {
  const dtype = floatTarget("fillUniform", tensor);
  checkFiniteNumber("fillUniform", "low", low);
  checkFiniteNumber("fillUniform", "high", high);
  return tensor.assign(uniformDraws("fillUniform", dtype, tensor.size, low, high, generator));
}

/** `torch.nn.init.normal_(tensor, mean, std)`. */
export function fillNormal(tensor: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  const dtype = floatTarget("fillNormal", tensor);
  checkFiniteNumber("fillNormal", "mean", mean);
  checkFiniteNumber("fillNormal", "std", std);
  return tensor.assign(normalDraws("fillNormal", dtype, tensor.size, mean, std, generator));
}

/**
 * `torch.nn.init.kaiming_uniform_(tensor, a)` with mode "fan_in" and nonlinearity "leaky_relu",
 * the default for Linear weights (with a = sqrt(5)).
 */
export function fillKaimingUniform(tensor: Tensor, a = 0, generator: Generator = defaultGenerator): Tensor {
  const dtype = floatTarget("fillKaimingUniform", tensor);
  checkFiniteNumber("fillKaimingUniform", "a", a);
  if (tensor.size === 0) return tensor;
  const bound = Math.sqrt(3.0) * kaimingStd("fillKaimingUniform", tensor.shape, a, "fanIn", "leakyRelu");
  return tensor.assign(uniformDraws("fillKaimingUniform", dtype, tensor.size, -bound, bound, generator));
}
