export {
  Optimizer,
  type Hyperparameters,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type Params,
  type Update,
} from "./optimizer";
export { SGD, type SGDOptions } from "./sgd";
export { Adam, AdamW, type AdamOptions } from "./adam";
export { RMSprop, type RMSpropOptions } from "./rmsprop";
export { Adagrad, type AdagradOptions } from "./adagrad";
export { Adamax, type AdamaxOptions } from "./adamax";
export { NAdam, type NAdamOptions } from "./nadam";
export { clipGradNorm } from "./clip";
export * from "./schedulers";
