export { LRScheduler, type ScheduledGroup, type SchedulerStateDict } from "./scheduler";
export { StepLR, type StepLROptions } from "./stepLR";
export { MultiStepLR, type MultiStepLROptions } from "./multiStepLR";
export { ExponentialLR, type ExponentialLROptions } from "./exponentialLR";
export { CosineAnnealingLR, type CosineAnnealingLROptions } from "./cosineAnnealingLR";
export { LinearLR, type LinearLROptions } from "./linearLR";
export { OneCycleLR, type OneCycleLROptions } from "./oneCycleLR";
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from "./reduceLROnPlateau";
