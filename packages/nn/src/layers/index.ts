export { Linear, type LinearOptions } from "./linear";
export { Embedding, type EmbeddingOptions } from "./embedding";
export { Dropout, type DropoutOptions, dropout } from "./dropout";
export { Sequential } from "./sequential";
export {
  CELU,
  ELU,
  GELU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  LogSigmoid,
  LogSoftmax,
  Mish,
  ReLU,
  ReLU6,
  SELU,
  SiLU,
  Sigmoid,
  Softmax,
  Softplus,
  Softsign,
  Tanh,
} from "./activations";
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormOptions,
  GroupNorm,
  type GroupNormOptions,
  LayerNorm,
  type LayerNormOptions,
} from "./normalization";
export { Flatten, Identity, Unflatten } from "./reshaping";
export { Conv1d, Conv2d, type ConvOptions, type ConvPaddingMode, ConvTranspose1d, ConvTranspose2d, type ConvTransposeOptions } from "./conv";
export { AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, type MaxPoolModuleOptions, Upsample } from "./pooling";
export { ModuleDict, ModuleList } from "./containers";
export { MultiheadAttention, type MultiheadAttentionForwardOptions, type MultiheadAttentionOptions } from "./attention";
export {
  type TransformerActivation,
  TransformerEncoder,
  type TransformerEncoderForwardOptions,
  TransformerEncoderLayer,
  type TransformerEncoderLayerForwardOptions,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderOptions,
} from "./transformer";
