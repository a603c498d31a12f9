/**
 * PyTorch's `torch.nn` and around it: `Module` with state dicts, layers (linear, convolution,
 * normalization, attention, recurrent), `init`, the losses, optimizers and learning-rate schedulers,
 * `DataLoader`, and safetensors checkpoints PyTorch reads.
 *
 * @module @gradgraph/nn
 */
export {
  Module,
  type AnyModule,
  type ModuleOptions,
  type StateDictValue,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type RegisterBufferOptions,
  type ZeroGradOptions,
  type ForwardHook,
  type HookHandle,
} from "./module";
export { summary, type ModelSummary, type SummaryOptions, type SummaryRow } from "./summary";
export { fanInAndFanOut, fillKaimingUniform, fillNormal, fillUniform, init } from "./init";
export * from "./layers";
export * from "./recurrent";
export * from "./data";
export * from "./training";
export * from "./losses";
export * from "./optim";
export { load, restore, save, saveToBytes, type Checkpoint, type SaveOptions } from "./checkpoint";
