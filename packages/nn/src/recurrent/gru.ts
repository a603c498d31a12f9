import { type Tensor, sub } from "@gradgraph/core";
import { type CellState, RecurrentBase, type RecurrentCellOptions, type RecurrentOptions, type RecurrentWeights, chunkGates, hiddenProjection } from "./base";
import { RecurrentCellBase } from "./cell";
import type { SequenceLengths } from "./sequences";

/**
 * The step of GRU and GRUCell, gates stacked `[r | z | n]`: the reset gate scales the whole
 * recurrent term of the candidate, `n = tanh(W_in x + b_in + r*(W_hn h + b_hn))`, then
 * `h' = (1-z)*n + z*h`.
 */
function gruStep(inputGates: Tensor, [h]: CellState, weights: RecurrentWeights): Tensor[] {
  const [inputR, inputZ, inputN] = chunkGates(inputGates, 3);
  const [hiddenR, hiddenZ, hiddenN] = chunkGates(hiddenProjection(h, weights), 3);
  const r = inputR.add(hiddenR).sigmoid();
  const z = inputZ.add(hiddenZ).sigmoid();
  const n = inputN.add(r.mul(hiddenN)).tanh();
  return [sub(1, z).mul(n).add(z.mul(h))];
}

/** torch.nn.GRU. `forward(input, h0?, { lengths }?)` returns `[output, hN]` (see `SequenceLengths`). */
export class GRU extends RecurrentBase<Tensor> {
  constructor(options: RecurrentOptions) {
    super("GRU", 3, ["hidden"], options);
  }

  forward(input: Tensor, h0?: Tensor, lengths?: SequenceLengths): [Tensor, Tensor] {
    const [output, [hN]] = this.unroll(input, h0 === undefined ? undefined : [h0], lengths);
    return [output, hN];
  }

  protected cell(inputGates: Tensor, state: CellState, weights: RecurrentWeights): Tensor[] {
    return gruStep(inputGates, state, weights);
  }
}

/** torch.nn.GRUCell: one step of GRU. `forward(input, hx?)` returns h', batched as the input is. */
export class GRUCell extends RecurrentCellBase<Tensor> {
  constructor(options: RecurrentCellOptions) {
    super("GRUCell", 3, ["hidden"], options);
  }

  forward(input: Tensor, hx?: Tensor): Tensor {
    return this.step(input, hx === undefined ? undefined : [hx])[0];
  }

  protected cell(inputGates: Tensor, state: CellState, weights: RecurrentWeights): Tensor[] {
    return gruStep(inputGates, state, weights);
  }
}
