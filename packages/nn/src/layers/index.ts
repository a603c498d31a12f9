export { Linear, type LinearOptions } from "./linear";
export { Embedding, type EmbeddingOptions } from "./embedding";
export { Dropout, type DropoutOptions, dropout } from "./dropout";
export { Sequential } from "./sequential";
export { LogSoftmax, ReLU, Sigmoid, Softmax, Tanh } from "./activations";
