/**
 * Module buffers, freezing, apply, dtype conversion, zeroGrad and loadStateDict, against what
 * PyTorch 1.13 does with the same model (the "module" cases of init-functions.json, written by
 * make_init_functions.py, which defines Block and Net exactly as below).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DType, type Tensor, full, ones, tensor, zeros } from "@gradgraph/core";
import { afterAll, describe, expect, test } from "vitest";
import { type AnyModule, Embedding, GRUCell, LSTM, Linear, Module, SGD, Sequential, init, load, restore, save } from "../../packages/nn/src";
import { loadFixture } from "../helpers/fixtures";

/** A buffer registered before a child, a parameter after it, a non-persistent and an int32 buffer. */
class Block extends Module {
  readonly runningMean = this.registerBuffer("running_mean", zeros([2]));
  readonly linear = this.registerModule("linear", new Linear(3, 2));
  readonly scale = this.registerParameter("scale", ones([2]));
  readonly mask = this.registerBuffer("mask", ones([2]), { persistent: false });
  readonly steps = this.registerBuffer("steps", zeros([], { dtype: "int32" }));

  forward(x: Tensor): Tensor {
    return this.linear.forward(x).mul(this.scale).mul(this.mask).add(this.runningMean);
  }
}

class Net extends Module {
  readonly encoder = this.registerModule("encoder", new Block());
  readonly offset = this.registerBuffer("offset", full([2], 0.5));
  readonly head = this.registerModule("head", new Linear(2, 1));
  readonly bias = this.registerParameter("bias", zeros([1]));

  forward(x: Tensor): Tensor {
    return this.head.forward(this.encoder.forward(x).add(this.offset).tanh()).add(this.bias);
  }
}

const x = () => tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]);
const keysOf = (named: [string, unknown][]) => named.map(([key]) => key);
const dtypesOf = (named: [string, Tensor][]) => Object.fromEntries(named.map(([key, t]) => [key, t.dtype]));

interface ModuleCase {
  id: string;
  type: string;
  [field: string]: unknown;
}

type DtypeRecord = { state_dict: Record<string, DType>; buffers: Record<string, DType> };

const moduleCases = loadFixture<ModuleCase>("init-functions.json").filter((c) => c.type === "module");
const ran = new Set<string>();

const checks: Record<string, (c: any) => void> = {
  structure(c: { state_dict: Record<string, { shape: number[]; dtype: DType }>; named_parameters: string[]; named_buffers: string[]; named_modules: string[] }) {
    const net = new Net();
    const stateDict = net.stateDict();
    expect(Object.keys(stateDict)).toEqual(Object.keys(c.state_dict));
    expect(Object.fromEntries(Object.entries(stateDict).map(([key, t]) => [key, { shape: t.shape, dtype: t.dtype }]))).toEqual(c.state_dict);
    expect(keysOf(net.namedParameters())).toEqual(c.named_parameters);
    expect(keysOf(net.namedBuffers())).toEqual(c.named_buffers);
    expect(keysOf(net.namedModules())).toEqual(c.named_modules);
    // Buffers are live leaves named by their path, never parameters.
    expect(net.buffers()).toEqual([net.offset, net.encoder.runningMean, net.encoder.mask, net.encoder.steps]);
    expect(stateDict["encoder.running_mean"]).toBe(net.encoder.runningMean);
    expect(net.encoder.mask.name).toBe("net.encoder.mask");
    expect(net.parameters()).not.toContain(net.offset);
    expect(new Sequential(net).namedBuffers()[0]).toEqual(["0.offset", net.offset]);
    expect(net.offset.name).toBe("sequential.0.offset"); // renamed with its module, as parameters are
  },

  apply_order(c: { visited: string[] }) {
    const net = new Net();
    const paths = new Map(net.namedModules().map(([path, module]) => [module, path]));
    const visited: string[] = [];
    expect(net.apply((module) => visited.push(paths.get(module)!))).toBe(net);
    expect(visited).toEqual(c.visited);
  },

  to_dtype(c: { after_double: DtypeRecord; after_float: DtypeRecord; after_to_float64: DtypeRecord }) {
    const net = new Net();
    const record = (): DtypeRecord => ({ state_dict: dtypesOf(Object.entries(net.stateDict())), buffers: dtypesOf(net.namedBuffers()) });
    const before = Object.fromEntries(Object.entries(net.stateDict()).map(([key, t]) => [key, Array.from(t.data())]));
    net.forward(x()).sum().backward();
    const weightGrad = Array.from(net.head.weight.grad!.data());
    expect(net.double()).toBe(net);
    expect(record()).toEqual(c.after_double);
    // The layers compute with the converted leaves: their fields were re-pointed.
    expect(net.head.weight).toBe(net.stateDict()["head.weight"]);
    expect(net.encoder.runningMean).toBe(net.stateDict()["encoder.running_mean"]);
    expect(net.encoder.mask.dtype).toBe("float64");
    expect(net.forward(x().cast("float64")).dtype).toBe("float64");
    // Values, names, requiresGrad and gradients carry over.
    for (const [key, t] of Object.entries(net.stateDict())) expect(Array.from(t.data()), key).toEqual(before[key]);
    expect(net.head.weight.name).toBe("net.head.weight");
    expect(net.parameters().every((p) => p.requiresGrad && p.dtype === "float64")).toBe(true);
    expect(net.head.weight.grad!.dtype).toBe("float64");
    expect(Array.from(net.head.weight.grad!.data())).toEqual(weightGrad);
    net.float();
    expect(record()).toEqual(c.after_float);
    const float32Leaves = net.stateDict();
    net.float(); // already float32: nothing is replaced
    for (const [key, t] of Object.entries(net.stateDict())) expect(t, key).toBe(float32Leaves[key]);
    net.to("float64");
    expect(record()).toEqual(c.after_to_float64);
  },

  load_state_dict(c: { errors: Record<string, string>; non_strict: { missing_keys: string[]; unexpected_keys: string[] } }) {
    // PyTorch ends its lines with a space and prints shapes as torch.Size([3]).
    const ours = (message: string) => message.replace(/ +$/gm, "").replace(/torch\.Size\((\[[^\]]*\])\)/g, "$1");
    const source = new Net().stateDict();
    const { "encoder.running_mean": _, ...withoutRunningMean } = source;
    const missingAndUnexpected = { ...withoutRunningMean, "encoder.mask": ones([2]) };
    expect(() => new Net().loadStateDict(missingAndUnexpected)).toThrow(ours(c.errors.missing_and_unexpected));
    expect(() => new Net().loadStateDict({ ...source, offset: zeros([3]) })).toThrow(ours(c.errors.size_mismatch));
    expect(new Net().loadStateDict(missingAndUnexpected, { strict: false })).toEqual({
      missingKeys: c.non_strict.missing_keys,
      unexpectedKeys: c.non_strict.unexpected_keys,
    });
    // Buffers are copied into, like parameters (converting dtype); non-persistent ones are not touched.
    const net = new Net();
    const offset = net.offset;
    net.loadStateDict({ ...source, offset: tensor([1, 2], { dtype: "float64" }), "encoder.steps": 7 });
    expect(net.offset).toBe(offset);
    expect(Array.from(net.offset.data())).toEqual([1, 2]);
    expect([net.encoder.steps.dtype, net.encoder.steps.item()]).toEqual(["int32", 7]);
    expect(Array.from(net.encoder.mask.data())).toEqual([1, 1]);
  },

  freeze(c: { frozen_module: string; requires_grad: Record<string, boolean>; with_grad: string[]; changed_by_sgd: string[] }) {
    const net = new Net();
    const frozen = net.namedModules().find(([path]) => path === c.frozen_module)![1];
    expect(frozen.requiresGrad(false)).toBe(frozen);
    expect(Object.fromEntries(net.namedParameters().map(([key, p]) => [key, p.requiresGrad]))).toEqual(c.requires_grad);
    net.forward(x()).sum().backward();
    expect(net.namedParameters().filter(([, p]) => p.grad !== undefined).map(([key]) => key)).toEqual(c.with_grad);
    const before = new Map(net.namedParameters().map(([key, p]) => [key, Array.from(p.data())]));
    new SGD(net.parameters(), { lr: 0.1 }).step();
    const changed = net.namedParameters().filter(([key, p]) => JSON.stringify(Array.from(p.data())) !== JSON.stringify(before.get(key)));
    expect(keysOf(changed)).toEqual(c.changed_by_sgd);
    net.requiresGrad();
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
  },

  zero_grad(c: { after_backward: Record<string, string>; after_zero_grad: Record<string, string>; after_set_to_none: Record<string, string> }) {
    const net = new Net();
    const states = () =>
      Object.fromEntries(
        net.namedParameters().map(([key, p]) => {
          if (p.grad === undefined) return [key, "none"];
          expect([p.grad.shape, p.grad.dtype], key).toEqual([p.shape, p.dtype]);
          return [key, Array.from(p.grad.data()).every((v) => v === 0) ? "zeros" : "values"];
        }),
      );
    net.forward(x()).sum().backward();
    expect(states()).toEqual(c.after_backward);
    net.zeroGrad();
    expect(states()).toEqual(c.after_zero_grad);
    net.forward(x()).sum().backward();
    net.zeroGrad({ setToNone: true });
    expect(states()).toEqual(c.after_set_to_none);
  },
};

describe("Module features against PyTorch (init-functions.json)", () => {
  for (const c of moduleCases) {
    test(c.id, () => {
      expect(checks[c.id], `no check for module case ${c.id}`).toBeDefined();
      checks[c.id](c);
      ran.add(c.id);
    });
  }
});

describe("beyond the fixture", () => {
  test("to() keeps shared parameters shared and re-points fields inside arrays and plain objects", () => {
    class Tied extends Module {
      readonly embedding = this.registerModule("embedding", new Embedding(4, 3));
      readonly weight = this.registerParameter("weight", this.embedding.weight);
      forward(input: Tensor): Tensor {
        return input;
      }
    }
    const tied = new Tied().double();
    expect(tied.weight).toBe(tied.embedding.weight);
    expect(tied.weight.dtype).toBe("float64");
    expect(tied.namedParameters()).toHaveLength(1);

    // Parameters held the way RecurrentBase holds them: records inside an array field.
    class Stacked extends Module {
      readonly layers = [0, 1].map((i) => ({ weight: this.registerParameter(`weight_${i}`, full([2, 2], i + 1)) }));
      forward(input: Tensor): Tensor {
        return this.layers.reduce((h, { weight }) => h.matmul(weight), input);
      }
    }
    const stacked = new Stacked().double();
    expect(stacked.layers.map(({ weight }) => weight)).toEqual(stacked.parameters());
    expect(stacked.forward(tensor([[1, 1]], { dtype: "float64" })).toArray()).toEqual([[8, 8]]);
  });

  test("double() carries recurrent modules and cells along: they then take float64 input and compute in float64", () => {
    const cases = [
      { module: new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2 }), input: tensor([[[0.5, -1, 2]]]) },
      { module: new GRUCell({ inputSize: 3, hiddenSize: 4 }), input: tensor([[0.5, -1, 2]]) },
    ];
    for (const { module, input } of cases) {
      const first = (result: unknown) => (Array.isArray(result) ? result[0] : result) as Tensor;
      const float32 = first(module.call(input));
      module.double();
      expect(module.dtype).toBe("float64");
      const float64 = first(module.call(input.cast("float64")));
      expect(float64.dtype).toBe("float64");
      // The same weights, now exact doubles of the float32 ones: the float64 result is within float32 rounding of the float32 one.
      const [a, b] = [float32.data(), float64.data()];
      a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-6));
    }
  });

  test("apply initializes a model the PyTorch way, children before parents", () => {
    const model = new Sequential(new Linear(3, 4), new Linear(4, 2));
    model.apply((module) => {
      if (module instanceof Linear) {
        init.eye(module.weight);
        init.zeros(module.bias!);
      }
    });
    expect(model.at(1).stateDict().weight.toArray()).toEqual([[1, 0, 0, 0], [0, 1, 0, 0]]);
    expect(Array.from(model.forward(tensor([[1, 2, 3]])).data())).toEqual([1, 2]);
  });

  test("errors name the module and say what was expected", () => {
    const net = new Net();
    expect(() => net.registerBuffer("offset", zeros([1]))).toThrow("Net: attribute 'offset' already exists");
    expect(() => net.registerBuffer("bias", zeros([1]))).toThrow("Net: attribute 'bias' already exists");
    expect(() => net.registerBuffer("sum", zeros([1]).add(1))).toThrow("Net: buffer 'sum' must be a leaf tensor that is not a shared constant, got Tensor(add");
    expect(() => net.registerBuffer("a.b", zeros([1]))).toThrow('Net: buffer name must be a non-empty string without ".", got "a.b"');
    expect(() => net.registerBuffer("c", zeros([1]), { persistent: "no" as unknown as boolean })).toThrow(
      'Net.registerBuffer: persistent must be true or false, got "no"',
    );
    expect(() => net.to("int32" as "float32")).toThrow('Net.to: only accepts floating point dtypes ("float32" or "float64"), but got desired dtype "int32"');
    expect(() => net.zeroGrad({ set_to_none: true } as object)).toThrow("Net.zeroGrad: unknown option(s) 'set_to_none' (options are setToNone)");
    expect(() => net.requiresGrad(0 as unknown as boolean)).toThrow("Net.requiresGrad: requiresGrad must be true or false, got 0");
    expect(() => net.apply(undefined as unknown as (m: AnyModule) => void)).toThrow("Net.apply: fn must be a function, got undefined");
  });
});

describe("checkpoints hold persistent buffers", () => {
  const dir = mkdtempSync(join(tmpdir(), "gradgraph-module-features-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  class Normalizer extends Module {
    readonly linear = this.registerModule("linear", new Linear(2, 2));
    readonly mean = this.registerBuffer("mean", zeros([2], { dtype: "float64" }));
    readonly scratch = this.registerBuffer("scratch", zeros([2]), { persistent: false });
    forward(input: Tensor): Tensor {
      return this.linear.forward(input.sub(this.mean.cast("float32")));
    }
  }

  test("save writes them under their state-dict keys (not the non-persistent ones); restore loads them", async () => {
    const trained = new Normalizer();
    trained.mean.assign([0.25, -4]);
    trained.scratch.assign([9, 9]);
    const path = join(dir, "normalizer.safetensors");
    await save(trained, path);
    const bytes = readFileSync(path);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8"));
    expect(Object.keys(header).filter((k) => k !== "__metadata__").sort()).toEqual(["linear.bias", "linear.weight", "mean"]);
    expect(header.mean).toMatchObject({ dtype: "F64", shape: [2] });
    expect(Object.keys((await load(path)).stateDict).sort()).toEqual(["linear.bias", "linear.weight", "mean"]);

    const fresh = new Normalizer();
    await restore(path, fresh);
    expect(Array.from(fresh.mean.data())).toEqual([0.25, -4]);
    expect(Array.from(fresh.scratch.data())).toEqual([0, 0]);
    expect(Array.from(fresh.linear.weight.data())).toEqual(Array.from(trained.linear.weight.data()));
  });

  test("restore counts buffers in strict mode; an int32 buffer cannot be saved (safetensors here holds F32 and F64)", async () => {
    const path = join(dir, "without-mean.safetensors");
    const { mean: _, ...withoutMean } = new Normalizer().stateDict();
    await save(withoutMean, path);
    await expect(restore(path, new Normalizer())).rejects.toThrow('Error(s) in loading state_dict for Normalizer:\n\tMissing key(s) in state_dict: "mean".');
    await expect(save(new Net(), join(dir, "net.safetensors"))).rejects.toThrow('save: "encoder.steps" is int32; checkpoints hold float32 and float64 tensors');
  });
});

test("every module case of init-functions.json ran", () => {
  expect(moduleCases.length).toBeGreaterThan(0);
  expect(moduleCases.map((c) => c.id).filter((id) => !ran.has(id))).toEqual([]);
});
