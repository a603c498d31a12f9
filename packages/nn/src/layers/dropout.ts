import { type Generator, type Tensor, defaultGenerator, dropout as coreDropout } from "@gradgraph/core";
import { Module, type ModuleOptions } from "../module";
import { pyFloat } from "../pythonRepr";
import { checkGenerator, checkProbability, checkTensor, readOptions } from "../validation";

/**
 * Inverted dropout (the core's `dropout`: zeroes each element with probability `p`, scales the
 * rest by 1/(1-p), the mask drawn from `generator`), with nn's argument errors: a RangeError for
 * a probability outside [0, 1], as PyTorch's ValueError.
 */
export function dropout(input: Tensor, p: number, generator: Generator = defaultGenerator): Tensor {
  checkTensor("dropout", "input", input);
  checkProbability("dropout", p);
  checkGenerator("dropout", generator);
  return coreDropout(input, p, generator);
}

/** Options of `Dropout`: the generator its masks are drawn from. */
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

  /** PyTorch's, `inplace` included (always False here). */
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
