/**
 * Writes first-repeat.json, the data of examples/first-repeat.ts: short sequences of letters,
 * each labelled 1 when its first letter occurs again later in the sequence, 0 otherwise.
 *
 * Every sequence holds exactly one letter twice and its other letters once, whatever its label,
 * so which letters occur (and how often) says nothing about the label: a model has to compare the
 * first position with the others. The two classes are equally frequent in each split, and no
 * sequence occurs twice in the file. Deterministic: the same seed writes the same bytes.
 *
 *   node --conditions=source --import tsx examples/data/make_first_repeat.ts
 */
import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Generator, randperm } from "@gradgraph/core";

const LETTERS = "abcdefghij";
const LENGTH = 8;
const TRAIN_SIZE = 2000;
const TEST_SIZE = 500;
const SEED = 12;

const generator = new Generator(SEED);
const seen = new Set<string>();

/**
 * A sequence with the wanted label: LENGTH - 1 distinct letters, the first of them doubled, in a
 * uniformly random order, drawn again until the first position holds the doubled letter exactly
 * when the label is 1 (so within a class every arrangement is equally likely).
 */
function drawSequence(label: 0 | 1): string {
  for (;;) {
    const distinct = Array.from(randperm(LETTERS.length, { generator }).unsafeData().slice(0, LENGTH - 1), (i) => LETTERS[i]);
    const letters = [distinct[0], ...distinct];
    const sequence = Array.from(randperm(LENGTH, { generator }).unsafeData(), (i) => letters[i]).join("");
    const repeatsFirst = sequence.indexOf(sequence[0], 1) > 0;
    if (repeatsFirst === (label === 1) && !seen.has(sequence)) {
      seen.add(sequence);
      return sequence;
    }
  }
}

/** `size` sequences, half of each label, in a random order. */
function drawSplit(size: number): { sequences: string[]; labels: number[] } {
  const labels = Array.from(randperm(size, { generator }).unsafeData(), (i) => i % 2);
  return { sequences: labels.map((label) => drawSequence(label as 0 | 1)), labels };
}

const data = {
  task: "label 1 when the first letter occurs again later in the sequence",
  letters: LETTERS,
  length: LENGTH,
  seed: SEED,
  train: drawSplit(TRAIN_SIZE),
  test: drawSplit(TEST_SIZE),
};
const path = `${dirname(fileURLToPath(import.meta.url))}/first-repeat.json`;
writeFileSync(path, `${JSON.stringify(data)}\n`);
console.log(`wrote ${path}: ${TRAIN_SIZE} train and ${TEST_SIZE} test sequences`);
