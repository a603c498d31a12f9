/** Checkpoints as bytes (what a browser page keeps instead of a file): saveToBytes, load(bytes), restore(bytes, ...). */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Generator, type Tensor, randn } from "@gradgraph/core";
import { afterAll, expect, test } from "vitest";
import { load, restore, save, saveToBytes } from "../../packages/nn/src/checkpoint";
import { Adam, CheckpointError, mseLoss, trainStep } from "../../packages/nn/src";
import { RnnRegressor } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "gradgraph-checkpoint-bytes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bits = (t: Tensor) => Array.from(new Uint8Array(t.data().slice().buffer));

/** A model and an Adam that has taken two steps, so its moments and step counts are not the initial ones. */
function trained() {
  const model = new RnnRegressor(3, 4, 1, "float32", new Generator(7));
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const x = randn([5, 2, 3], { generator: new Generator(8) });
  const y = randn([2, 1], { generator: new Generator(9) });
  for (let step = 0; step < 2; step++) trainStep(optimizer, mseLoss(model.forward(x), y));
  return { model, optimizer };
}

test("saveToBytes gives the bytes save writes to its file", async () => {
  const { model, optimizer } = trained();
  const path = join(dir, "model.safetensors");
  await save(model, path, { optimizer, metadata: { epoch: "2" } });
  const bytes = await saveToBytes(model, { optimizer, metadata: { epoch: "2" } });
  expect(Array.from(bytes)).toEqual(Array.from(readFileSync(path)));
});

test("restore(bytes) brings back the weights and the optimizer state bit for bit", async () => {
  const { model, optimizer } = trained();
  const bytes = await saveToBytes(model, { optimizer, metadata: { note: "from a page" } });

  const copy = new RnnRegressor(3, 4, 1, "float32", new Generator(99));
  const copyOptimizer = new Adam(copy.parameters(), { lr: 0.01 });
  expect(await restore(bytes, copy, copyOptimizer)).toEqual({ note: "from a page" });
  for (const [name, p] of Object.entries(model.stateDict())) expect(bits(copy.stateDict()[name]), name).toEqual(bits(p));
  const [saved, restored] = [optimizer.stateDict(), copyOptimizer.stateDict()];
  expect(Object.keys(restored.state)).toEqual(Object.keys(saved.state));
  for (const [index, { step, buffers }] of Object.entries(saved.state)) {
    expect(restored.state[Number(index)].step).toBe(step);
    for (const [name, buffer] of Object.entries(buffers)) expect(bits(restored.state[Number(index)].buffers[name]), `${index}.${name}`).toEqual(bits(buffer));
  }

  // load(bytes) reads the same checkpoint as load(path) reads from the file.
  const path = join(dir, "same.safetensors");
  await save(model, path, { optimizer, metadata: { note: "from a page" } });
  const [fromBytes, fromFile] = [await load(bytes), await load(path)];
  expect(Object.keys(fromBytes.stateDict)).toEqual(Object.keys(fromFile.stateDict));
  for (const name of Object.keys(fromFile.stateDict)) expect(bits(fromBytes.stateDict[name])).toEqual(bits(fromFile.stateDict[name]));
  expect(fromBytes.optimizerState?.paramGroups).toEqual(fromFile.optimizerState?.paramGroups);
});

test("bytes are checked as files are: damage, and a missing optimizer state, are named", async () => {
  const { model } = trained();
  const bytes = await saveToBytes(model);
  const damaged = bytes.slice();
  damaged[damaged.length - 1] ^= 1; // one bit of the last tensor's data
  await expect(load(damaged)).rejects.toThrow(CheckpointError);
  await expect(load(new Uint8Array(3))).rejects.toThrow(CheckpointError);
  await expect(restore(bytes, model, new Adam(model.parameters()))).rejects.toThrow("restore: the checkpoint holds no optimizer state");
  await expect(load(bytes.buffer as unknown as Uint8Array)).rejects.toThrow(/^load: expected a path \(a non-empty string\) or a checkpoint's bytes \(a Uint8Array\), got an? ArrayBuffer$/);
  await expect(saveToBytes(undefined as unknown as RnnRegressor)).rejects.toThrow("saveToBytes: expected a Module or a state dict (an object from names to tensors), got undefined");
  await expect(saveToBytes(model, { metadata: { "optimizer.x": "1" } })).rejects.toThrow("saveToBytes: metadata key(s) optimizer.x are reserved for the optimizer");
});
