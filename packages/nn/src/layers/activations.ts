import { type Tensor, logSoftmax, relu, sigmoid, softmax, tanh } from "@gradgraph/core";
import { Module, type ModuleOptions } from "../module";

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return tanh(input);
  }
}

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return relu(input);
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
}

export class Softmax extends Module {
  constructor(
    readonly dim: number,
    options: ModuleOptions = {},
  ) {
    super(options);
  }

  forward(input: Tensor): Tensor {
    return softmax(input, this.dim);
  }
}

export class LogSoftmax extends Module {
  constructor(
    readonly dim: number,
    options: ModuleOptions = {},
  ) {
    super(options);
  }

  forward(input: Tensor): Tensor {
    return logSoftmax(input, this.dim);
  }
}
