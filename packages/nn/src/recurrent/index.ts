export { RecurrentBase, type RecurrentOptions, type RecurrentCellOptions, type RecurrentWeights, type CellState } from "./base";
export { RecurrentCellBase } from "./cell";
export { RNN, RNNCell, type RNNOptions, type RNNCellOptions } from "./rnn";
export { LSTM, LSTMCell, type LSTMOptions } from "./lstm";
export { GRU, GRUCell } from "./gru";
export { padSequence, type PadSequenceOptions, type SequenceLengths } from "./sequences";
