/**
 * Loss functions on core tensors, PyTorch's `torch.nn.functional` semantics (1.13): the loss per
 * element (or per sample), then a reduction.
 */
export type { LossOptions, Reduction } from "./common";
export { type HuberLossOptions, type SmoothL1LossOptions, huberLoss, l1Loss, mseLoss, smoothL1Loss } from "./regression";
export { type CrossEntropyLossOptions, type NllLossOptions, crossEntropyLoss, nllLoss } from "./classification";
export {
  type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
} from "./binary";
export { type KLDivLossOptions, klDivLoss } from "./klDiv";
export { type CosineEmbeddingLossOptions, cosineEmbeddingLoss } from "./cosineEmbedding";
