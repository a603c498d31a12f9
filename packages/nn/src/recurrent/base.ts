import {
  type FloatDType,
  type Generator,
  Tensor,
  concat,
  formatShape,
  func,
  sameShape,
  stack,
  where,
  withScope,
  zeros,
} from "@gradgraph/core";
import { fillUniform } from "../init";
import { dropout } from "../layers/dropout";
import { checkBoolean, checkFloatDType, checkGenerator, checkPositiveInteger, checkProbability, checkTensor, describeValue, readOptions } from "../validation";
import { type AnyModule, Module, type ModuleOptions } from "../module";
import { pyFloat } from "../pythonRepr";
import { type SequenceLengths, realSteps } from "./sequences";

/** What the recurrent modules and their cells share. */
export interface RecurrentCellOptions extends ModuleOptions {
  inputSize: number;
  hiddenSize: number;
  bias?: boolean;
  dtype?: FloatDType;
  /** Draws the initial weights (and a stacked module's dropout masks); the shared default generator unless given. */
  generator?: Generator;
}

export interface RecurrentOptions extends RecurrentCellOptions {
  numLayers?: number;
  /** Input and output are (batch, seq, feature) instead of (seq, batch, feature); never affects h0/hN. */
  batchFirst?: boolean;
  /** Dropout on each layer's output except the last, in training mode only. */
  dropout?: number;
  bidirectional?: boolean;
  /**
   * Checkpointing (torch.utils.checkpoint over the unroll): each layer and direction's steps are
   * cut into segments of this many, each one's forward wrapped in `func.checkpoint`, so the
   * backward pass recomputes a segment's intermediates instead of keeping them all. Values and
   * gradients are the plain module's; not state, and not in the repr (PyTorch has no such option).
   */
  checkpointEvery?: number;
}

const CELL_OPTIONS = ["inputSize", "hiddenSize", "bias", "dtype", "generator", "name"] as const satisfies readonly (keyof RecurrentCellOptions)[];

const STACK_OPTIONS = ["numLayers", "batchFirst", "dropout", "bidirectional", "checkpointEvery"] as const satisfies readonly (keyof RecurrentOptions)[];

/** The options a cell and a stacked module share, read, checked and defaulted. */
interface SharedOptions {
  inputSize: number;
  hiddenSize: number;
  bias: boolean;
  dtype: FloatDType;
  generator: Generator | undefined;
}

/** Reads `options` (refusing names neither shared nor in `extra`) and checks the shared ones; the caller checks its own. */
export function readRecurrentOptions<T extends RecurrentCellOptions>(
  mode: string,
  options: T,
  extra: readonly string[],
): { shared: SharedOptions; read: Partial<T> } {
  const read = readOptions(mode, options, [...CELL_OPTIONS, ...extra] as (keyof T & string)[]);
  const { inputSize, hiddenSize, bias = true, dtype = "float32", generator } = read;
  checkPositiveInteger(mode, "inputSize", inputSize);
  checkPositiveInteger(mode, "hiddenSize", hiddenSize);
  checkBoolean(mode, "bias", bias);
  checkFloatDType(mode, dtype);
  checkGenerator(mode, generator);
  return { shared: { inputSize, hiddenSize, bias, dtype, generator }, read };
}

/** One gate set: a cell's parameters, or one layer and direction's of a stacked module. */
export interface GateParameters {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor | undefined;
  biasHh: Tensor | undefined;
  /** LSTM's projection W_hr (P, H), only with projSize > 0. */
  weightHr: Tensor | undefined;
}

/**
 * Registers a gate set under PyTorch's names (`weight_ih{suffix}`, `weight_hh{suffix}`,
 * `bias_ih{suffix}`, `bias_hh{suffix}`, `weight_hr{suffix}`), in PyTorch's order: the order
 * `resetRecurrentParameters` draws them in.
 */
export function registerGateParameters(
  module: AnyModule,
  suffix: string,
  sizes: { gateRows: number; inputSize: number; hiddenSize: number; projSize: number; bias: boolean; dtype: FloatDType },
): GateParameters {
  const { gateRows, inputSize, hiddenSize, projSize, bias, dtype } = sizes;
  const parameter = (key: string, shape: number[]) => module.registerParameter(`${key}${suffix}`, zeros(shape, { dtype }));
  return {
    weightIh: parameter("weight_ih", [gateRows, inputSize]),
    weightHh: parameter("weight_hh", [gateRows, projSize > 0 ? projSize : hiddenSize]),
    biasIh: bias ? parameter("bias_ih", [gateRows]) : undefined,
    biasHh: bias ? parameter("bias_hh", [gateRows]) : undefined,
    weightHr: projSize > 0 ? parameter("weight_hr", [projSize, hiddenSize]) : undefined,
  };
}

/** PyTorch's reset_parameters for RNNBase and RNNCellBase: every parameter, in named_parameters order, from U(-1/sqrt(H), 1/sqrt(H)). */
export function resetRecurrentParameters(module: AnyModule, hiddenSize: number, generator: Generator | undefined): void {
  const bound = 1 / Math.sqrt(hiddenSize);
  for (const p of module.parameters()) fillUniform(p, -bound, bound, generator);
}

/**
 * `x W_ih^T + b_ih`, the input half of the gate pre-activations: of one step, or of a whole
 * (L, B, in) sequence in one matmul of its L*B rows. As a 2-D product, W_ih's gradient is one
 * (G*H, L*B) × (L*B, in) product; a batched (L, B, in) × (in, G*H) one would give a product
 * per step, (L, in, G*H) all at once, before summing them over the steps.
 */
export function inputGates(x: Tensor, parameters: GateParameters): Tensor {
  const rows = x.ndim === 2 ? x : x.reshape([-1, x.shape[x.ndim - 1]]);
  const product = rows.matmul(parameters.weightIh.T);
  const projected = x.ndim === 2 ? product : product.reshape([...x.shape.slice(0, -1), product.shape[1]]);
  return parameters.biasIh === undefined ? projected : projected.add(parameters.biasIh);
}

/** What a cell sees of its recurrent weights at each step (the transposes are built once). */
export interface RecurrentWeights {
  /** W_hh^T, (H or P, G*H). */
  weightHhT: Tensor;
  biasHh: Tensor | undefined;
  /** W_hr^T, (H, P): LSTM's projection of h, only with projSize > 0. */
  weightHrT?: Tensor;
}

export function recurrentWeights(parameters: GateParameters): RecurrentWeights {
  const weights: RecurrentWeights = { weightHhT: parameters.weightHh.T, biasHh: parameters.biasHh };
  if (parameters.weightHr !== undefined) weights.weightHrT = parameters.weightHr.T;
  return weights;
}

/** The states a cell carries between steps: [h] for RNN and GRU, [h, c] for LSTM; the first is the output. */
export type CellState = readonly Tensor[];

/** `h W_hh^T + b_hh`, the recurrent half of every cell's gate pre-activations. */
export function hiddenProjection(h: Tensor, { weightHhT, biasHh }: RecurrentWeights): Tensor {
  const product = h.matmul(weightHhT);
  return biasHh === undefined ? product : product.add(biasHh);
}

/** The gate blocks stacked along the last dim (PyTorch's `chunk(n, 1)`). */
export function chunkGates(gates: Tensor, count: number): Tensor[] {
  const size = gates.shape[gates.ndim - 1] / count;
  return Array.from({ length: count }, (_, i) => gates.slice(-1, i * size, (i + 1) * size));
}

export function checkDType(mode: string, what: string, x: Tensor, dtype: FloatDType): void {
  if (x.dtype !== dtype) {
    throw new TypeError(`${mode}: ${what} is ${x.dtype} but the parameters are ${dtype}; cast it with .cast("${dtype}") or build the module with dtype: "${x.dtype}"`);
  }
}

/** An initial state given by the user: a Tensor of the expected shape and the parameters' dtype. */
export function checkState(mode: string, label: string, state: unknown, expected: readonly number[], dtype: FloatDType): Tensor {
  if (!(state instanceof Tensor)) throw new TypeError(`${mode}: ${label} must be a Tensor of shape ${formatShape(expected)}`);
  if (!sameShape(state.shape, expected)) throw new Error(`${mode}: Expected ${label} size ${formatShape(expected)}, got ${formatShape(state.shape)}`);
  checkDType(mode, label, state, dtype);
  return state;
}

/** LSTM's and LSTMCell's initial state, when given, is the pair [h0, c0]. */
export function checkStatePair(mode: string, hidden: unknown): void {
  if (hidden !== undefined && (!Array.isArray(hidden) || hidden.length !== 2)) {
    throw new TypeError(`${mode}: the initial state must be a pair [h0, c0]`);
  }
}

/** One layer and direction: its parameters, and `l{k}` or `l{k}_reverse`, the name suffix and the scope of its steps. */
interface DirectionParameters extends GateParameters {
  name: string;
}

/**
 * The structure RNN, LSTM and GRU share: parameters per layer and direction in PyTorch's order
 * and initialization, input validation, and the unrolled loop over layers × directions × steps.
 * Subclasses provide only the cell: one time step from the input's gate projection and the state.
 *
 * Layer k > 0 consumes layer k-1's full output sequence (both directions concatenated). Every
 * step's nodes are built in the scope `l{k}{_reverse}.t{time}` under the module's path. The loop
 * is iterative, so sequences of any length build without deep recursion.
 *
 * With `{ lengths }` (PyTorch's packed sequences, see `SequenceLengths`) every step also runs for
 * the batch elements that have ended, and a mask keeps their states and zeroes their outputs;
 * the mask is a leaf, so batches of other lengths build the same graph (one compiled program).
 */
export abstract class RecurrentBase<Hidden> extends Module<[input: Tensor, hidden?: Hidden, lengths?: SequenceLengths], [Tensor, Hidden]> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** PyTorch's `proj_size`: the size of h when LSTM projects it (W_hr), 0 for none (always 0 for RNN and GRU). */
  readonly projSize: number;
  /** Steps per checkpointed segment of the unroll (see `RecurrentOptions.checkpointEvery`); undefined keeps every intermediate. */
  readonly checkpointEvery: number | undefined;
  private readonly generator: Generator | undefined;
  /** [layer][direction] */
  private readonly layers: DirectionParameters[][];

  /** The parameters' dtype, read from them so that `to(dtype)` / `double()` carry the module along. */
  get dtype(): FloatDType {
    return this.layers[0][0].weightIh.dtype as FloatDType;
  }

  /** Names the module in errors, as PyTorch's `mode`. */
  protected readonly mode: string;
  /** How the states appear in errors: ["hidden"] or ["hidden[0]", "hidden[1]"]. */
  private readonly stateLabels: readonly string[];

  protected constructor(
    mode: string,
    /** How many gate blocks W_ih stacks: 1 (RNN), 4 (LSTM), 3 (GRU). */
    gateCount: number,
    stateLabels: readonly string[],
    options: RecurrentOptions,
    /** The subclass's own option names (RNN's nonlinearity, LSTM's projSize), so they are not refused as unknown. */
    ownOptions: readonly string[] = [],
    projSize = 0,
  ) {
    const { shared, read } = readRecurrentOptions(mode, options, [...STACK_OPTIONS, ...ownOptions]);
    const { numLayers = 1, batchFirst = false, dropout: dropoutProbability = 0, bidirectional = false, checkpointEvery, name } = read;
    super({ name });
    this.mode = mode;
    this.stateLabels = stateLabels;
    checkPositiveInteger(mode, "numLayers", numLayers);
    checkBoolean(mode, "batchFirst", batchFirst);
    checkProbability(mode, dropoutProbability);
    checkBoolean(mode, "bidirectional", bidirectional);
    if (checkpointEvery !== undefined) checkPositiveInteger(mode, "checkpointEvery", checkpointEvery);
    if (!(Number.isInteger(projSize) && projSize >= 0)) {
      throw new RangeError(`${mode}: projSize should be a positive integer or zero to disable projections, got ${describeValue(projSize)}`);
    }
    if (projSize >= shared.hiddenSize) {
      throw new RangeError(`${mode}: projSize has to be smaller than hiddenSize, got projSize ${projSize} and hiddenSize ${shared.hiddenSize}`);
    }
    this.inputSize = shared.inputSize;
    this.hiddenSize = shared.hiddenSize;
    this.bias = shared.bias;
    this.generator = shared.generator;
    this.numLayers = numLayers;
    this.batchFirst = batchFirst;
    this.dropout = dropoutProbability;
    this.bidirectional = bidirectional;
    this.projSize = projSize;
    this.checkpointEvery = checkpointEvery;

    this.layers = [];
    for (let layer = 0; layer < numLayers; layer++) {
      const layerInputSize = layer === 0 ? this.inputSize : this.directions * this.outputSize;
      const perDirection: DirectionParameters[] = [];
      for (let direction = 0; direction < this.directions; direction++) {
        const name = `l${layer}${direction === 1 ? "_reverse" : ""}`;
        const sizes = { gateRows: gateCount * this.hiddenSize, inputSize: layerInputSize, hiddenSize: this.hiddenSize, projSize, bias: this.bias, dtype: shared.dtype };
        perDirection.push({ name, ...registerGateParameters(this, `_${name}`, sizes) });
      }
      this.layers.push(perDirection);
    }
    resetRecurrentParameters(this, this.hiddenSize, this.generator);
  }

  private get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The size of h, and of each direction's share of the output: projSize if LSTM projects, else hiddenSize. */
  private get outputSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** The size of state s: h has the output size, LSTM's c the hidden size. */
  private stateSize(s: number): number {
    return s === 0 ? this.outputSize : this.hiddenSize;
  }

  /** PyTorch's RNNBase.extra_repr: the sizes, then each option that differs from its default (nonlinearity is not shown). */
  override extraRepr(): string {
    let text = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) text += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) text += `, num_layers=${this.numLayers}`;
    if (!this.bias) text += ", bias=False";
    if (this.batchFirst) text += ", batch_first=True";
    if (this.dropout !== 0) text += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) text += ", bidirectional=True";
    return text;
  }

  /** One time step: `inputGates` is `x_t W_ih^T + b_ih` (B, G*H); returns the new states, h first. */
  protected abstract cell(inputGates: Tensor, state: CellState, weights: RecurrentWeights): Tensor[];

  /**
   * Runs the whole stack over `input` from the initial states (zeros when omitted); returns the
   * output sequence and the final states, each shaped (layers*directions, [batch,] size).
   */
  protected unroll(input: Tensor, initial: CellState | undefined, lengths: SequenceLengths | undefined): [Tensor, Tensor[]] {
    const batched = this.checkInput(input);
    const timeMajor = !batched ? input.unsqueeze(1) : this.batchFirst ? input.transpose(0, 1) : input;
    const batch = timeMajor.shape[1];
    const initialStates = this.checkInitialStates(initial, batched, batch);
    // (L, B, 1), nonzero at each element's real steps. Padded inputs are zeroed first, so that no
    // padding value (NaN, Inf) reaches a product, not even one whose gradient the mask drops.
    const active = lengths === undefined ? undefined : realSteps(this.mode, lengths, batched, timeMajor.shape[0], batch);
    const finalStates: Tensor[][] = this.stateLabels.map(() => []);
    let sequence = active === undefined ? timeMajor : where(active, timeMajor, 0);
    this.layers.forEach((layerParameters, layer) => {
      const outputs = layerParameters.map((parameters, direction) => {
        const index = layer * this.directions + direction;
        const start = initialStates.map((states, s) =>
          states === undefined ? zeros([batch, this.stateSize(s)], { dtype: this.dtype }) : states.select(0, index),
        );
        const [output, last] = withScope(parameters.name, () => this.runDirection(sequence, parameters, start, direction === 1, active));
        last.forEach((state, s) => finalStates[s].push(state));
        return output;
      });
      sequence = concat(outputs, 2);
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) {
        sequence = withScope(`dropout_l${layer}`, () => dropout(sequence, this.dropout, this.generator));
      }
    });
    const output = !batched ? sequence.squeeze(1) : this.batchFirst ? sequence.transpose(0, 1) : sequence;
    const finals = finalStates.map((states) => (batched ? stack(states, 0) : stack(states, 0).squeeze(1)));
    return [output, finals];
  }

  /**
   * One layer in one direction over the whole (L, B, in) sequence; returns (L, B, size of h) and the last
   * states. With `active`, an element whose step t is padding keeps its state and outputs zeros,
   * so its final state is the one of its last real step and the reverse direction starts there.
   *
   * With `checkpointEvery`, the steps run in segments (in the order the direction visits them),
   * each under `func.checkpoint` with its own input projection: a segment's backward then gives
   * its own W_ih gradient from its own gate gradients, where one projection of the whole sequence
   * would join every step's gate gradient into one (L, B, G*H) tensor, the backward's peak.
   */
  private runDirection(sequence: Tensor, parameters: GateParameters, start: CellState, reverse: boolean, active: Tensor | undefined): [Tensor, CellState] {
    const weights = recurrentWeights(parameters);
    const length = sequence.shape[0];
    if (this.checkpointEvery === undefined) return this.runSteps(sequence, 0, parameters, weights, start, reverse, active);
    const segments: Tensor[] = [];
    let state = start;
    for (let visited = 0; visited < length; visited += this.checkpointEvery) {
      const steps = Math.min(this.checkpointEvery, length - visited);
      const first = reverse ? length - visited - steps : visited;
      const segmentSteps = (input: Tensor, ...states: Tensor[]) => {
        const [output, last] = this.runSteps(input, first, parameters, weights, states, reverse, active);
        return [output, ...last];
      };
      const [output, ...last] = func.checkpoint(segmentSteps, sequence.slice(0, first, first + steps), ...state) as Tensor[];
      segments.push(output);
      state = last;
    }
    return [concat(reverse ? segments.reverse() : segments, 0), state];
  }

  /** The steps of `sequence`, time `first + i` at its row i, visited backwards if `reverse`; returns their stacked outputs and the last states. */
  private runSteps(
    sequence: Tensor,
    first: number,
    parameters: GateParameters,
    weights: RecurrentWeights,
    start: CellState,
    reverse: boolean,
    active: Tensor | undefined,
  ): [Tensor, CellState] {
    const gates = inputGates(sequence, parameters);
    const length = sequence.shape[0];
    const outputs = new Array<Tensor>(length);
    let state = start;
    for (let i = 0; i < length; i++) {
      const row = reverse ? length - 1 - i : i;
      withScope(`t${first + row}`, () => {
        const next = this.cell(gates.select(0, row), state, weights);
        if (active === undefined) {
          state = next;
          outputs[row] = next[0];
        } else {
          const real = active.select(0, first + row);
          const previous = state;
          state = next.map((s, k) => where(real, s, previous[k]));
          outputs[row] = where(real, next[0], 0);
        }
      });
    }
    return [stack(outputs, 0), state];
  }

  /** Checks rank, feature size, length and dtype; returns whether the input is batched (3-D). */
  private checkInput(input: Tensor): boolean {
    checkTensor(this.mode, "input", input);
    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new Error(`${this.mode}: Expected input to be 2D or 3D, got ${input.ndim}D instead`);
    }
    const features = input.shape[input.ndim - 1];
    if (features !== this.inputSize) {
      throw new Error(`${this.mode}: input.size(-1) must be equal to inputSize. Expected ${this.inputSize}, got ${features}`);
    }
    checkDType(this.mode, "input", input, this.dtype);
    const timeDim = input.ndim === 3 && this.batchFirst ? 1 : 0;
    if (input.shape[timeDim] === 0) throw new Error(`${this.mode}: Expected sequence length to be larger than 0, got input ${formatShape(input.shape)}`);
    return input.ndim === 3;
  }

  private checkInitialStates(initial: CellState | undefined, batched: boolean, batch: number): (Tensor | undefined)[] {
    if (initial === undefined) return this.stateLabels.map(() => undefined);
    const stacked = this.numLayers * this.directions;
    return this.stateLabels.map((label, s) => {
      const expected = batched ? [stacked, batch, this.stateSize(s)] : [stacked, this.stateSize(s)];
      const state = checkState(this.mode, label, initial[s], expected, this.dtype);
      return batched ? state : state.unsqueeze(1);
    });
  }
}
