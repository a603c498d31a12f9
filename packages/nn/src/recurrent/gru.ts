import { type Tensor, sub } from "@gradgraph/core";
import { type CellState, RecurrentBase, type RecurrentOptions, type RecurrentWeights, chunkGates, hiddenProjection } from "./base";

/**
 * torch.nn.GRU, gates stacked `[r | z | n]`: the reset gate scales the whole recurrent term of
 * the candidate, `n = tanh(W_in x + b_in + r*(W_hn h + b_hn))`, then `h_t = (1-z)*n + z*h_{t-1}`.
 * `forward(input, h0?)` returns `[output, hN]`.
 */
export class GRU extends RecurrentBase<Tensor> {
  constructor(options: RecurrentOptions) {
    super("GRU", 3, ["hidden"], options);
  }

  forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const [output, [hN]] = this.unroll(input, h0 === undefined ? undefined : [h0]);
    return [output, hN];
  }

  protected cell(inputGates: Tensor, [h]: CellState, weights: RecurrentWeights): Tensor[] {
    const [inputR, inputZ, inputN] = chunkGates(inputGates, 3);
    const [hiddenR, hiddenZ, hiddenN] = chunkGates(hiddenProjection(h, weights), 3);
    const r = inputR.add(hiddenR).sigmoid();
    const z = inputZ.add(hiddenZ).sigmoid();
    const n = inputN.add(r.mul(hiddenN)).tanh();
    return [sub(1, z).mul(n).add(z.mul(h))];
  }
}
