import { type FloatDType, type Generator, type Tensor, zeros } from "@gradgraph/core";
import { fillKaimingUniform, fillUniform } from "../init";
import { Module, type ModuleOptions } from "../module";
import { pyBool } from "../pythonRepr";
import { checkBoolean, checkFloatDType, checkGenerator, checkPositiveInteger, checkTensor, readOptions } from "../validation";

/** Options of `Linear`: a bias (true by default), the dtype, the generator its weights are drawn from. */
export interface LinearOptions extends ModuleOptions {
  bias?: boolean;
  dtype?: FloatDType;
  /** Where the initial weights are drawn from; the shared default generator unless given. */
  generator?: Generator;
}

/** `y = x W^T + b` over the last dim, as torch.nn.Linear (same parameter names, shapes and initialization). */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options?: LinearOptions,
  ) {
    const { bias = true, dtype = "float32", generator, name } = readOptions("Linear", options, ["bias", "dtype", "generator", "name"]);
    super({ name });
    checkPositiveInteger("Linear", "inFeatures", inFeatures);
    checkPositiveInteger("Linear", "outFeatures", outFeatures);
    checkBoolean("Linear", "bias", bias);
    checkFloatDType("Linear", dtype);
    checkGenerator("Linear", generator);
    this.weight = this.registerParameter("weight", zeros([outFeatures, inFeatures], { dtype }));
    this.bias = bias ? this.registerParameter("bias", zeros([outFeatures], { dtype })) : undefined;
    // PyTorch's reset_parameters: kaiming_uniform_(a=sqrt(5)) on the weight, then U(±1/sqrt(fan_in)) on the bias.
    fillKaimingUniform(this.weight, Math.sqrt(5), generator);
    if (this.bias !== undefined) fillUniform(this.bias, -1 / Math.sqrt(inFeatures), 1 / Math.sqrt(inFeatures), generator);
  }

  forward(input: Tensor): Tensor {
    checkTensor("Linear", "input", input);
    const product = input.matmul(this.weight.T);
    return this.bias === undefined ? product : product.add(this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== undefined)}`;
  }
}
