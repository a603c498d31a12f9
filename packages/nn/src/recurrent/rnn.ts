import type { Tensor } from "@gradgraph/core";
import { type CellState, RecurrentBase, type RecurrentCellOptions, type RecurrentOptions, type RecurrentWeights, hiddenProjection } from "./base";
import { RecurrentCellBase } from "./cell";
import type { SequenceLengths } from "./sequences";

type Nonlinearity = "tanh" | "relu";

function checkNonlinearity(mode: string, nonlinearity: unknown): asserts nonlinearity is Nonlinearity {
  if (nonlinearity !== "tanh" && nonlinearity !== "relu") {
    throw new Error(`${mode}: Unknown nonlinearity '${String(nonlinearity)}'. Select from 'tanh' or 'relu'.`);
  }
}

/** The Elman step of RNN and RNNCell: `h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)`. */
function rnnStep(nonlinearity: Nonlinearity, inputGates: Tensor, [h]: CellState, weights: RecurrentWeights): Tensor[] {
  const preActivation = inputGates.add(hiddenProjection(h, weights));
  return [nonlinearity === "tanh" ? preActivation.tanh() : preActivation.relu()];
}

export interface RNNOptions extends RecurrentOptions {
  nonlinearity?: Nonlinearity;
}

/**
 * torch.nn.RNN: `h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)` with act = tanh or relu.
 * `forward(input, h0?, { lengths }?)` returns `[output, hN]` (see `SequenceLengths` for lengths).
 */
export class RNN extends RecurrentBase<Tensor> {
  readonly nonlinearity: Nonlinearity;

  constructor(options: RNNOptions) {
    super("RNN", 1, ["hidden"], options, ["nonlinearity"]);
    const { nonlinearity = "tanh" } = options;
    checkNonlinearity("RNN", nonlinearity);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, h0?: Tensor, lengths?: SequenceLengths): [Tensor, Tensor] {
    const [output, [hN]] = this.unroll(input, h0 === undefined ? undefined : [h0], lengths);
    return [output, hN];
  }

  protected cell(inputGates: Tensor, state: CellState, weights: RecurrentWeights): Tensor[] {
    return rnnStep(this.nonlinearity, inputGates, state, weights);
  }
}

export interface RNNCellOptions extends RecurrentCellOptions {
  nonlinearity?: Nonlinearity;
}

/** torch.nn.RNNCell: one step of RNN. `forward(input, hx?)` returns h', batched as the input is. */
export class RNNCell extends RecurrentCellBase<Tensor> {
  readonly nonlinearity: Nonlinearity;

  constructor(options: RNNCellOptions) {
    super("RNNCell", 1, ["hidden"], options, ["nonlinearity"]);
    const { nonlinearity = "tanh" } = options;
    checkNonlinearity("RNNCell", nonlinearity);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx?: Tensor): Tensor {
    return this.step(input, hx === undefined ? undefined : [hx])[0];
  }

  protected cell(inputGates: Tensor, state: CellState, weights: RecurrentWeights): Tensor[] {
    return rnnStep(this.nonlinearity, inputGates, state, weights);
  }

  /** Unlike RNN's, RNNCell's repr names a nonlinearity other than tanh. */
  override extraRepr(): string {
    return `${super.extraRepr()}${this.nonlinearity === "tanh" ? "" : `, nonlinearity=${this.nonlinearity}`}`;
  }
}
