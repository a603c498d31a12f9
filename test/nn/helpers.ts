/** A model shared by the nn tests. */
import type { FloatDType, Generator, Tensor } from "@gradgraph/core";
import { Linear, Module, RNN } from "../../packages/nn/src";

/** The model of train.json: `out, _ = rnn(x); pred = head(out[-1])`, with PyTorch's state-dict keys. */
export class RnnRegressor extends Module {
  readonly rnn: RNN;
  readonly head: Linear;

  constructor(inputSize: number, hiddenSize: number, outputs: number, dtype: FloatDType, generator?: Generator) {
    super({ name: "" });
    this.rnn = this.registerModule("rnn", new RNN({ inputSize, hiddenSize, dtype, generator }));
    this.head = this.registerModule("head", new Linear(hiddenSize, outputs, { dtype, generator }));
  }

  forward(x: Tensor): Tensor {
    const [out] = this.rnn.forward(x);
    return this.head.forward(out.select(0, -1));
  }
}
