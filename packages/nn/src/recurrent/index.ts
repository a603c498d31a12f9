export { RecurrentBase, type RecurrentOptions, type RecurrentWeights, type CellState } from "./base";
export { RNN, type RNNOptions } from "./rnn";
export { LSTM } from "./lstm";
export { GRU } from "./gru";
