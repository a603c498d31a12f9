/**
 * A small transformer encoder learns whether the first letter of a sequence occurs again later
 * (examples/data/first-repeat.json: "cfedjach" -> 1, "fbgiajfe" -> 1, "gajceadh" -> 0). Every
 * sequence holds one letter twice whatever its label, so the letters alone say nothing: the model
 * has to attend from the first position to the others. Letters and positions have learned
 * embeddings; the encoder's output at the first position is classified. Trained with AdamW and
 * cross-entropy in the plain PyTorch loop, then evaluated on the test split in eval mode.
 *
 * With the defaults (one layer, dModel 32, 4 heads, 300 steps of 64 sequences: 3 to 5 s on two
 * cores) it classifies 100% of the test split from seed 0, and at least 98% from each of seeds
 * 0 to 7; the demo states at least 95%.
 *
 *   node --conditions=source --import tsx examples/first-repeat.ts [--steps N] [--quiet]
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Generator, type Tensor, arange, tensor } from "@gradgraph/core";
import {
  AdamW,
  DataLoader,
  Embedding,
  Linear,
  Module,
  TensorDataset,
  TransformerEncoder,
  TransformerEncoderLayer,
} from "@gradgraph/nn";
import { type ClassifierRun, runAsScript, trainClassifier } from "./cli";

/** The classifier's size. */
interface ModelShape {
  dModel: number;
  heads: number;
  layers: number;
  dimFeedforward: number;
  /**
   * 0 by default rather than PyTorch's 0.1, which slows learning here (91.6% test accuracy against
   * 100% after 300 steps from seed 0): each answer rests on one attention weight, the match.
   */
  dropout: number;
}

export interface FirstRepeatOptions extends Partial<ModelShape> {
  steps?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  /** No progress bar and no log lines. */
  quiet?: boolean;
  /** Where the loss curve goes; null for none. */
  lossCurvePath?: string | null;
  dataPath?: string;
}

export type FirstRepeatResult = ClassifierRun;

const here = dirname(fileURLToPath(import.meta.url));

interface Split {
  /** (N, length) int32 letter ids. */
  ids: Tensor;
  /** (N) int32, 1 when the first letter occurs again. */
  labels: Tensor;
}

/** The data file's splits as tensors, checked against what make_first_repeat.ts writes. */
function readData(path: string): { letters: string; length: number; train: Split; test: Split } {
  const data = JSON.parse(readFileSync(path, "utf8")) as {
    letters: string;
    length: number;
    train: { sequences: string[]; labels: number[] };
    test: { sequences: string[]; labels: number[] };
  };
  const { letters, length } = data;
  const split = ({ sequences, labels }: { sequences: string[]; labels: number[] }): Split => {
    const ids = new Int32Array(sequences.length * length);
    if (labels.length !== sequences.length) throw new Error(`first-repeat: ${sequences.length} sequences but ${labels.length} labels`);
    sequences.forEach((sequence, n) => {
      if (sequence.length !== length) throw new Error(`first-repeat: sequence ${JSON.stringify(sequence)} does not have ${length} letters`);
      for (let t = 0; t < length; t++) {
        const id = letters.indexOf(sequence[t]);
        if (id < 0) throw new Error(`first-repeat: ${JSON.stringify(sequence[t])} is not one of the letters ${JSON.stringify(letters)}`);
        ids[n * length + t] = id;
      }
    });
    return { ids: tensor(ids, { shape: [sequences.length, length] }), labels: tensor(Int32Array.from(labels)) };
  };
  return { letters, length, train: split(data.train), test: split(data.test) };
}

export class FirstRepeatClassifier extends Module {
  readonly letterEmbedding: Embedding;
  readonly positionEmbedding: Embedding;
  readonly encoder: TransformerEncoder;
  readonly head: Linear;
  private readonly positions: Tensor;

  constructor(letters: number, length: number, { dModel, heads, layers, dimFeedforward, dropout }: ModelShape, generator: Generator) {
    super({ name: "" });
    this.letterEmbedding = this.registerModule("letter_embedding", new Embedding(letters, dModel, { generator }));
    this.positionEmbedding = this.registerModule("position_embedding", new Embedding(length, dModel, { generator }));
    const layer = new TransformerEncoderLayer(dModel, heads, { dimFeedforward, dropout, batchFirst: true, generator });
    this.encoder = this.registerModule("encoder", new TransformerEncoder(layer, layers));
    this.head = this.registerModule("head", new Linear(dModel, 2, { generator }));
    this.positions = arange(length, { dtype: "int32" });
  }

  /** ids (B, length) int32 -> logits (B, 2) from the encoder's output at the first position. */
  forward(ids: Tensor): Tensor {
    const embedded = this.letterEmbedding.forward(ids).add(this.positionEmbedding.forward(this.positions));
    return this.head.forward(this.encoder.forward(embedded).select(1, 0));
  }
}

export async function trainFirstRepeat(options: FirstRepeatOptions = {}): Promise<FirstRepeatResult> {
  const {
    steps = 300,
    dModel = 32,
    heads = 4,
    layers = 1,
    dimFeedforward = 64,
    dropout = 0,
    batch = 64,
    lr = 3e-3,
    seed = 0,
    quiet = false,
    lossCurvePath = "out/first-repeat-loss.svg",
    dataPath = `${here}/data/first-repeat.json`,
  } = options;
  const { letters, length, train, test } = readData(dataPath);
  const generator = new Generator(seed);
  const model = new FirstRepeatClassifier(letters.length, length, { dModel, heads, layers, dimFeedforward, dropout }, generator);
  const optimizer = new AdamW(model.parameters(), { lr });
  const loader = new DataLoader(new TensorDataset(train.ids, train.labels), { batchSize: batch, shuffle: true, dropLast: true, generator });

  return trainClassifier({
    label: "first-repeat",
    model,
    optimizer,
    loader,
    steps,
    test: { inputs: test.ids, labels: test.labels },
    itemName: "sequences",
    chance: 0.5,
    quiet,
    lossCurvePath,
  });
}

await runAsScript(import.meta.url, trainFirstRepeat);
