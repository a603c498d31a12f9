import type { Tensor } from "@gradgraph/core";
import { type CellState, RecurrentBase, type RecurrentOptions, type RecurrentWeights, hiddenProjection } from "./base";

export interface RNNOptions extends RecurrentOptions {
  nonlinearity?: "tanh" | "relu";
}

/**
 * torch.nn.RNN: `h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)` with act = tanh or relu.
 * `forward(input, h0?)` returns `[output, hN]`.
 */
export class RNN extends RecurrentBase<Tensor> {
  readonly nonlinearity: "tanh" | "relu";

  constructor(options: RNNOptions) {
    super("RNN", 1, ["hidden"], options, ["nonlinearity"]);
    const { nonlinearity = "tanh" } = options;
    if (nonlinearity !== "tanh" && nonlinearity !== "relu") {
      throw new Error(`RNN: Unknown nonlinearity '${String(nonlinearity)}'. Select from 'tanh' or 'relu'.`);
    }
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const [output, [hN]] = this.unroll(input, h0 === undefined ? undefined : [h0]);
    return [output, hN];
  }

  protected cell(inputGates: Tensor, [h]: CellState, weights: RecurrentWeights): Tensor[] {
    const preActivation = inputGates.add(hiddenProjection(h, weights));
    return [this.nonlinearity === "tanh" ? preActivation.tanh() : preActivation.relu()];
  }
}
