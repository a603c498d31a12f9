import { type FloatDType, type Generator, type Tensor, formatShape, where, zeros } from "@gradgraph/core";
import { fillNormal } from "../init";
import { Module, type ModuleOptions } from "../module";
import { pyFloat } from "../pythonRepr";
import { checkFiniteNumber, checkFloatDType, checkGenerator, checkInteger, checkPositiveInteger, checkTensor, readOptions } from "../validation";

/** Options of `Embedding`, as `torch.nn.Embedding` takes them. */
export interface EmbeddingOptions extends ModuleOptions {
  /**
   * PyTorch's padding_idx: that row starts as zeros and never receives a gradient, so it stays a
   * fixed "padding" vector. Negative values count from the end.
   */
  paddingIdx?: number;
  /** PyTorch's max_norm: every looked-up row whose norm exceeds it is scaled down to it, in the weight itself, before the lookup. */
  maxNorm?: number;
  /** The p of the norm maxNorm bounds, 2 by default (PyTorch's norm_type). */
  normType?: number;
  dtype?: FloatDType;
  generator?: Generator;
}

/** torch.nn.Embedding: row `i` of `weight` for every int32 index `i`; the output shape is `[...indices.shape, embeddingDim]`. */
export class Embedding extends Module {
  readonly weight: Tensor;
  /** In [0, numEmbeddings), as PyTorch stores it. */
  readonly paddingIdx: number | undefined;
  readonly maxNorm: number | undefined;
  readonly normType: number;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options?: EmbeddingOptions,
  ) {
    const read = readOptions("Embedding", options, ["paddingIdx", "maxNorm", "normType", "dtype", "generator", "name"]);
    const { paddingIdx, maxNorm, normType = 2, dtype = "float32", generator, name } = read;
    super({ name });
    checkPositiveInteger("Embedding", "numEmbeddings", numEmbeddings);
    checkPositiveInteger("Embedding", "embeddingDim", embeddingDim);
    if (paddingIdx !== undefined) {
      checkInteger("Embedding", "paddingIdx", paddingIdx);
      if (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings) {
        throw new RangeError(`Embedding: Padding_idx must be within num_embeddings, got paddingIdx ${paddingIdx} for ${numEmbeddings} embeddings`);
      }
    }
    if (maxNorm !== undefined) checkFiniteNumber("Embedding", "maxNorm", maxNorm);
    checkFiniteNumber("Embedding", "normType", normType);
    if (!(normType > 0)) throw new RangeError(`Embedding: normType must be positive, got ${normType}`);
    checkFloatDType("Embedding", dtype);
    checkGenerator("Embedding", generator);
    this.paddingIdx = paddingIdx === undefined || paddingIdx >= 0 ? paddingIdx : paddingIdx + numEmbeddings;
    this.maxNorm = maxNorm;
    this.normType = normType;
    this.weight = this.registerParameter("weight", zeros([numEmbeddings, embeddingDim], { dtype }));
    // PyTorch's reset_parameters: normal_ on the whole weight, then the padding row zeroed.
    fillNormal(this.weight, 0, 1, generator);
    if (this.paddingIdx !== undefined) {
      const values = this.weight.data().slice();
      values.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
      this.weight.assign(values);
    }
  }

  forward(indices: Tensor): Tensor {
    checkTensor("Embedding", "indices", indices);
    if (indices.dtype !== "int32") {
      throw new TypeError(`Embedding: expected int32 indices, got ${indices.dtype} ${formatShape(indices.shape)}; build them with { dtype: "int32" }`);
    }
    const flat = indices.reshape(-1);
    if (this.maxNorm !== undefined) this.renormalizeRows(flat.data(), this.maxNorm);
    // Out-of-range indices are reported by indexSelect when the values are computed.
    const looked = this.weight.indexSelect(0, flat);
    // The padding row's lookups are constants: no gradient reaches it (PyTorch's embedding_backward skips it).
    const rows = this.paddingIdx === undefined ? looked : where(flat.eq(this.paddingIdx).reshape(-1, 1), looked.detach(), looked);
    return rows.reshape(...indices.shape, this.embeddingDim);
  }

  override extraRepr(): string {
    let text = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== undefined) text += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== undefined) text += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) text += `, norm_type=${pyFloat(this.normType)}`;
    return text;
  }

  /**
   * PyTorch's embedding_renorm_, run before the lookup as F.embedding does: each distinct row
   * among `indices` whose norm exceeds `maxNorm` is multiplied by maxNorm / (norm + 1e-7), in the
   * weight itself (a new version of the leaf; tensors built on the old one keep its values).
   */
  private renormalizeRows(indices: ArrayLike<number>, maxNorm: number): void {
    const values = this.weight.data().slice();
    const dim = this.embeddingDim;
    let changed = false;
    for (const row of new Set(Array.from(indices))) {
      if (!(row >= 0 && row < this.numEmbeddings)) continue; // left for indexSelect to report
      const norm = pNorm(values.subarray(row * dim, (row + 1) * dim), this.normType);
      if (norm > maxNorm) {
        const scale = maxNorm / (norm + 1e-7);
        for (let j = row * dim; j < (row + 1) * dim; j++) values[j] *= scale;
        changed = true;
      }
    }
    if (changed) this.weight.assign(values);
  }
}

/** The p-norm of `row`: for p = 2 the square root of the sum of squares, as PyTorch's norm computes it. */
function pNorm(row: ArrayLike<number>, p: number): number {
  let sum = 0;
  for (let j = 0; j < row.length; j++) sum += p === 2 ? row[j] * row[j] : Math.abs(row[j]) ** p;
  return p === 2 ? Math.sqrt(sum) : sum ** (1 / p);
}
