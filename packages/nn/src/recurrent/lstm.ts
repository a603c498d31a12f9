import type { Tensor } from "@gradgraph/core";
import { type CellState, RecurrentBase, type RecurrentOptions, type RecurrentWeights, chunkGates, hiddenProjection } from "./base";

/**
 * torch.nn.LSTM, gates stacked `[i | f | g | o]`: `c_t = f*c_{t-1} + i*g`, `h_t = o*tanh(c_t)`.
 * `forward(input, [h0, c0]?)` returns `[output, [hN, cN]]`.
 */
export class LSTM extends RecurrentBase<[Tensor, Tensor]> {
  constructor(options: RecurrentOptions) {
    super("LSTM", 4, ["hidden[0]", "hidden[1]"], options);
  }

  forward(input: Tensor, hidden?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    if (hidden !== undefined && (!Array.isArray(hidden) || hidden.length !== 2)) {
      throw new TypeError("LSTM: the initial state must be a pair [h0, c0]");
    }
    const [output, [hN, cN]] = this.unroll(input, hidden);
    return [output, [hN, cN]];
  }

  protected cell(inputGates: Tensor, [h, c]: CellState, weights: RecurrentWeights): Tensor[] {
    const [i, f, g, o] = chunkGates(inputGates.add(hiddenProjection(h, weights)), 4);
    const cNext = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
    return [o.sigmoid().mul(cNext.tanh()), cNext];
  }
}
