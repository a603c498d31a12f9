import { type Tensor, logSoftmax, relu, sigmoid, softmax, tanh } from "@gradgraph/core";
import { Module, type ModuleOptions } from "../module";
import { checkInteger, checkTensor, readOptions } from "../validation";

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    checkTensor("Tanh", "input", input);
    return tanh(input);
  }
}

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    checkTensor("ReLU", "input", input);
    return relu(input);
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    checkTensor("Sigmoid", "input", input);
    return sigmoid(input);
  }
}

export class Softmax extends Module {
  constructor(
    readonly dim: number,
    options?: ModuleOptions,
  ) {
    super(readOptions("Softmax", options, ["name"]));
    checkInteger("Softmax", "dim", dim);
  }

  forward(input: Tensor): Tensor {
    checkTensor("Softmax", "input", input);
    return softmax(input, this.dim);
  }
}

export class LogSoftmax extends Module {
  constructor(
    readonly dim: number,
    options?: ModuleOptions,
  ) {
    super(readOptions("LogSoftmax", options, ["name"]));
    checkInteger("LogSoftmax", "dim", dim);
  }

  forward(input: Tensor): Tensor {
    checkTensor("LogSoftmax", "input", input);
    return logSoftmax(input, this.dim);
  }
}
