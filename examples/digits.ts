/**
 * A small convolutional network reads the digit in a 12×12 grayscale image
 * (examples/data/digits.json: a 5×7 bitmap font drawn at random positions, sizes, slants and
 * stroke widths over pixel noise). Two 3×3 convolutions, each followed by ReLU and 2×2 max
 * pooling, find strokes wherever the digit sits; a Linear layer classifies what they found.
 * Trained with Adam and cross-entropy in the plain PyTorch loop, then evaluated on the test
 * split in eval mode.
 *
 * With the defaults (16 then 32 channels, 6,090 parameters; 500 steps of 32 images: about 6 s
 * on two cores) it classifies 97.2% of the test split from seed 0, and at least 95.4% from each of
 * seeds 0 to 7 (97.0% on average); the demo states at least 95%. The convolution is what does it:
 * a two-layer perceptron with three times the parameters (144 → 128 → 10) reaches 86–88% in the
 * same steps, having learnt the training split by heart.
 *
 *   node --conditions=source --import tsx examples/digits.ts [--steps N] [--quiet]
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Generator, type Tensor, tensor } from "@gradgraph/core";
import {
  Adam,
  Conv2d,
  DataLoader,
  Flatten,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
  TensorDataset,
} from "@gradgraph/nn";
import { type ClassifierRun, runAsScript, trainClassifier } from "./cli";

export interface DigitsOptions {
  steps?: number;
  batch?: number;
  lr?: number;
  /**
   * Channels of the first convolution; the second has twice as many. 16 by default: with 8 the
   * test accuracy levels off near 95% (95.1% on average over seeds 0 to 7 after 1000 steps).
   */
  channels?: number;
  seed?: number;
  /** No progress bar and no log lines. */
  quiet?: boolean;
  /** Where the loss curve goes; null for none. */
  lossCurvePath?: string | null;
  dataPath?: string;
}

export type DigitsResult = ClassifierRun;

const here = dirname(fileURLToPath(import.meta.url));

interface Split {
  /** (N, 1, size, size) float32 pixels, standardized with the train split's mean and deviation. */
  images: Tensor;
  /** (N) int32 digits. */
  labels: Tensor;
}

/**
 * The data file's splits as tensors, checked against what make_digits.ts writes. Pixels are
 * standardized as torchvision's Normalize does, with the train split's statistics (0.27 ± 0.27
 * of white): on inputs of mean 0 and deviation 1 the defaults reach 97.0% test accuracy on average
 * over seeds 0 to 7, against 94.0% on raw [0, 1] pixels.
 */
function readData(path: string): { size: number; classes: number; train: Split; test: Split } {
  const data = JSON.parse(readFileSync(path, "utf8")) as {
    size: number;
    classes: number;
    train: { pixels: string; labels: number[] };
    test: { pixels: string; labels: number[] };
  };
  const { size, classes } = data;
  const pixelsOf = ({ pixels, labels }: { pixels: string; labels: number[] }): Uint8Array => {
    const bytes = Buffer.from(pixels, "base64");
    if (bytes.length !== labels.length * size * size) throw new Error(`digits: ${bytes.length} pixels for ${labels.length} images of ${size}x${size}`);
    const bad = labels.find((label) => !(Number.isInteger(label) && label >= 0 && label < classes));
    if (bad !== undefined) throw new Error(`digits: label ${bad} is not one of the ${classes} classes`);
    return bytes;
  };
  const trainPixels = pixelsOf(data.train);
  const mean = trainPixels.reduce((sum, byte) => sum + byte, 0) / trainPixels.length;
  const deviation = Math.sqrt(trainPixels.reduce((sum, byte) => sum + (byte - mean) ** 2, 0) / trainPixels.length);
  const split = (bytes: Uint8Array, labels: number[]): Split => ({
    images: tensor(Float32Array.from(bytes, (byte) => (byte - mean) / deviation), { shape: [labels.length, 1, size, size] }),
    labels: tensor(Int32Array.from(labels)),
  });
  return { size, classes, train: split(trainPixels, data.train.labels), test: split(pixelsOf(data.test), data.test.labels) };
}

/** Conv → ReLU → pool twice, then Linear: (B, 1, size, size) -> logits (B, classes). */
export function digitClassifier(size: number, classes: number, channels: number, generator: Generator): Module {
  // A 3×3 convolution padded by 1 keeps the size, one without takes 2 off; each pooling halves it.
  const side = Math.floor((Math.floor(size / 2) - 2) / 2);
  return new Sequential(
    new Conv2d(1, channels, 3, { padding: 1, generator }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(channels, 2 * channels, 3, { generator }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(2 * channels * side * side, classes, { generator }),
  );
}

export async function trainDigits(options: DigitsOptions = {}): Promise<DigitsResult> {
  const {
    steps = 500,
    batch = 32,
    lr = 3e-3,
    channels = 16,
    seed = 0,
    quiet = false,
    lossCurvePath = "out/digits-loss.svg",
    dataPath = `${here}/data/digits.json`,
  } = options;
  const { size, classes, train, test } = readData(dataPath);
  const generator = new Generator(seed);
  const model = digitClassifier(size, classes, channels, generator);
  const optimizer = new Adam(model.parameters(), { lr });
  const loader = new DataLoader(new TensorDataset(train.images, train.labels), { batchSize: batch, shuffle: true, dropLast: true, generator });

  return trainClassifier({
    label: "digits",
    model,
    optimizer,
    loader,
    steps,
    test: { inputs: test.images, labels: test.labels },
    itemName: "images",
    chance: 1 / classes,
    quiet,
    lossCurvePath,
  });
}

await runAsScript(import.meta.url, trainDigits);
