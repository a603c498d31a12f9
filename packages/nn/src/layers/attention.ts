import { concat, isFloat, type FloatDType, type Generator, type Tensor, formatShape, sameShape, scalar, scaledDotProductAttention, where, zeros } from "@gradgraph/core";
import { init } from "../init";
import { Module, type ModuleOptions } from "../module";
import { checkBoolean, checkFloatDType, checkGenerator, checkPositiveInteger, checkProbability, checkTensor, readOptions } from "../validation";
import { Linear } from "./linear";

/** Options of `MultiheadAttention`, as `torch.nn.MultiheadAttention` takes them. */
export interface MultiheadAttentionOptions extends ModuleOptions {
  /** Dropout on the attention weights, in training mode only; 0 by default. */
  dropout?: number;
  /** Biases on the input and output projections (true by default). */
  bias?: boolean;
  /** The keys' feature size, embedDim by default; another size gives separate projection weights. */
  kdim?: number;
  /** The values' feature size, embedDim by default. */
  vdim?: number;
  /** Learned bias_k and bias_v, each appended to the keys and values as one more position (false by default). */
  addBiasKv?: boolean;
  /** One more key and value position of zeros, after the others (false by default). */
  addZeroAttn?: boolean;
  /** Inputs and output are (batch, seq, feature) instead of (seq, batch, feature). */
  batchFirst?: boolean;
  dtype?: FloatDType;
  /** Draws the initial weights and the dropout masks; the shared default generator unless given. */
  generator?: Generator;
}

/** Options of `MultiheadAttention.forward`: masks, and whether (and how) to return the weights. */
export interface MultiheadAttentionForwardOptions {
  /**
   * (N, S), or (S) for an unbatched query: which keys each batch element ignores. A bool (or int32) mask
   * is PyTorch's bool mask (nonzero = padding, ignored); a float mask is added to the scores.
   */
  keyPaddingMask?: Tensor;
  /** Return the attention weights as well (true by default). */
  needWeights?: boolean;
  /**
   * (L, S), or (N·numHeads, L, S) per batch element and head: which keys each query may not
   * attend to. A bool (or int32) mask is PyTorch's bool mask (nonzero = not allowed); a float mask is added.
   */
  attnMask?: Tensor;
  /** Average the returned weights over the heads (true by default), else (N, numHeads, L, S). */
  averageAttnWeights?: boolean;
}

/** A mask as PyTorch's multi_head_attention_forward converts it: a bool (or int32) mask becomes -Infinity where nonzero, 0 elsewhere. */
function additive(mask: Tensor, dtype: FloatDType): Tensor {
  return !isFloat(mask.dtype) ? where(mask, scalar(-Infinity, dtype), 0) : mask;
}

/**
 * The class of MultiheadAttention's `out_proj`, as PyTorch names it (a Linear that its
 * quantization tooling leaves alone), so that the module prints as PyTorch's does.
 */
class NonDynamicallyQuantizableLinear extends Linear {}

/**
 * torch.nn.MultiheadAttention: queries, keys and values projected, split into `numHeads` heads
 * that each run scaled dot-product attention, concatenated and projected again. Parameters as
 * PyTorch's: `in_proj_weight` (3E, E) stacking the query, key and value projections (or
 * `q_proj_weight`, `k_proj_weight`, `v_proj_weight` when kdim or vdim differ from embedDim),
 * `in_proj_bias` (3E), and the child `out_proj` (a Linear); initialized in PyTorch's order: out_proj
 * as a Linear, then xavier_uniform on the input projections, then both biases zeroed.
 *
 * A key padding mask and an attention mask of different kinds (float and bool) are combined by
 * adding them as float masks, as PyTorch 2.0 does; PyTorch 1.13 refuses a float pair and reads
 * a float padding mask beside a bool attention mask as bool.
 */
export class MultiheadAttention extends Module<[Tensor, Tensor, Tensor, MultiheadAttentionForwardOptions?], [Tensor, Tensor | undefined]> {
  readonly dropout: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly batchFirst: boolean;
  readonly headDim: number;
  /** Present when the query, key and value have embedDim features (one stacked weight). */
  readonly inProjWeight: Tensor | undefined;
  readonly qProjWeight: Tensor | undefined;
  readonly kProjWeight: Tensor | undefined;
  readonly vProjWeight: Tensor | undefined;
  readonly inProjBias: Tensor | undefined;
  /** (1, 1, embedDim) each, with addBiasKv. */
  readonly biasK: Tensor | undefined;
  readonly biasV: Tensor | undefined;
  readonly addZeroAttn: boolean;
  readonly outProj: Linear;
  private readonly generator: Generator | undefined;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options?: MultiheadAttentionOptions,
  ) {
    const read = readOptions("MultiheadAttention", options, ["dropout", "bias", "addBiasKv", "addZeroAttn", "kdim", "vdim", "batchFirst", "dtype", "generator", "name"]);
    const { dropout = 0, bias = true, addBiasKv = false, addZeroAttn = false, kdim = embedDim, vdim = embedDim, batchFirst = false, dtype = "float32", generator, name } = read;
    super({ name });
    const owner = "MultiheadAttention";
    checkPositiveInteger(owner, "embedDim", embedDim);
    checkPositiveInteger(owner, "numHeads", numHeads);
    if (embedDim % numHeads !== 0) throw new RangeError(`${owner}: embed_dim must be divisible by num_heads, got embedDim ${embedDim} and numHeads ${numHeads}`);
    checkProbability(owner, dropout);
    checkBoolean(owner, "bias", bias);
    checkBoolean(owner, "addBiasKv", addBiasKv);
    checkBoolean(owner, "addZeroAttn", addZeroAttn);
    checkPositiveInteger(owner, "kdim", kdim);
    checkPositiveInteger(owner, "vdim", vdim);
    checkBoolean(owner, "batchFirst", batchFirst);
    checkFloatDType(owner, dtype);
    checkGenerator(owner, generator);
    this.dropout = dropout;
    this.kdim = kdim;
    this.vdim = vdim;
    this.batchFirst = batchFirst;
    this.headDim = embedDim / numHeads;
    this.generator = generator;
    const packed = kdim === embedDim && vdim === embedDim;
    const projection = (key: string, rows: number, columns: number) => this.registerParameter(key, zeros([rows, columns], { dtype }));
    this.inProjWeight = packed ? projection("in_proj_weight", 3 * embedDim, embedDim) : undefined;
    this.qProjWeight = packed ? undefined : projection("q_proj_weight", embedDim, embedDim);
    this.kProjWeight = packed ? undefined : projection("k_proj_weight", embedDim, kdim);
    this.vProjWeight = packed ? undefined : projection("v_proj_weight", embedDim, vdim);
    this.inProjBias = bias ? this.registerParameter("in_proj_bias", zeros([3 * embedDim], { dtype })) : undefined;
    this.biasK = addBiasKv ? this.registerParameter("bias_k", zeros([1, 1, embedDim], { dtype })) : undefined;
    this.biasV = addBiasKv ? this.registerParameter("bias_v", zeros([1, 1, embedDim], { dtype })) : undefined;
    this.addZeroAttn = addZeroAttn;
    this.outProj = this.registerModule("out_proj", new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias, dtype, generator }));
    // PyTorch's _reset_parameters, after out_proj's own initialization has drawn.
    for (const weight of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight]) {
      if (weight !== undefined) init.xavierUniform(weight, { generator });
    }
    if (this.inProjBias !== undefined) {
      init.zeros(this.inProjBias);
      init.zeros(this.outProj.bias!);
    }
    for (const extra of [this.biasK, this.biasV]) if (extra !== undefined) init.xavierNormal(extra, { generator });
  }

  /**
   * `[output, weights]`: the output (L, N, E) (or (N, L, E) with batchFirst, (L, E) unbatched)
   * and, with needWeights, the attention weights (N, L, S), per head (N, numHeads, L, S) without
   * averageAttnWeights, without N when unbatched.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options?: MultiheadAttentionForwardOptions): [Tensor, Tensor | undefined] {
    const owner = "MultiheadAttention";
    const read = readOptions(owner, options, ["keyPaddingMask", "needWeights", "attnMask", "averageAttnWeights"]);
    const { keyPaddingMask, needWeights = true, attnMask, averageAttnWeights = true } = read;
    checkTensor(owner, "query", query);
    checkTensor(owner, "key", key);
    checkTensor(owner, "value", value);
    if (keyPaddingMask !== undefined) checkTensor(owner, "keyPaddingMask", keyPaddingMask);
    if (attnMask !== undefined) checkTensor(owner, "attnMask", attnMask);
    checkBoolean(owner, "needWeights", needWeights);
    checkBoolean(owner, "averageAttnWeights", averageAttnWeights);
    const batched = this.checkRanks(query, key, value, keyPaddingMask, attnMask);
    // Work in PyTorch's layout, (seq, batch, feature), with a batch of one for unbatched inputs.
    const [q, k, v] = [query, key, value].map((t) => (!batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t));
    const [targetLength, batch, embedding] = q.shape;
    const sourceLength = k.shape[0];
    if (embedding !== this.embedDim) throw new RangeError(`${owner}: was expecting embedding dimension of ${this.embedDim}, but got ${embedding}`);
    if (this.inProjWeight !== undefined && !sameShape(k.shape, v.shape)) {
      throw new RangeError(`${owner}: key shape ${formatShape(k.shape)} does not match value shape ${formatShape(v.shape)}`);
    }
    if (!sameShape(k.shape.slice(0, 2), v.shape.slice(0, 2))) {
      throw new RangeError(`${owner}: key's sequence and batch dims ${formatShape(k.shape.slice(0, 2))} do not match value's ${formatShape(v.shape.slice(0, 2))}`);
    }
    for (const [what, t, size] of [["key", k, this.kdim], ["value", v, this.vdim]] as const) {
      if (t.shape[2] !== size) throw new RangeError(`${owner}: expected ${what} with ${size} features (${what[0]}dim), got ${what} ${formatShape(t.shape)}`);
    }
    const heads = this.numHeads;
    const dtype = q.dtype as FloatDType;
    // bias_k / bias_v and the zero attention are key positions after the given ones, never masked.
    const extraKeys = (this.biasK === undefined ? 0 : 1) + (this.addZeroAttn ? 1 : 0);
    const mask = this.combinedMask(dtype, targetLength, sourceLength, extraKeys, batch, batched ? keyPaddingMask : keyPaddingMask?.unsqueeze(0), attnMask);
    const keyLength = sourceLength + extraKeys;
    // (seq, batch, E) → (batch·heads, seq, headDim): each head of each batch element is one attention.
    const split = (t: Tensor) => t.reshape(t.shape[0], batch * heads, this.headDim).transpose(0, 1);
    const withExtras = (projected: Tensor, bias: Tensor | undefined) => {
      const withBias = bias === undefined ? projected : concat([projected, bias.expand(1, batch, this.embedDim)], 0);
      const perHead = split(withBias);
      return this.addZeroAttn ? concat([perHead, zeros([batch * heads, 1, this.headDim], { dtype })], 1) : perHead;
    };
    const { output, attnWeights } = scaledDotProductAttention(
      split(this.project(q, 0)),
      withExtras(this.project(k, 1), this.biasK),
      withExtras(this.project(v, 2), this.biasV),
      { attnMask: mask, dropoutP: this.training ? this.dropout : 0, generator: this.generator },
    );
    const merged = this.outProj.forward(output.transpose(0, 1).reshape(targetLength, batch, this.embedDim));
    const result = !batched ? merged.squeeze(1) : this.batchFirst ? merged.transpose(0, 1) : merged;
    if (!needWeights) return [result, undefined];
    const perHead = attnWeights.reshape(batch, heads, targetLength, keyLength);
    const weights = averageAttnWeights ? perHead.sum(1).div(heads) : perHead;
    return [result, batched ? weights : weights.squeeze(0)];
  }

  /** PyTorch's _mha_shape_check: the ranks of the inputs and masks; whether the query is batched. */
  private checkRanks(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor | undefined, attnMask: Tensor | undefined): boolean {
    const owner = "MultiheadAttention";
    if (query.ndim !== 2 && query.ndim !== 3) {
      throw new RangeError(`${owner}: query should be unbatched 2D or batched 3D tensor but received ${query.ndim}-D query tensor`);
    }
    const batched = query.ndim === 3;
    const kind = batched ? "batched (3-D)" : "unbatched (2-D)";
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new RangeError(
        `${owner}: For ${kind} \`query\`, expected \`key\` and \`value\` to be ${query.ndim}-D but found ${key.ndim}-D and ${value.ndim}-D tensors respectively`,
      );
    }
    if (keyPaddingMask !== undefined && keyPaddingMask.ndim !== query.ndim - 1) {
      throw new RangeError(
        `${owner}: For ${kind} \`query\`, expected \`key_padding_mask\` to be \`None\` or ${query.ndim - 1}-D but found ${keyPaddingMask.ndim}-D tensor instead`,
      );
    }
    if (attnMask !== undefined && attnMask.ndim !== 2 && attnMask.ndim !== 3) {
      throw new RangeError(`${owner}: For ${kind} \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${attnMask.ndim}-D tensor instead`);
    }
    return batched;
  }

  /**
   * The attention mask and the key padding mask as one float mask to add to the scores, shaped
   * to broadcast over (batch·heads, L, S + extraKeys), with PyTorch's shape checks (on the S keys
   * given); the extra keys are not masked. Undefined for neither.
   */
  private combinedMask(
    dtype: FloatDType,
    targetLength: number,
    sourceLength: number,
    extraKeys: number,
    batch: number,
    keyPaddingMask: Tensor | undefined,
    attnMask: Tensor | undefined,
  ): Tensor | undefined {
    const owner = "MultiheadAttention";
    let combined: Tensor | undefined;
    if (attnMask !== undefined) {
      const expected = attnMask.ndim === 2 ? [targetLength, sourceLength] : [batch * this.numHeads, targetLength, sourceLength];
      if (!sameShape(attnMask.shape, expected)) {
        throw new RangeError(`${owner}: The shape of the ${attnMask.ndim}D attn_mask is ${formatShape(attnMask.shape)}, but should be (${expected.join(", ")}).`);
      }
      combined = additive(attnMask, dtype);
    }
    if (keyPaddingMask !== undefined) {
      if (!sameShape(keyPaddingMask.shape, [batch, sourceLength])) {
        throw new RangeError(`${owner}: expecting key_padding_mask shape of (${batch}, ${sourceLength}), but got ${formatShape(keyPaddingMask.shape)}`);
      }
      // (N, S) → (N·heads, 1, S): the same keys ignored by every head and query of a batch element.
      const padding = additive(keyPaddingMask, dtype)
        .reshape(batch, 1, 1, sourceLength)
        .expand(batch, this.numHeads, 1, sourceLength)
        .reshape(batch * this.numHeads, 1, sourceLength);
      combined = combined === undefined ? padding : combined.add(padding);
    }
    if (combined === undefined || extraKeys === 0) return combined;
    return concat([combined, zeros([...combined.shape.slice(0, -1), extraKeys], { dtype: combined.dtype })], -1);
  }

  /** Input projection `which` (0 query, 1 key, 2 value): x Wᵀ + b with that block of the weights. */
  private project(x: Tensor, which: 0 | 1 | 2): Tensor {
    const e = this.embedDim;
    const weight = this.inProjWeight?.slice(0, which * e, (which + 1) * e) ?? [this.qProjWeight, this.kProjWeight, this.vProjWeight][which]!;
    const product = x.matmul(weight.T);
    return this.inProjBias === undefined ? product : product.add(this.inProjBias.slice(0, which * e, (which + 1) * e));
  }
}
