export {
  CheckpointError,
  MAX_HEADER_SIZE,
  decodeSafetensors,
  encodeSafetensors,
  type TensorLayout,
  type TensorRecord,
} from "./safetensors";
export { CHECKSUM_PREFIX, decodeCheckpoint, encodeCheckpoint } from "./checksums";
export { loadCheckpoint, saveCheckpoint, writeFileAtomic } from "./atomicWrite";
export { createProgress, formatLoss, type ProgressOptions, type ProgressReporter, type ProgressStream } from "./progress";
export { lossCurveSvg, writeLossCurve, type LossCurveOptions, type LossPoint } from "./lossCurve";
export { trainStep } from "./step";
