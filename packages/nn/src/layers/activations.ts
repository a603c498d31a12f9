/**
 * torch.nn's activation modules, one for each activation function of the core. They hold no
 * parameters and take PyTorch's arguments positionally, camel-cased (`new LeakyReLU(0.2)`,
 * `new GELU("tanh")`, `new Softplus(1, 20)`); PyTorch's `inplace` has no counterpart, since
 * nothing here writes into its input.
 */
import {
  type Tensor,
  celu,
  elu,
  gelu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  mish,
  relu,
  relu6,
  selu,
  sigmoid,
  silu,
  softmax,
  softplus,
  softsign,
  tanh,
} from "@gradgraph/core";
import { Module, type ModuleOptions } from "../module";
import { pyFloat, pyNumber } from "../pythonRepr";
import { checkFiniteNumber, checkInteger, checkTensor, describeValue, readOptions } from "../validation";

/** An activation module: `activate` applied to the input, which is checked first so that a wrong one is named by the module. */
abstract class Activation extends Module {
  /** The activation itself, on a checked input. */
  protected abstract activate(input: Tensor): Tensor;

  /** The activation applied to each element of `input` (along `dim` for the softmaxes). */
  forward(input: Tensor): Tensor {
    checkTensor(this.constructor.name, "input", input);
    return this.activate(input);
  }
}

/** torch.nn.Tanh. */
export class Tanh extends Activation {
  protected activate(input: Tensor): Tensor {
    return tanh(input);
  }
}

/** torch.nn.ReLU: `max(x, 0)`. */
export class ReLU extends Activation {
  protected activate(input: Tensor): Tensor {
    return relu(input);
  }
}

/** torch.nn.Sigmoid. */
export class Sigmoid extends Activation {
  protected activate(input: Tensor): Tensor {
    return sigmoid(input);
  }
}

/** torch.nn.SiLU (swish): x · sigmoid(x). */
export class SiLU extends Activation {
  protected activate(input: Tensor): Tensor {
    return silu(input);
  }
}

/** torch.nn.Mish: x · tanh(softplus(x)). */
export class Mish extends Activation {
  protected activate(input: Tensor): Tensor {
    return mish(input);
  }
}

/** torch.nn.SELU: scale · elu(x, alpha) with PyTorch's self-normalizing constants. */
export class SELU extends Activation {
  protected activate(input: Tensor): Tensor {
    return selu(input);
  }
}

/** torch.nn.ReLU6: min(max(x, 0), 6). */
export class ReLU6 extends Activation {
  protected activate(input: Tensor): Tensor {
    return relu6(input);
  }
}

/** torch.nn.Hardsigmoid: relu6(x + 3) / 6. */
export class Hardsigmoid extends Activation {
  protected activate(input: Tensor): Tensor {
    return hardsigmoid(input);
  }
}

/** torch.nn.Hardswish: x · relu6(x + 3) / 6. */
export class Hardswish extends Activation {
  protected activate(input: Tensor): Tensor {
    return hardswish(input);
  }
}

/** torch.nn.LogSigmoid: log(sigmoid(x)), computed without overflow. */
export class LogSigmoid extends Activation {
  protected activate(input: Tensor): Tensor {
    return logSigmoid(input);
  }
}

/** torch.nn.Softsign: x / (1 + |x|). */
export class Softsign extends Activation {
  protected activate(input: Tensor): Tensor {
    return softsign(input);
  }
}

/** torch.nn.GELU(approximate="none"): x · Φ(x), or with "tanh" the tanh approximation. */
export class GELU extends Activation {
  constructor(
    readonly approximate: "none" | "tanh" = "none",
    options?: ModuleOptions,
  ) {
    super(readOptions("GELU", options, ["name"]));
    if (approximate !== "none" && approximate !== "tanh") {
      throw new TypeError(`GELU: approximate argument must be either none or tanh, got ${describeValue(approximate)}`);
    }
  }

  protected activate(input: Tensor): Tensor {
    return gelu(input, this.approximate);
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** torch.nn.LeakyReLU(negative_slope=0.01). */
export class LeakyReLU extends Activation {
  constructor(
    readonly negativeSlope = 0.01,
    options?: ModuleOptions,
  ) {
    super(readOptions("LeakyReLU", options, ["name"]));
    checkFiniteNumber("LeakyReLU", "negativeSlope", negativeSlope);
  }

  protected activate(input: Tensor): Tensor {
    return leakyRelu(input, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

/** torch.nn.ELU(alpha=1): x for x > 0, alpha · (exp(x) − 1) otherwise. */
export class ELU extends Activation {
  constructor(
    readonly alpha = 1,
    options?: ModuleOptions,
  ) {
    super(readOptions("ELU", options, ["name"]));
    checkFiniteNumber("ELU", "alpha", alpha);
  }

  protected activate(input: Tensor): Tensor {
    return elu(input, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

/** torch.nn.CELU(alpha=1): max(0, x) + min(0, alpha · (exp(x / alpha) − 1)). */
export class CELU extends Activation {
  constructor(
    readonly alpha = 1,
    options?: ModuleOptions,
  ) {
    super(readOptions("CELU", options, ["name"]));
    checkFiniteNumber("CELU", "alpha", alpha);
  }

  protected activate(input: Tensor): Tensor {
    return celu(input, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

/** torch.nn.Softplus(beta=1, threshold=20): log(1 + exp(beta · x)) / beta, and x itself where beta · x > threshold. */
export class Softplus extends Activation {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
    options?: ModuleOptions,
  ) {
    super(readOptions("Softplus", options, ["name"]));
    checkFiniteNumber("Softplus", "beta", beta);
    checkFiniteNumber("Softplus", "threshold", threshold);
  }

  protected activate(input: Tensor): Tensor {
    return softplus(input, this.beta, this.threshold);
  }

  override extraRepr(): string {
    return `beta=${pyNumber(this.beta)}, threshold=${pyNumber(this.threshold)}`;
  }
}

/** torch.nn.Hardtanh(min_val=-1, max_val=1): x clamped to [minVal, maxVal]. */
export class Hardtanh extends Activation {
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1,
    options?: ModuleOptions,
  ) {
    super(readOptions("Hardtanh", options, ["name"]));
    checkFiniteNumber("Hardtanh", "minVal", minVal);
    checkFiniteNumber("Hardtanh", "maxVal", maxVal);
    // PyTorch asserts max_val > min_val.
    if (!(maxVal > minVal)) throw new RangeError(`Hardtanh: expected maxVal > minVal, got minVal = ${minVal} and maxVal = ${maxVal}`);
  }

  protected activate(input: Tensor): Tensor {
    return hardtanh(input, this.minVal, this.maxVal);
  }

  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}`;
  }
}

/** torch.nn.Softmax: a softmax along `dim`. */
export class Softmax extends Activation {
  constructor(
    readonly dim: number,
    options?: ModuleOptions,
  ) {
    super(readOptions("Softmax", options, ["name"]));
    checkInteger("Softmax", "dim", dim);
  }

  protected activate(input: Tensor): Tensor {
    return softmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** torch.nn.LogSoftmax: a log-softmax along `dim`. */
export class LogSoftmax extends Activation {
  constructor(
    readonly dim: number,
    options?: ModuleOptions,
  ) {
    super(readOptions("LogSoftmax", options, ["name"]));
    checkInteger("LogSoftmax", "dim", dim);
  }

  protected activate(input: Tensor): Tensor {
    return logSoftmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
