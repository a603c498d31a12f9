import { type Tensor } from "@gradgraph/core";
import { readOptions } from "../validation";
import {
  type CellState,
  RecurrentBase,
  type RecurrentCellOptions,
  type RecurrentOptions,
  type RecurrentWeights,
  checkStatePair,
  chunkGates,
  hiddenProjection,
} from "./base";
import { RecurrentCellBase } from "./cell";
import type { SequenceLengths } from "./sequences";

/**
 * The step of LSTM and LSTMCell, gates stacked `[i | f | g | o]`: `c' = f*c + i*g`,
 * `h' = o*tanh(c')`, then `h' W_hr^T` when the weights carry LSTM's projection.
 */
function lstmStep(inputGates: Tensor, [h, c]: CellState, weights: RecurrentWeights): Tensor[] {
  const [i, f, g, o] = chunkGates(inputGates.add(hiddenProjection(h, weights)), 4);
  const cNext = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
  const hNext = o.sigmoid().mul(cNext.tanh());
  return [weights.weightHrT === undefined ? hNext : hNext.matmul(weights.weightHrT), cNext];
}

export interface LSTMOptions extends RecurrentOptions {
  /**
   * PyTorch's `proj_size`: when > 0 (and below hiddenSize), h is projected to this size by
   * `weight_hr_l{k}[_reverse]` (projSize, hiddenSize) after every step; h0, hN and each
   * direction's output have this size, c keeps hiddenSize.
   */
  projSize?: number;
}

/**
 * torch.nn.LSTM, gates stacked `[i | f | g | o]`: `c_t = f*c_{t-1} + i*g`, `h_t = o*tanh(c_t)`.
 * `forward(input, [h0, c0]?, { lengths }?)` returns `[output, [hN, cN]]` (see `SequenceLengths`).
 */
export class LSTM extends RecurrentBase<[Tensor, Tensor]> {
  constructor(options: LSTMOptions) {
    super("LSTM", 4, ["hidden[0]", "hidden[1]"], options, ["projSize"], readOptions("LSTM", options).projSize ?? 0);
  }

  forward(input: Tensor, hidden?: [Tensor, Tensor], lengths?: SequenceLengths): [Tensor, [Tensor, Tensor]] {
    checkStatePair("LSTM", hidden);
    const [output, [hN, cN]] = this.unroll(input, hidden, lengths);
    return [output, [hN, cN]];
  }

  protected cell(inputGates: Tensor, state: CellState, weights: RecurrentWeights): Tensor[] {
    return lstmStep(inputGates, state, weights);
  }
}

/** torch.nn.LSTMCell: one step of LSTM (without projection). `forward(input, [hx, cx]?)` returns `[h', c']`, batched as the input is. */
export class LSTMCell extends RecurrentCellBase<[Tensor, Tensor]> {
  constructor(options: RecurrentCellOptions) {
    super("LSTMCell", 4, ["hidden[0]", "hidden[1]"], options);
  }

  forward(input: Tensor, hidden?: [Tensor, Tensor]): [Tensor, Tensor] {
    checkStatePair("LSTMCell", hidden);
    const [h, c] = this.step(input, hidden);
    return [h, c];
  }

  protected cell(inputGates: Tensor, state: CellState, weights: RecurrentWeights): Tensor[] {
    return lstmStep(inputGates, state, weights);
  }
}
