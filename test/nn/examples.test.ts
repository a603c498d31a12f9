import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { trainCharRnn } from "../../examples/char-rnn";
import { trainDigits } from "../../examples/digits";
import { trainFirstRepeat } from "../../examples/first-repeat";
import { trainSine } from "../../examples/sine";

const dir = mkdtempSync(join(tmpdir(), "gradgraph-examples-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

test("char-rnn: a tiny run lowers the cross-entropy clearly and changes what it samples", async () => {
  const path = join(dir, "char.svg");
  const { losses, sampleBefore, sampleAfter } = await trainCharRnn({
    steps: 60, hiddenSize: 32, seqLen: 12, batch: 8, sampleLength: 40, quiet: true, lossCurvePath: path,
  });
  expect(losses).toHaveLength(60);
  // ln(55) ~ 4.0 for uniform guessing over the text's characters.
  expect(mean(losses.slice(0, 5))).toBeGreaterThan(3.5);
  expect(mean(losses.slice(-5))).toBeLessThan(0.8 * mean(losses.slice(0, 5)));
  expect(sampleBefore.startsWith("Alice ")).toBe(true);
  expect(sampleAfter).toHaveLength(sampleBefore.length);
  expect(sampleAfter).not.toBe(sampleBefore);
  expect(readFileSync(path, "utf8")).toMatch(/^<svg/);
});

test("char-rnn: the same seed gives the same run", async () => {
  const options = { steps: 3, hiddenSize: 8, seqLen: 6, batch: 2, sampleLength: 10, quiet: true, lossCurvePath: null };
  const [a, b] = [await trainCharRnn(options), await trainCharRnn(options)];
  expect(a.losses).toEqual(b.losses);
  expect(a.sampleAfter).toBe(b.sampleAfter);
});

test("sine: a tiny run lowers the MSE clearly", async () => {
  const path = join(dir, "sine.svg");
  const { losses } = await trainSine({ steps: 80, hiddenSize: 16, seqLen: 12, batch: 16, quiet: true, lossCurvePath: path });
  expect(mean(losses.slice(-5))).toBeLessThan(0.3 * mean(losses.slice(0, 5)));
  expect(readFileSync(path, "utf8")).toMatch(/^<svg/);
});

test("first-repeat: a tiny run of the transformer lowers the cross-entropy clearly and beats chance on the test split", async () => {
  const path = join(dir, "first-repeat.svg");
  const { losses, testAccuracy } = await trainFirstRepeat({ steps: 120, quiet: true, lossCurvePath: path });
  expect(losses).toHaveLength(120);
  // ln 2 ~ 0.69 for guessing; the test split is balanced, so chance is 50% (60% is 4.5 standard deviations above it on 500 sequences).
  expect(mean(losses.slice(-5))).toBeLessThan(0.6 * mean(losses.slice(0, 5)));
  expect(testAccuracy).toBeGreaterThan(0.6);
  expect(readFileSync(path, "utf8")).toMatch(/^<svg/);
});

test("digits: a tiny run of the convolutional network lowers the cross-entropy clearly and beats chance on the test split", async () => {
  const path = join(dir, "digits.svg");
  const { losses, testAccuracy } = await trainDigits({ steps: 120, channels: 8, quiet: true, lossCurvePath: path });
  expect(losses).toHaveLength(120);
  // ln 10 ~ 2.3 for guessing; the test split is balanced, so chance is 10% (50% of 500 images is far above it).
  expect(mean(losses.slice(-5))).toBeLessThan(0.5 * mean(losses.slice(0, 5)));
  expect(testAccuracy).toBeGreaterThan(0.5);
  expect(readFileSync(path, "utf8")).toMatch(/^<svg/);
});
