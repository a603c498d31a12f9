export {
  Module,
  type AnyModule,
  type ModuleOptions,
  type StateDictValue,
  type LoadStateDictOptions,
  type LoadStateDictResult,
} from "./module";
export { fanInAndFanOut, fillKaimingUniform, fillNormal, fillUniform } from "./init";
export * from "./layers";
export * from "./recurrent";
export * from "./training";
export * from "./losses";
export * from "./optim";
export { load, restore, save, type Checkpoint, type SaveOptions } from "./checkpoint";
