/**
 * PyTorch's parameter initializations, drawn from the core's torch-compatible generator: the
 * `init` namespace (torch.nn.init, see functions.ts), the positional fills the layers use, and
 * the fans of a weight.
 */
export * as init from "./functions";
export { fillKaimingUniform, fillNormal, fillUniform } from "./positional";
export { fanInAndFanOut } from "./scales";
