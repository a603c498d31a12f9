/**
 * Next-value prediction on a noisy sine wave: an RNN reads a window of the signal and a Linear
 * head predicts the value that follows; trained with Adam on mean squared error.
 *
 *   node --conditions=source --import tsx examples/sine.ts [--steps N] [--quiet]
 */
import { Generator, type Tensor, randn, tensor } from "@gradgraph/core";
import { Adam, Linear, Module, RNN, createProgress, formatLoss, mseLoss } from "@gradgraph/nn";
import { runAsScript, saveLossCurve } from "./cli";

export interface SineOptions {
  steps?: number;
  hiddenSize?: number;
  seqLen?: number;
  batch?: number;
  lr?: number;
  /** Standard deviation of the Gaussian noise on every sample; the best achievable MSE is its square. */
  noise?: number;
  seed?: number;
  quiet?: boolean;
  /** Where the loss curve goes; null for none. */
  lossCurvePath?: string | null;
}

export interface SineResult {
  losses: number[];
  seconds: number;
}

/** Radians per sample: about 20 samples per period. */
const FREQUENCY = 0.3;

export class NextValue extends Module {
  readonly rnn: RNN;
  readonly head: Linear;

  constructor(hiddenSize: number, generator: Generator) {
    super({ name: "" });
    this.rnn = this.registerModule("rnn", new RNN({ inputSize: 1, hiddenSize, generator }));
    this.head = this.registerModule("head", new Linear(hiddenSize, 1, { generator }));
  }

  /** window (T, B, 1) -> prediction (B, 1) from the last hidden state. */
  forward(window: Tensor): Tensor {
    const [out] = this.rnn.forward(window);
    return this.head.forward(out.select(0, -1));
  }
}

export async function trainSine(options: SineOptions = {}): Promise<SineResult> {
  const {
    steps = 300,
    hiddenSize = 32,
    seqLen = 24,
    batch = 32,
    lr = 0.01,
    noise = 0.1,
    seed = 0,
    quiet = false,
    lossCurvePath = "out/sine-loss.svg",
  } = options;
  const generator = new Generator(seed);
  const model = new NextValue(hiddenSize, generator);
  const optimizer = new Adam(model.parameters(), { lr });

  // Each batch: `batch` windows of seqLen + 1 noisy samples at random phases; the last is the target.
  const nextBatch = (): [Tensor, Tensor] => {
    const phases = new Float64Array(batch);
    generator.fillUniform(phases, 0, 2 * Math.PI);
    const jitter = randn([seqLen + 1, batch], { generator }).data();
    const signal = (t: number, b: number) => Math.sin(phases[b] + FREQUENCY * t) + noise * jitter[t * batch + b];
    const inputs = new Float32Array(seqLen * batch);
    for (let t = 0; t < seqLen; t++) for (let b = 0; b < batch; b++) inputs[t * batch + b] = signal(t, b);
    const targets = Float32Array.from({ length: batch }, (_, b) => signal(seqLen, b));
    return [tensor(inputs, { shape: [seqLen, batch, 1] }), tensor(targets, { shape: [batch, 1] })];
  };

  const progress = createProgress({ total: steps, quiet, label: "sine" });
  const losses: number[] = [];
  const started = performance.now();
  try {
    for (let step = 0; step < steps; step++) {
      const [inputs, targets] = nextBatch();
      optimizer.zeroGrad();
      const loss = mseLoss(model.call(inputs), targets);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
      progress.update(step + 1, loss.item());
    }
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;

  if (!quiet) {
    console.log(`first loss ${formatLoss(losses[0])}, last loss ${formatLoss(losses[losses.length - 1])} ` +
      `(noise floor ${formatLoss(noise * noise)}), ${steps} steps in ${seconds.toFixed(1)} s`);
  }
  if (lossCurvePath !== null) {
    await saveLossCurve(lossCurvePath, losses, { title: "sine: training loss (MSE)", logScale: true });
    if (!quiet) console.log(`loss curve: ${lossCurvePath}`);
  }
  return { losses, seconds };
}

await runAsScript(import.meta.url, trainSine);
