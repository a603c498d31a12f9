import { type FloatDType, Generator, type Tensor, gelu, relu } from "@gradgraph/core";
import { type AnyModule, Module, type ModuleOptions } from "../module";
import {
  checkBoolean,
  checkFiniteNumber,
  checkFloatDType,
  checkGenerator,
  checkPositiveInteger,
  checkProbability,
  checkTensor,
  describeValue,
  readOptions,
} from "../validation";
import { ModuleList } from "./containers";
import { Dropout } from "./dropout";
import { Linear } from "./linear";
import { MultiheadAttention } from "./attention";
import { LayerNorm } from "./normalization";

/** The feed-forward block's activation: PyTorch's "relu" or "gelu" (exact), or any elementwise function. */
export type TransformerActivation = "relu" | "gelu" | ((x: Tensor) => Tensor);

/** Options of `TransformerEncoderLayer`, as `torch.nn.TransformerEncoderLayer` takes them. */
export interface TransformerEncoderLayerOptions extends ModuleOptions {
  /** The feed-forward block's hidden size, 2048 by default. */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block, in training mode only; 0.1 by default. */
  dropout?: number;
  /** "relu" by default. */
  activation?: TransformerActivation;
  /** The LayerNorms' eps, 1e-5 by default. */
  layerNormEps?: number;
  /** Inputs and output are (batch, seq, feature) instead of (seq, batch, feature). */
  batchFirst?: boolean;
  /** LayerNorm before each block (pre-norm) instead of after each residual sum (post-norm, the default). */
  normFirst?: boolean;
  dtype?: FloatDType;
  /** Draws the initial weights and the dropout masks; the shared default generator unless given. */
  generator?: Generator;
}

/** The masks `TransformerEncoderLayer.forward` takes. */
export interface TransformerEncoderLayerForwardOptions {
  /** The self-attention's attnMask (see MultiheadAttention): (L, L) or (N·nhead, L, L). */
  srcMask?: Tensor;
  /** The self-attention's keyPaddingMask: (N, L), or (L) unbatched. */
  srcKeyPaddingMask?: Tensor;
}

/** What a copy is built from (its dtype is read from the weights, which to() may have converted). */
type LayerConfig = Required<Omit<TransformerEncoderLayerOptions, "name" | "dtype" | "generator">>;

/**
 * torch.nn.TransformerEncoderLayer: self-attention and a feed-forward block (linear1, activation,
 * linear2), each with dropout and a residual connection, and a LayerNorm after each sum (or
 * before each block with normFirst). Children as PyTorch's, in its order (self_attn, linear1,
 * dropout, linear2, norm1, norm2, dropout1, dropout2), so the state-dict keys are its keys and
 * the initial weights its draws.
 */
export class TransformerEncoderLayer extends Module<[Tensor, TransformerEncoderLayerForwardOptions?]> {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly normFirst: boolean;
  private readonly config: LayerConfig;
  private readonly generator: Generator | undefined;
  private readonly activate: (x: Tensor) => Tensor;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options?: TransformerEncoderLayerOptions,
  ) {
    const owner = "TransformerEncoderLayer";
    const read = readOptions(owner, options, [
      "dimFeedforward",
      "dropout",
      "activation",
      "layerNormEps",
      "batchFirst",
      "normFirst",
      "dtype",
      "generator",
      "name",
    ]);
    const { dimFeedforward = 2048, dropout = 0.1, activation = "relu", layerNormEps = 1e-5, batchFirst = false, normFirst = false } = read;
    const { dtype = "float32", generator, name } = read;
    super({ name });
    checkPositiveInteger(owner, "dModel", dModel);
    checkPositiveInteger(owner, "nhead", nhead);
    checkPositiveInteger(owner, "dimFeedforward", dimFeedforward);
    checkProbability(owner, dropout);
    checkFiniteNumber(owner, "layerNormEps", layerNormEps);
    checkBoolean(owner, "batchFirst", batchFirst);
    checkBoolean(owner, "normFirst", normFirst);
    checkFloatDType(owner, dtype);
    checkGenerator(owner, generator);
    this.activate = activationFunction(activation);
    this.config = { dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst };
    this.generator = generator;
    this.normFirst = normFirst;
    this.selfAttn = this.registerModule("self_attn", new MultiheadAttention(dModel, nhead, { dropout, batchFirst, dtype, generator }));
    this.linear1 = this.registerModule("linear1", new Linear(dModel, dimFeedforward, { dtype, generator }));
    this.dropout = this.registerModule("dropout", new Dropout(dropout, { generator }));
    this.linear2 = this.registerModule("linear2", new Linear(dimFeedforward, dModel, { dtype, generator }));
    this.norm1 = this.registerModule("norm1", new LayerNorm(dModel, { eps: layerNormEps, dtype }));
    this.norm2 = this.registerModule("norm2", new LayerNorm(dModel, { eps: layerNormEps, dtype }));
    this.dropout1 = this.registerModule("dropout1", new Dropout(dropout, { generator }));
    this.dropout2 = this.registerModule("dropout2", new Dropout(dropout, { generator }));
  }

  forward(src: Tensor, options?: TransformerEncoderLayerForwardOptions): Tensor {
    const { srcMask, srcKeyPaddingMask } = readOptions("TransformerEncoderLayer", options, ["srcMask", "srcKeyPaddingMask"]);
    checkTensor("TransformerEncoderLayer", "src", src);
    const selfAttention = (x: Tensor) =>
      this.dropout1.forward(this.selfAttn.forward(x, x, x, { attnMask: srcMask, keyPaddingMask: srcKeyPaddingMask, needWeights: false })[0]);
    const feedForward = (x: Tensor) => this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activate(this.linear1.forward(x)))));
    if (this.normFirst) {
      const attended = src.add(selfAttention(this.norm1.forward(src)));
      return attended.add(feedForward(this.norm2.forward(attended)));
    }
    const attended = this.norm1.forward(src.add(selfAttention(src)));
    return this.norm2.forward(attended.add(feedForward(attended)));
  }

  /**
   * PyTorch's `copy.deepcopy(layer)`, as TransformerEncoder clones its layer: the same
   * configuration and training flags, new parameters of the same values, and dropout drawn from
   * the same generator. Nothing is drawn: the copy is built with a scratch generator, loaded
   * from this layer, and then every reference to the scratch generator in its modules is
   * pointed at this layer's.
   */
  clone(): TransformerEncoderLayer {
    const scratch = new Generator();
    const dtype = this.linear1.weight.dtype as FloatDType;
    const copy = new TransformerEncoderLayer(this.dModel, this.nhead, { ...this.config, dtype, generator: scratch });
    copy.loadStateDict(this.stateDict());
    const originals = this.namedModules();
    copy.namedModules().forEach(([, module], i) => {
      module.training = originals[i][1].training;
      for (const key of Object.keys(module)) {
        if (Reflect.get(module, key) === scratch) Reflect.set(module, key, this.generator);
      }
    });
    return copy;
  }
}

function activationFunction(activation: TransformerActivation): (x: Tensor) => Tensor {
  if (activation === "relu") return relu;
  if (activation === "gelu") return (x) => gelu(x);
  if (typeof activation === "function") return activation;
  throw new TypeError(`TransformerEncoderLayer: activation should be relu/gelu, not ${describeValue(activation)}`);
}

/** Options of `TransformerEncoder`: a final norm. */
export interface TransformerEncoderOptions extends ModuleOptions {
  /** Applied to the last layer's output (PyTorch's norm, usually a LayerNorm); registered as child "norm". */
  norm?: AnyModule;
}

/** The masks `TransformerEncoder.forward` hands to every layer. */
export interface TransformerEncoderForwardOptions {
  /** Every layer's srcMask. */
  mask?: Tensor;
  /** Every layer's srcKeyPaddingMask. */
  srcKeyPaddingMask?: Tensor;
}

/**
 * torch.nn.TransformerEncoder: `numLayers` copies of `encoderLayer` (PyTorch's _get_clones deep
 * copies: equal initial weights, each layer then trained on its own) applied in turn, then
 * `norm` if given. State-dict keys as PyTorch's: `layers.0.self_attn.in_proj_weight`, ...,
 * `norm.weight`. The layer passed in is only copied, never registered.
 */
export class TransformerEncoder extends Module<[Tensor, TransformerEncoderForwardOptions?]> {
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly norm: AnyModule | undefined;

  constructor(
    encoderLayer: TransformerEncoderLayer,
    readonly numLayers: number,
    options?: TransformerEncoderOptions,
  ) {
    const { norm, name } = readOptions("TransformerEncoder", options, ["norm", "name"]);
    super({ name });
    if (!(encoderLayer instanceof TransformerEncoderLayer)) {
      throw new TypeError(`TransformerEncoder: encoderLayer must be a TransformerEncoderLayer, got ${describeValue(encoderLayer)}`);
    }
    checkPositiveInteger("TransformerEncoder", "numLayers", numLayers);
    if (norm !== undefined && !(norm instanceof Module)) throw new TypeError(`TransformerEncoder: norm must be a Module, got ${describeValue(norm)}`);
    this.layers = this.registerModule("layers", new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.clone())));
    this.norm = norm === undefined ? undefined : this.registerModule("norm", norm);
  }

  forward(src: Tensor, options?: TransformerEncoderForwardOptions): Tensor {
    const { mask, srcKeyPaddingMask } = readOptions("TransformerEncoder", options, ["mask", "srcKeyPaddingMask"]);
    checkTensor("TransformerEncoder", "src", src);
    let output = src;
    for (const layer of this.layers) output = layer.forward(output, { srcMask: mask, srcKeyPaddingMask });
    return this.norm === undefined ? output : (this.norm.forward(output) as Tensor);
  }
}
