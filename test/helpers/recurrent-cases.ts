/** The recurrent fixtures (seed, rnn, lstm, gru.json) and how to build our module for a case. */
import type { FloatDType, Tensor } from "@gradgraph/core";
import { GRU, LSTM, RNN } from "../../packages/nn/src";
import { type FixtureTensor, loadFixture } from "./fixtures";

export type RecurrentMode = "RNN" | "LSTM" | "GRU";

export interface RecurrentConfig {
  input_size: number;
  hidden_size: number;
  num_layers: number;
  nonlinearity?: "tanh" | "relu";
  bias: boolean;
  batch_first: boolean;
  bidirectional: boolean;
  batched: boolean;
  batch: number | null;
  seq_len: number;
  has_h0: boolean;
}

export interface RecurrentResults {
  output: FixtureTensor;
  h_n: FixtureTensor;
  c_n?: FixtureTensor;
  loss: number;
  grads: { input: FixtureTensor; h0?: FixtureTensor; c0?: FixtureTensor; params: Record<string, FixtureTensor> };
}

export interface RecurrentCase {
  id: string;
  mode: RecurrentMode;
  config: RecurrentConfig;
  params: Record<string, FixtureTensor>;
  input: FixtureTensor;
  h0: FixtureTensor | null;
  c0?: FixtureTensor | null;
  upstream: { output: FixtureTensor; h_n: FixtureTensor; c_n?: FixtureTensor };
  float64: RecurrentResults;
  float32: RecurrentResults;
  notebook_expected?: { output_rounded_4: number[][]; weight_ih_l0_rounded_4: number[][] };
}

export const recurrentFiles = ["seed.json", "rnn.json", "lstm.json", "gru.json"] as const;

export function loadRecurrentCases(file: (typeof recurrentFiles)[number]): RecurrentCase[] {
  return loadFixture<RecurrentCase>(file);
}

/** Our module for a fixture config: PyTorch's keyword arguments in our option names. */
export function buildRecurrent(mode: RecurrentMode, c: RecurrentConfig, dtype: FloatDType): RNN | LSTM | GRU {
  const options = {
    inputSize: c.input_size,
    hiddenSize: c.hidden_size,
    numLayers: c.num_layers,
    bias: c.bias,
    batchFirst: c.batch_first,
    bidirectional: c.bidirectional,
    dtype,
  };
  if (mode === "LSTM") return new LSTM(options);
  if (mode === "GRU") return new GRU(options);
  return new RNN({ ...options, nonlinearity: c.nonlinearity });
}

/** Runs any of the three modules with optional initial states; returns the output and the final states ([hN] or [hN, cN]). */
export function runRecurrent(module: RNN | LSTM | GRU, input: Tensor, h0?: Tensor, c0?: Tensor): [Tensor, Tensor[]] {
  if (module instanceof LSTM) {
    const [output, [hN, cN]] = module.forward(input, h0 === undefined ? undefined : [h0, c0!]);
    return [output, [hN, cN]];
  }
  const [output, hN] = module.forward(input, h0);
  return [output, [hN]];
}
