import { type FloatDType, type Generator, type Tensor, formatShape, zeros } from "@gradgraph/core";
import { fillNormal } from "../init";
import { Module, type ModuleOptions } from "../module";
import { checkFloatDType, checkGenerator, checkPositiveInteger, checkTensor, readOptions } from "../validation";

export interface EmbeddingOptions extends ModuleOptions {
  dtype?: FloatDType;
  generator?: Generator;
}

/** torch.nn.Embedding: row `i` of `weight` for every int32 index `i`; the output shape is `[...indices.shape, embeddingDim]`. */
export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options?: EmbeddingOptions,
  ) {
    const { dtype = "float32", generator, name } = readOptions("Embedding", options, ["dtype", "generator", "name"]);
    super({ name });
    checkPositiveInteger("Embedding", "numEmbeddings", numEmbeddings);
    checkPositiveInteger("Embedding", "embeddingDim", embeddingDim);
    checkFloatDType("Embedding", dtype);
    checkGenerator("Embedding", generator);
    this.weight = this.registerParameter("weight", zeros([numEmbeddings, embeddingDim], { dtype }));
    fillNormal(this.weight, 0, 1, generator);
  }

  forward(indices: Tensor): Tensor {
    checkTensor("Embedding", "indices", indices);
    if (indices.dtype !== "int32") {
      throw new TypeError(`Embedding: expected int32 indices, got ${indices.dtype} ${formatShape(indices.shape)}; build them with { dtype: "int32" }`);
    }
    // Out-of-range indices are reported by indexSelect when the values are computed.
    const rows = this.weight.indexSelect(0, indices.reshape(-1));
    return rows.reshape(...indices.shape, this.embeddingDim);
  }
}
