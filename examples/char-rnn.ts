/**
 * A character-level language model: Embedding -> LSTM -> Linear, trained with Adam and
 * cross-entropy to predict each next character of a short public-domain text (the opening of
 * Alice's Adventures in Wonderland). Prints a sample before and after training.
 *
 *   node --conditions=source --import tsx examples/char-rnn.ts [--steps N] [--quiet]
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Generator, type Tensor, noGrad, softmax, tensor } from "@gradgraph/core";
import { Adam, Embedding, LSTM, Linear, Module, createProgress, crossEntropyLoss, formatLoss } from "@gradgraph/nn";
import { runAsScript, saveLossCurve } from "./cli";

export interface CharRnnOptions {
  steps?: number;
  hiddenSize?: number;
  embeddingSize?: number;
  seqLen?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  /** Characters to generate for each sample. */
  sampleLength?: number;
  /** Below 1 sharpens the distribution (more likely characters), above 1 flattens it. */
  temperature?: number;
  /** No progress bar and no log lines. */
  quiet?: boolean;
  /** Where the loss curve goes; null for none. */
  lossCurvePath?: string | null;
  textPath?: string;
}

export interface CharRnnResult {
  losses: number[];
  sampleBefore: string;
  sampleAfter: string;
  seconds: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Characters to ids and back; the vocabulary is every character the text uses. */
class Vocabulary {
  readonly chars: string[];
  private readonly ids: Map<string, number>;

  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
  }

  get size(): number {
    return this.chars.length;
  }

  encode(text: string): number[] {
    return [...text].map((c) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new Error(`char-rnn: character ${JSON.stringify(c)} is not in the vocabulary`);
      return id;
    });
  }
}

type LstmState = [Tensor, Tensor];

export class CharModel extends Module<[Tensor, LstmState?], [Tensor, LstmState]> {
  readonly embed: Embedding;
  readonly lstm: LSTM;
  readonly head: Linear;

  constructor(vocab: number, embeddingSize: number, hiddenSize: number, generator: Generator) {
    super({ name: "" });
    this.embed = this.registerModule("embed", new Embedding(vocab, embeddingSize, { generator }));
    this.lstm = this.registerModule("lstm", new LSTM({ inputSize: embeddingSize, hiddenSize, generator }));
    this.head = this.registerModule("head", new Linear(hiddenSize, vocab, { generator }));
  }

  /** ids (T, B) int32 -> logits (T, B, vocab) and the final state. */
  forward(ids: Tensor, state?: LstmState): [Tensor, LstmState] {
    const [out, next] = this.lstm.forward(this.embed.forward(ids), state);
    return [this.head.forward(out), next];
  }
}

/** Index drawn from `probabilities` with a uniform number from the seeded generator. */
function draw(probabilities: ArrayLike<number>, generator: Generator): number {
  const u = new Float64Array(1);
  generator.fillUniform(u, 0, 1);
  let cumulative = 0;
  for (let i = 0; i < probabilities.length; i++) {
    cumulative += probabilities[i];
    if (u[0] < cumulative) return i;
  }
  return probabilities.length - 1; // rounding left the total just under 1
}

/** Feeds `prime`, then generates `length` characters one at a time, carrying the LSTM state. */
function sample(model: CharModel, vocab: Vocabulary, prime: string, length: number, temperature: number, generator: Generator): string {
  return noGrad(() => {
    let state: LstmState | undefined;
    let logits: Tensor | undefined;
    const step = (id: number) => {
      const [out, next] = model.forward(tensor([[id]], { dtype: "int32" }), state);
      // Keep only the values, so each step's graph stays one step long.
      state = next.map((s) => tensor(s.data(), { shape: s.shape })) as LstmState;
      logits = out.reshape(vocab.size);
    };
    for (const id of vocab.encode(prime)) step(id);
    let text = prime;
    for (let i = 0; i < length; i++) {
      const id = draw(softmax(logits!.div(temperature), 0).data(), generator);
      text += vocab.chars[id];
      step(id);
    }
    return text;
  });
}

export async function trainCharRnn(options: CharRnnOptions = {}): Promise<CharRnnResult> {
  const {
    steps = 400,
    hiddenSize = 64,
    embeddingSize = 16,
    seqLen = 24,
    batch = 16,
    lr = 0.01,
    seed = 0,
    sampleLength = 160,
    temperature = 0.6,
    quiet = false,
    lossCurvePath = "out/char-rnn-loss.svg",
    textPath = `${here}/data/alice.txt`,
  } = options;
  const text = readFileSync(textPath, "utf8");
  const vocab = new Vocabulary(text);
  const encoded = vocab.encode(text);
  if (encoded.length <= seqLen + 1) throw new Error(`char-rnn: the text is shorter than seqLen + 1 = ${seqLen + 1} characters`);
  const generator = new Generator(seed);
  const model = new CharModel(vocab.size, embeddingSize, hiddenSize, generator);
  const optimizer = new Adam(model.parameters(), { lr });
  const log = (line: string) => {
    if (!quiet) console.log(line);
  };

  const sampleBefore = sample(model, vocab, "Alice ", sampleLength, temperature, new Generator(seed + 1));
  log(`vocabulary: ${vocab.size} characters, text: ${encoded.length} characters`);
  log(`sample before training:\n  ${JSON.stringify(sampleBefore)}`);

  // A batch is `batch` random windows; inputs are characters 0..T-1 of each, targets 1..T.
  const nextBatch = (): [Tensor, Tensor] => {
    const inputs = new Int32Array(seqLen * batch);
    const targets = new Int32Array(seqLen * batch);
    for (let b = 0; b < batch; b++) {
      const start = generator.nextUint32() % (encoded.length - seqLen - 1);
      for (let t = 0; t < seqLen; t++) {
        inputs[t * batch + b] = encoded[start + t]; // time-major (T, B), as the LSTM expects
        targets[t * batch + b] = encoded[start + t + 1];
      }
    }
    return [tensor(inputs, { shape: [seqLen, batch] }), tensor(targets, { shape: [seqLen * batch] })];
  };

  const progress = createProgress({ total: steps, quiet, label: "char-rnn" });
  const losses: number[] = [];
  const started = performance.now();
  try {
    for (let step = 0; step < steps; step++) {
      const [inputs, targets] = nextBatch();
      // The PyTorch loop; from its second step the evaluator runs it as a compiled program.
      optimizer.zeroGrad();
      const [logits] = model.call(inputs);
      const loss = crossEntropyLoss(logits.reshape(seqLen * batch, vocab.size), targets);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
      progress.update(step + 1, loss.item());
    }
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;

  const sampleAfter = sample(model, vocab, "Alice ", sampleLength, temperature, new Generator(seed + 1));
  const window = Math.max(1, Math.min(10, Math.floor(steps / 4)));
  const average = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  log(
    `loss: ${formatLoss(average(losses.slice(0, window)))} (first ${window} steps) -> ` +
      `${formatLoss(average(losses.slice(-window)))} (last ${window}), ${steps} steps in ${seconds.toFixed(1)} s`,
  );
  log(`sample after training:\n  ${JSON.stringify(sampleAfter)}`);
  if (lossCurvePath !== null) {
    await saveLossCurve(lossCurvePath, losses, { title: "char-rnn: training loss (cross-entropy)" });
    log(`loss curve: ${lossCurvePath}`);
  }
  return { losses, sampleBefore, sampleAfter, seconds };
}

await runAsScript(import.meta.url, trainCharRnn);
