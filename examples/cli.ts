/** What the training examples share when run as scripts. */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type Tensor, noGrad } from "@gradgraph/core";
import { type AnyModule, type LossCurveOptions, type Optimizer, createProgress, crossEntropyLoss, formatLoss, writeLossCurve } from "@gradgraph/nn";

export interface ScriptOptions {
  steps?: number;
  quiet: boolean;
}

/** Calls `main` with `--steps N` and `--quiet` from the command line, if `moduleUrl` is the script node was started with. */
export async function runAsScript(moduleUrl: string, main: (options: ScriptOptions) => Promise<unknown>): Promise<void> {
  if (process.argv[1] === undefined || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  const at = process.argv.indexOf("--steps");
  const steps = at < 0 ? undefined : Number(process.argv[at + 1]);
  if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) throw new Error(`--steps expects a positive integer, got ${process.argv[at + 1]}`);
  await main({ steps, quiet: process.argv.includes("--quiet") });
}

/** Writes the loss curve SVG, creating its folder. */
export async function saveLossCurve(path: string, losses: number[], options: LossCurveOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeLossCurve(path, losses, options);
}

export interface ClassifierRun {
  losses: number[];
  /** Fraction of the test split classified correctly, in eval mode. */
  testAccuracy: number;
  seconds: number;
}

export interface ClassifierTraining {
  /** Names the run in the progress bar and the loss curve's title. */
  label: string;
  model: AnyModule;
  optimizer: Optimizer<any>;
  /** Batches of (inputs, class indices), gone through in epochs until `steps` steps are done. */
  loader: Iterable<readonly [Tensor, Tensor]>;
  steps: number;
  test: { inputs: Tensor; labels: Tensor };
  /** How a test item is called in the report ("sequences", "images"), and the accuracy of guessing. */
  itemName: string;
  chance: number;
  quiet: boolean;
  lossCurvePath: string | null;
}

/**
 * The plain PyTorch loop of the classification examples (zeroGrad, forward, cross-entropy,
 * backward, step, item) with the progress bar, then the test accuracy in eval mode and the loss curve.
 */
export async function trainClassifier(run: ClassifierTraining): Promise<ClassifierRun> {
  const { label, model, optimizer, loader, steps, test, quiet, lossCurvePath } = run;
  const progress = createProgress({ total: steps, quiet, label });
  const losses: number[] = [];
  const started = performance.now();
  try {
    // dropLast in the loaders keeps every batch the same shape, so from its second step the loop
    // runs as one compiled program.
    while (losses.length < steps) {
      for (const [inputs, labels] of loader) {
        optimizer.zeroGrad();
        const loss = crossEntropyLoss(model.call(inputs) as Tensor, labels);
        loss.backward();
        optimizer.step();
        losses.push(loss.item());
        progress.update(losses.length, loss.item());
        if (losses.length === steps) break;
      }
    }
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;

  model.eval();
  const predictions = noGrad(() => (model.call(test.inputs) as Tensor).argmax(1).data());
  const truth = test.labels.data();
  const testAccuracy = predictions.filter((p, i) => p === truth[i]).length / truth.length;
  if (!quiet) {
    console.log(`first loss ${formatLoss(losses[0])}, last loss ${formatLoss(losses[losses.length - 1])}, ${steps} steps in ${seconds.toFixed(1)} s`);
    console.log(`test accuracy ${(100 * testAccuracy).toFixed(1)}% on ${truth.length} ${run.itemName} (chance ${(100 * run.chance).toFixed(0)}%)`);
  }
  if (lossCurvePath !== null) {
    await saveLossCurve(lossCurvePath, losses, { title: `${label}: training loss (cross-entropy)` });
    if (!quiet) console.log(`loss curve: ${lossCurvePath}`);
  }
  return { losses, testAccuracy, seconds };
}
