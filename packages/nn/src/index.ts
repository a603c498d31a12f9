export {
  Module,
  type AnyModule,
  type ModuleOptions,
  type StateDictValue,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type RegisterBufferOptions,
  type ZeroGradOptions,
} from "./module";
export { fanInAndFanOut, fillKaimingUniform, fillNormal, fillUniform, init } from "./init";
export * from "./layers";
export * from "./recurrent";
export * from "./data";
export * from "./training";
export * from "./losses";
export * from "./optim";
export { load, restore, save, type Checkpoint, type SaveOptions } from "./checkpoint";
