import {
  type FloatDType,
  type Generator,
  Tensor,
  concat,
  formatShape,
  sameShape,
  stack,
  withScope,
  zeros,
} from "@gradgraph/core";
import { fillUniform } from "../init";
import { dropout } from "../layers/dropout";
import { checkBoolean, checkFloatDType, checkGenerator, checkPositiveInteger, checkProbability, checkTensor, readOptions } from "../validation";
import { Module, type ModuleOptions } from "../module";

export interface RecurrentOptions extends ModuleOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  bias?: boolean;
  /** Input and output are (batch, seq, feature) instead of (seq, batch, feature); never affects h0/hN. */
  batchFirst?: boolean;
  /** Dropout on each layer's output except the last, in training mode only. */
  dropout?: number;
  bidirectional?: boolean;
  dtype?: FloatDType;
  /** Draws the initial weights and the dropout masks; the shared default generator unless given. */
  generator?: Generator;
}

const RECURRENT_OPTIONS = [
  "inputSize",
  "hiddenSize",
  "numLayers",
  "bias",
  "batchFirst",
  "dropout",
  "bidirectional",
  "dtype",
  "generator",
  "name",
] as const satisfies readonly (keyof RecurrentOptions)[];

/** One layer and direction's parameters, as PyTorch names them `weight_ih_l{k}{_reverse}` and so on. */
interface DirectionParameters {
  /** `l{k}` or `l{k}_reverse`: the parameter-name suffix and the scope of this direction's steps. */
  name: string;
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor | undefined;
  biasHh: Tensor | undefined;
}

/** What a cell sees of its recurrent weights at each step (the transpose is built once per layer). */
export interface RecurrentWeights {
  /** W_hh^T, (H, G*H). */
  weightHhT: Tensor;
  biasHh: Tensor | undefined;
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

/**
 * The structure RNN, LSTM and GRU share: parameters per layer and direction in PyTorch's order
 * and initialization, input validation, and the unrolled loop over layers × directions × steps.
 * Subclasses provide only the cell: one time step from the input's gate projection and the state.
 *
 * Layer k > 0 consumes layer k-1's full output sequence (both directions concatenated). Every
 * step's nodes are built in the scope `l{k}{_reverse}.t{time}` under the module's path. The loop
 * is iterative, so sequences of any length build without deep recursion.
 */
export abstract class RecurrentBase<Hidden> extends Module<[input: Tensor, hidden?: Hidden], [Tensor, Hidden]> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly dtype: FloatDType;
  private readonly generator: Generator | undefined;
  /** [layer][direction] */
  private readonly layers: DirectionParameters[][];

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
    /** The subclass's own option names (RNN's nonlinearity), so they are not refused as unknown. */
    ownOptions: readonly string[] = [],
  ) {
    const {
      inputSize,
      hiddenSize,
      numLayers = 1,
      bias = true,
      batchFirst = false,
      dropout: dropoutProbability = 0,
      bidirectional = false,
      dtype = "float32",
      generator,
      name,
    } = readOptions(mode, options, [...RECURRENT_OPTIONS, ...(ownOptions as (keyof RecurrentOptions)[])]);
    super({ name });
    this.mode = mode;
    this.stateLabels = stateLabels;
    checkPositiveInteger(mode, "inputSize", inputSize);
    checkPositiveInteger(mode, "hiddenSize", hiddenSize);
    checkPositiveInteger(mode, "numLayers", numLayers);
    checkBoolean(mode, "bias", bias);
    checkBoolean(mode, "batchFirst", batchFirst);
    checkProbability(mode, dropoutProbability);
    checkBoolean(mode, "bidirectional", bidirectional);
    checkFloatDType(mode, dtype);
    checkGenerator(mode, generator);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = bias;
    this.batchFirst = batchFirst;
    this.dropout = dropoutProbability;
    this.bidirectional = bidirectional;
    this.dtype = dtype;
    this.generator = generator;

    const gateRows = gateCount * hiddenSize;
    const parameter = (key: string, shape: number[]) => this.registerParameter(key, zeros(shape, { dtype }));
    this.layers = [];
    for (let layer = 0; layer < numLayers; layer++) {
      const layerInputSize = layer === 0 ? inputSize : this.directions * hiddenSize;
      const perDirection: DirectionParameters[] = [];
      for (let direction = 0; direction < this.directions; direction++) {
        const name = `l${layer}${direction === 1 ? "_reverse" : ""}`;
        perDirection.push({
          name,
          weightIh: parameter(`weight_ih_${name}`, [gateRows, layerInputSize]),
          weightHh: parameter(`weight_hh_${name}`, [gateRows, hiddenSize]),
          biasIh: bias ? parameter(`bias_ih_${name}`, [gateRows]) : undefined,
          biasHh: bias ? parameter(`bias_hh_${name}`, [gateRows]) : undefined,
        });
      }
      this.layers.push(perDirection);
    }
    // PyTorch's reset_parameters: every parameter, in named_parameters order, from U(-1/sqrt(H), 1/sqrt(H)).
    const bound = 1 / Math.sqrt(hiddenSize);
    for (const p of this.parameters()) fillUniform(p, -bound, bound, generator);
  }

  private get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** One time step: `inputGates` is `x_t W_ih^T + b_ih` (B, G*H); returns the new states, h first. */
  protected abstract cell(inputGates: Tensor, state: CellState, weights: RecurrentWeights): Tensor[];

  /**
   * Runs the whole stack over `input` from the initial states (zeros when omitted); returns the
   * output sequence and the final states, each shaped (layers*directions, [batch,] hidden).
   */
  protected unroll(input: Tensor, initial: CellState | undefined): [Tensor, Tensor[]] {
    const batched = this.checkInput(input);
    const timeMajor = !batched ? input.unsqueeze(1) : this.batchFirst ? input.transpose(0, 1) : input;
    const batch = timeMajor.shape[1];
    const initialStates = this.checkInitialStates(initial, batched, batch);
    const finalStates: Tensor[][] = this.stateLabels.map(() => []);
    let sequence = timeMajor;
    this.layers.forEach((layerParameters, layer) => {
      const outputs = layerParameters.map((parameters, direction) => {
        const index = layer * this.directions + direction;
        const start = initialStates.map((states) =>
          states === undefined ? zeros([batch, this.hiddenSize], { dtype: this.dtype }) : states.select(0, index),
        );
        const [output, last] = withScope(parameters.name, () => this.runDirection(sequence, parameters, start, direction === 1));
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

  /** One layer in one direction over the whole (L, B, in) sequence; returns (L, B, H) and the last states. */
  private runDirection(sequence: Tensor, parameters: DirectionParameters, start: CellState, reverse: boolean): [Tensor, CellState] {
    // The input half of every step's gates is one matmul for the whole sequence.
    const projected = sequence.matmul(parameters.weightIh.T);
    const inputGates = parameters.biasIh === undefined ? projected : projected.add(parameters.biasIh);
    const weights: RecurrentWeights = { weightHhT: parameters.weightHh.T, biasHh: parameters.biasHh };
    const length = sequence.shape[0];
    const outputs = new Array<Tensor>(length);
    let state = start;
    for (let i = 0; i < length; i++) {
      const t = reverse ? length - 1 - i : i;
      state = withScope(`t${t}`, () => this.cell(inputGates.select(0, t), state, weights));
      outputs[t] = state[0];
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
    this.checkDType("input", input);
    const timeDim = input.ndim === 3 && this.batchFirst ? 1 : 0;
    if (input.shape[timeDim] === 0) throw new Error(`${this.mode}: Expected sequence length to be larger than 0, got input ${formatShape(input.shape)}`);
    return input.ndim === 3;
  }

  private checkInitialStates(initial: CellState | undefined, batched: boolean, batch: number): (Tensor | undefined)[] {
    if (initial === undefined) return this.stateLabels.map(() => undefined);
    const stacked = this.numLayers * this.directions;
    const expected = batched ? [stacked, batch, this.hiddenSize] : [stacked, this.hiddenSize];
    return this.stateLabels.map((label, s) => {
      const state = initial[s];
      if (!(state instanceof Tensor)) {
        throw new TypeError(`${this.mode}: ${label} must be a Tensor of shape ${formatShape(expected)}`);
      }
      if (!sameShape(state.shape, expected)) {
        throw new Error(`${this.mode}: Expected ${label} size ${formatShape(expected)}, got ${formatShape(state.shape)}`);
      }
      this.checkDType(label, state);
      return batched ? state : state.unsqueeze(1);
    });
  }

  private checkDType(what: string, x: Tensor): void {
    if (x.dtype !== this.dtype) {
      throw new TypeError(
        `${this.mode}: ${what} is ${x.dtype} but the parameters are ${this.dtype}; ` +
          `cast it with .cast("${this.dtype}") or build the module with dtype: "${x.dtype}"`,
      );
    }
  }
}
