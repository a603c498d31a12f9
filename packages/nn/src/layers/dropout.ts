import { type Generator, type Tensor, defaultGenerator, tensor } from "@gradgraph/core";
import { Module, type ModuleOptions } from "../module";
import { checkGenerator, checkProbability, checkTensor, readOptions } from "../validation";

/**
 * Inverted dropout: zeroes each element with probability `p` and scales the rest by 1/(1-p), so
 * the expected value is unchanged. The mask is a constant drawn from `generator`, so gradients flow
 * only through the kept elements. As PyTorch: p = 0 is the identity and p = 1 gives zeros.
 */
export function dropout(input: Tensor, p: number, generator: Generator = defaultGenerator): Tensor {
  checkTensor("dropout", "input", input);
  checkProbability("dropout", p);
  checkGenerator("dropout", generator);
  if (p === 0 || input.size === 0) return input;
  if (p === 1) return input.mul(0);
  const draws = input.dtype === "float64" ? new Float64Array(input.size) : new Float32Array(input.size);
  generator.fillUniform(draws, 0, 1);
  const keep = 1 - p;
  const scale = 1 / keep;
  for (let i = 0; i < draws.length; i++) draws[i] = draws[i] < keep ? scale : 0;
  return input.mul(tensor(draws, { shape: input.shape }));
}

export interface DropoutOptions extends ModuleOptions {
  generator?: Generator;
}

/** torch.nn.Dropout: active in training mode, the identity after `eval()`. */
export class Dropout extends Module {
  private readonly generator: Generator | undefined;

  constructor(
    readonly p = 0.5,
    options?: DropoutOptions,
  ) {
    const { generator, name } = readOptions("Dropout", options, ["generator", "name"]);
    super({ name });
    checkProbability("Dropout", p);
    checkGenerator("Dropout", generator);
    this.generator = generator;
  }

  forward(input: Tensor): Tensor {
    return this.training ? dropout(input, this.p, this.generator) : input;
  }
}
