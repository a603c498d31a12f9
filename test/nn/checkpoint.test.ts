import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FloatDType, Generator, type Tensor, randn, tensor } from "@gradgraph/core";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { load, restore, save } from "../../packages/nn/src/checkpoint";
import { Adam, CheckpointError, type Checkpoint, type Optimizer, SGD, mseLoss, trainStep } from "../../packages/nn/src";
import { RnnRegressor } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "gradgraph-checkpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The safetensors header, read by hand: [u64 LE length][JSON]. */
function readHeader(path: string): Record<string, { dtype: string; shape: number[] }> & { __metadata__?: Record<string, string> } {
  const bytes = readFileSync(path);
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString("utf8"));
}

const bits = (t: Tensor) => Array.from(new Uint8Array(t.data().slice().buffer));

describe("save / load of a module", () => {
  for (const dtype of ["float32", "float64"] as const) {
    test(`${dtype}: names are the state-dict keys, values come back bit for bit`, async () => {
      const model = new RnnRegressor(3, 5, 2, dtype, new Generator(1));
      const path = join(dir, `model-${dtype}.safetensors`);
      await save(model, path, { metadata: { note: "hello", epoch: "3" } });

      const header = readHeader(path);
      const code = dtype === "float32" ? "F32" : "F64";
      const names = Object.keys(header).filter((k) => k !== "__metadata__").sort();
      expect(names).toEqual(["head.bias", "head.weight", "rnn.bias_hh_l0", "rnn.bias_ih_l0", "rnn.weight_hh_l0", "rnn.weight_ih_l0"]);
      // Metadata values stay strings (Python's safetensors requires it): the user's, and the checksums.
      const checksums = Object.fromEntries(names.map((name) => [`checksum.tensor.${name}`, expect.stringMatching(/^sha256:[0-9a-f]{64}$/)]));
      expect(header.__metadata__).toEqual({
        note: "hello",
        epoch: "3",
        "checksum.header": expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        ...checksums,
      });
      expect(header["rnn.weight_ih_l0"]).toMatchObject({ dtype: code, shape: [5, 3] });

      const checkpoint = await load(path);
      expect(checkpoint.metadata).toEqual({ note: "hello", epoch: "3" });
      expect(checkpoint.optimizerState).toBeUndefined();
      const other = new RnnRegressor(3, 5, 2, dtype, new Generator(2));
      expect(bits(other.stateDict()["rnn.weight_ih_l0"])).not.toEqual(bits(model.stateDict()["rnn.weight_ih_l0"]));
      other.loadStateDict(checkpoint.stateDict);
      for (const [name, p] of model.namedParameters()) expect(bits(other.stateDict()[name]), name).toEqual(bits(p));
    });
  }

  test("a plain state dict can be saved too; bad input is refused", async () => {
    const path = join(dir, "plain.safetensors");
    await save({ w: tensor([1, 2, 3], { dtype: "float64" }) }, path);
    expect(Array.from((await load(path)).stateDict.w.data())).toEqual([1, 2, 3]);
    await expect(save({ w: tensor([1], { dtype: "int32" }) }, path)).rejects.toThrow('"w" is int32');
    await expect(save({ w: tensor([1]) }, path, { metadata: { "optimizer.x": "1" } })).rejects.toThrow("reserved");
  });
});

describe("save / load with an optimizer", () => {
  test("buffers are tensors under optimizer.state.<i>.<name>, scalars are JSON metadata", async () => {
    const model = new RnnRegressor(2, 3, 1, "float32", new Generator(3));
    const optimizer = new Adam(model.parameters(), { lr: 0.01, betas: [0.8, 0.95] });
    const x = randn([4, 2, 2], { generator: new Generator(4) });
    trainStep(optimizer, mseLoss(model.forward(x), tensor([[1], [2]])));
    const path = join(dir, "adam.safetensors");
    await save(model, path, { optimizer });

    const header = readHeader(path);
    expect(header["optimizer.state.0.exp_avg"]).toMatchObject({ dtype: "F32", shape: [3, 2] });
    expect(header["optimizer.state.5.exp_avg_sq"]).toMatchObject({ dtype: "F32", shape: [1] });
    expect(JSON.parse(header.__metadata__!["optimizer.steps"])).toEqual({ 0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1 });
    const groups = JSON.parse(header.__metadata__!["optimizer.param_groups"]);
    expect(groups).toEqual([{ lr: 0.01, betas: [0.8, 0.95], eps: 1e-8, weightDecay: 0, amsgrad: false, params: [0, 1, 2, 3, 4, 5] }]);

    const { optimizerState, metadata, stateDict } = await load(path);
    expect(metadata).toEqual({});
    expect(Object.keys(stateDict)).toHaveLength(6); // optimizer tensors are not parameters
    const original = optimizer.stateDict();
    expect(optimizerState!.paramGroups).toEqual(original.paramGroups);
    for (const [i, s] of Object.entries(original.state)) {
      expect(optimizerState!.state[Number(i)].step).toBe(s.step);
      for (const [name, b] of Object.entries(s.buffers)) expect(bits(optimizerState!.state[Number(i)].buffers[name])).toEqual(bits(b));
    }
  });

  // Train 8 steps straight through; then train 4, save, rebuild everything from scratch with a
  // different initialization, restore, and train 4 more. The losses must be the same numbers.
  const cases: [string, (params: Tensor[]) => Optimizer<any>][] = [
    ["SGD with momentum", (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9 })],
    ["Adam", (ps) => new Adam(ps, { lr: 0.02, amsgrad: true })],
  ];
  for (const [label, makeOptimizer] of cases) {
    for (const dtype of ["float32", "float64"] as const) {
      test(`${label} (${dtype}): resuming from a checkpoint reproduces the uninterrupted run exactly`, async () => {
        const gen = new Generator(11);
        const x = randn([5, 6, 3], { generator: gen, dtype });
        const y = randn([6, 1], { generator: gen, dtype });
        const run = (model: RnnRegressor, optimizer: Optimizer<any>, steps: number) =>
          Array.from({ length: steps }, () => trainStep(optimizer, mseLoss(model.forward(x), y)));
        const fresh = (seed: number, d: FloatDType) => {
          const model = new RnnRegressor(3, 7, 1, d, new Generator(seed));
          return { model, optimizer: makeOptimizer(model.parameters()) };
        };

        const straight = fresh(5, dtype);
        const expected = run(straight.model, straight.optimizer, 8);

        const first = fresh(5, dtype);
        const before = run(first.model, first.optimizer, 4);
        const path = join(dir, `resume-${label}-${dtype}.safetensors`.replaceAll(" ", "_"));
        await save(first.model, path, { optimizer: first.optimizer, metadata: { step: "4" } });

        const second = fresh(6, dtype); // different initial weights: everything must come from the file
        expect(await restore(path, second.model, second.optimizer)).toEqual({ step: "4" });
        const after = run(second.model, second.optimizer, 4);
        expect([...before, ...after]).toEqual(expected);
        expect(expected[7]).toBeLessThan(expected[0]);
      });
    }
  }

  test("restore refuses a checkpoint without optimizer state when an optimizer is given", async () => {
    const model = new RnnRegressor(2, 2, 1, "float32");
    const path = join(dir, "no-optimizer.safetensors");
    await save(model, path);
    await expect(restore(path, model, new SGD(model.parameters(), { lr: 0.1 }))).rejects.toThrow("holds no optimizer state");
  });

  test("saving over an existing checkpoint leaves no temporary files", async () => {
    const sub = mkdtempSync(join(dir, "overwrite-"));
    const model = new RnnRegressor(2, 2, 1, "float32");
    for (let i = 0; i < 3; i++) await save(model, join(sub, "ckpt.safetensors"));
    expect(readdirSync(sub)).toEqual(["ckpt.safetensors"]);
  });
});

describe("checksums: damage is an error, never silently different weights", () => {
  /** A model trained one step with Adam (6 parameters, 12 optimizer buffers), saved with user metadata. */
  const savedCheckpoint = async (path: string) => {
    const model = new RnnRegressor(2, 3, 1, "float32", new Generator(7));
    const optimizer = new Adam(model.parameters(), { lr: 0.01 });
    trainStep(optimizer, mseLoss(model.forward(randn([4, 2, 2], { generator: new Generator(8) })), tensor([[1], [2]])));
    await save(model, path, { optimizer, metadata: { epoch: "1" } });
    return readFileSync(path);
  };
  const headerLength = (bytes: Buffer) => Number(bytes.readBigUInt64LE(0));
  /** Rewrites the header JSON (checksums kept), padding it as the format requires. */
  const editHeader = (bytes: Buffer, edit: (header: Record<string, any>) => void) => {
    const n = headerLength(bytes);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8"));
    edit(header);
    const text = JSON.stringify(header);
    const json = Buffer.from(text.padEnd(Math.ceil(Buffer.byteLength(text) / 8) * 8));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([prefix, json, bytes.subarray(8 + n)]);
  };
  const plain = (c: Checkpoint) =>
    JSON.stringify(c, (_, v) => (v !== null && typeof v === "object" && "dtype" in v && typeof v.data === "function" ? [v.dtype, v.shape, bits(v)] : v));

  test("a flipped bit in the data, a renamed tensor, edited optimizer metadata", async () => {
    const path = join(dir, "checked.safetensors");
    const bytes = await savedCheckpoint(path);
    const dataStart = 8 + headerLength(bytes);
    const flipped = Buffer.from(bytes);
    flipped[dataStart + 17] ^= 0x10;
    writeFileSync(path, flipped);
    await expect(load(path)).rejects.toThrow(/^checkpoint is damaged: the data of tensor ".*" does not match its checksum$/);

    writeFileSync(path, editHeader(bytes, (h) => ((h["rnn.weight_hh_l1"] = h["rnn.weight_hh_l0"]), delete h["rnn.weight_hh_l0"])));
    await expect(load(path)).rejects.toThrow('checkpoint is damaged: there is a checksum for tensor "rnn.weight_hh_l0", which the file does not hold');
    writeFileSync(path, editHeader(bytes, (h) => (h.__metadata__["optimizer.param_groups"] = h.__metadata__["optimizer.param_groups"].replace('"lr":0.01', '"lr":0.1'))));
    await expect(load(path)).rejects.toThrow("checkpoint is damaged: the header (tensor names, dtypes, shapes, offsets or metadata) does not match its checksum");
    writeFileSync(path, editHeader(bytes, (h) => (h.__metadata__.epoch = "2")));
    await expect(load(path)).rejects.toThrow("does not match its checksum");
    await expect(save(new RnnRegressor(1, 1, 1, "float32"), path, { metadata: { "checksum.header": "x" } })).rejects.toThrow("reserved for checksums");
  });

  test("fuzz: every mangled checkpoint is a CheckpointError or loads exactly the saved values", async () => {
    const path = join(dir, "fuzz-original.safetensors");
    const bytes = await savedCheckpoint(path);
    const original = plain(await load(path));
    const mangledPath = join(dir, "fuzz-mangled.safetensors");
    const headerEnd = 8 + headerLength(bytes);
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("flip", "flipHeader", "insert", "delete"), fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        async (edits) => {
          let m = Buffer.from(bytes);
          for (const [kind, at, v] of edits) {
            if (kind === "flip") m[at % m.length] ^= v;
            else if (kind === "flipHeader") m[at % Math.min(headerEnd, m.length)] ^= v;
            else if (kind === "insert") m = Buffer.concat([m.subarray(0, at % (m.length + 1)), Buffer.of(v), m.subarray(at % (m.length + 1))]);
            else if (m.length > 0) m = Buffer.concat([m.subarray(0, at % m.length), m.subarray((at % m.length) + 1)]);
          }
          writeFileSync(mangledPath, m);
          let loaded: Checkpoint;
          try {
            loaded = await load(mangledPath);
          } catch (e) {
            if (!(e instanceof CheckpointError)) throw new Error(`non-CheckpointError escaped: ${String(e)}`, { cause: e });
            rejected++;
            return;
          }
          expect(plain(loaded)).toBe(original);
        },
      ),
      { numRuns: 400 },
    );
    expect(rejected).toBeGreaterThan(200);
  });
});
