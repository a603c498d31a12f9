import { type FloatDType, type Tensor, zeros } from "@gradgraph/core";
import { checkTensor } from "../validation";
import { Module } from "../module";
import {
  type CellState,
  type GateParameters,
  type RecurrentCellOptions,
  type RecurrentWeights,
  checkDType,
  checkState,
  inputGates,
  readRecurrentOptions,
  recurrentWeights,
  registerGateParameters,
  resetRecurrentParameters,
} from "./base";

/**
 * What RNNCell, LSTMCell and GRUCell share (PyTorch's RNNCellBase): `weight_ih`, `weight_hh`,
 * `bias_ih`, `bias_hh` in that order and initialization, and one step on a (batch, input) or an
 * unbatched (input) tensor. The step is the one the stacked modules unroll, so a cell fed one
 * time step at a time computes what RNN, LSTM and GRU compute.
 */
export abstract class RecurrentCellBase<Hidden> extends Module<[input: Tensor, hidden?: Hidden], Hidden> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  private readonly gates: GateParameters;
  /** The parameters' dtype, read from them so that `to(dtype)` / `double()` carry the cell along. */
  get dtype(): FloatDType {
    return this.gates.weightIh.dtype as FloatDType;
  }

  /** Names the module in errors. */
  protected readonly mode: string;
  /** How the states appear in errors: ["hidden"] or ["hidden[0]", "hidden[1]"]. */
  private readonly stateLabels: readonly string[];

  protected constructor(
    mode: string,
    /** How many gate blocks W_ih stacks: 1 (RNN), 4 (LSTM), 3 (GRU). */
    gateCount: number,
    stateLabels: readonly string[],
    options: RecurrentCellOptions,
    /** The subclass's own option names (RNNCell's nonlinearity). */
    ownOptions: readonly string[] = [],
  ) {
    const { shared, read } = readRecurrentOptions(mode, options, ownOptions);
    super({ name: read.name });
    this.mode = mode;
    this.stateLabels = stateLabels;
    this.inputSize = shared.inputSize;
    this.hiddenSize = shared.hiddenSize;
    this.bias = shared.bias;
    const sizes = { gateRows: gateCount * shared.hiddenSize, inputSize: shared.inputSize, hiddenSize: shared.hiddenSize, projSize: 0, bias: shared.bias, dtype: shared.dtype };
    this.gates = registerGateParameters(this, "", sizes);
    resetRecurrentParameters(this, shared.hiddenSize, shared.generator);
  }

  /** The step: `inputGates` is `x W_ih^T + b_ih` (B, G*H); returns the new states, h first. */
  protected abstract cell(inputGates: Tensor, state: CellState, weights: RecurrentWeights): Tensor[];

  /** PyTorch's RNNCellBase.extra_repr: the sizes, and bias=False without biases. */
  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? "" : ", bias=False"}`;
  }

  /** Checks the input and the states (zeros when omitted), runs the step; the states come back batched as the input is. */
  protected step(input: Tensor, initial: CellState | undefined): Tensor[] {
    checkTensor(this.mode, "input", input);
    if (input.ndim !== 1 && input.ndim !== 2) throw new Error(`${this.mode}: Expected input to be 1-D or 2-D but received ${input.ndim}-D tensor`);
    const features = input.shape[input.ndim - 1];
    if (features !== this.inputSize) throw new Error(`${this.mode}: input has inconsistent inputSize: got ${features}, expected ${this.inputSize}`);
    checkDType(this.mode, "input", input, this.dtype);
    const batched = input.ndim === 2;
    const rows = batched ? input : input.unsqueeze(0);
    const batch = rows.shape[0];
    const expected = batched ? [batch, this.hiddenSize] : [this.hiddenSize];
    const states = this.stateLabels.map((label, s) => {
      if (initial === undefined) return zeros([batch, this.hiddenSize], { dtype: this.dtype });
      const state = checkState(this.mode, label, initial[s], expected, this.dtype);
      return batched ? state : state.unsqueeze(0);
    });
    const next = this.cell(inputGates(rows, this.gates), states, recurrentWeights(this.gates));
    return batched ? next : next.map((state) => state.squeeze(0));
  }
}
