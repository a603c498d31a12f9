/**
 * Hostile input: every case gets a clear error (naming what is wrong) or a defined result,
 * following PyTorch where it defines one.
 */
import { writeFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AnomalyError,
  Tensor,
  concat,
  grad,
  randn,
  setAnomalyDetection,
  tensor,
  withScope,
  zeros,
  full,
} from "@gradgraph/core";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { load, save } from "../../packages/nn/src/checkpoint";
import {
  Adam,
  AdamW,
  CHECKSUM_PREFIX,
  CheckpointError,
  Embedding,
  LSTM,
  Linear,
  RNN,
  SGD,
  binaryCrossEntropyWithLogits,
  clipGradNorm,
  crossEntropyLoss,
  mseLoss,
} from "../../packages/nn/src";

const f64 = (values: number[], requiresGrad = false) => tensor(values, { dtype: "float64", requiresGrad });

describe("shape and dtype mismatches", () => {
  test("ops print both shapes, PyTorch style", () => {
    expect(() => tensor([1, 2, 3]).add(tensor([1, 2]))).toThrow(
      "add: the size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0 (shapes [3] and [2])",
    );
    expect(() => zeros([3, 2]).matmul(zeros([3, 2]))).toThrow("matmul: shapes cannot be multiplied (3x2 and 3x2)");
    expect(() => concat([zeros([2, 3]), zeros([2, 4])], 0)).toThrow("concat: sizes of tensors must match except in dimension 0");
    expect(() => zeros([2, 3]).reshape(4, 2)).toThrow(/reshape/);
  });

  test("mixed float dtypes promote to float64 as in PyTorch; int32 indices refuse floats", () => {
    expect(tensor([1]).add(f64([2])).dtype).toBe("float64");
    expect(() => zeros([3, 2]).gather(1, zeros([3, 1]))).toThrow("gather: index must be an int32 tensor, got float32");
  });

  test("modules name the module and both sizes", () => {
    const rnn = new RNN({ inputSize: 4, hiddenSize: 3 });
    expect(() => rnn.forward(zeros([5, 2, 3]))).toThrow("RNN: input.size(-1) must be equal to inputSize. Expected 4, got 3");
    expect(() => rnn.forward(zeros([5, 2, 4], { dtype: "float64" }))).toThrow("RNN: input is float64 but the parameters are float32");
    expect(() => rnn.forward(zeros([5, 2, 4]), zeros([1, 3, 3]))).toThrow("RNN: Expected hidden size [1, 2, 3], got [1, 3, 3]");
    expect(() => new LSTM({ inputSize: 2, hiddenSize: 2 }).forward(zeros([4]))).toThrow("LSTM: Expected input to be 2D or 3D, got 1D instead");
    expect(() => new Linear(4, 2).forward(zeros([3, 5]))).toThrow("matmul: shapes cannot be multiplied (3x5 and 4x2)");
    expect(() => new Embedding(10, 3).forward(zeros([2]))).toThrow("Embedding: expected int32 indices, got float32");
  });

  test("losses", () => {
    expect(() => mseLoss(zeros([3, 2]), zeros([3]))).toThrow("mseLoss: input [3, 2] and target [3] must have the same shape");
    expect(() => crossEntropyLoss(zeros([3, 4]), tensor([0, 9, 1], { dtype: "int32" }))).toThrow(
      "crossEntropyLoss: target 9 is out of bounds for 4 classes",
    );
    expect(() => binaryCrossEntropyWithLogits(zeros([2]), zeros([2], { dtype: "float64" }))).toThrow(
      "binaryCrossEntropyWithLogits: input (float32) and target (float64) must have the same dtype",
    );
  });
});

describe("NaN and Inf propagate as IEEE 754 says", () => {
  test("forward", () => {
    const x = f64([NaN, Infinity, -Infinity, 0, 1]);
    expect(Array.from(x.exp().data())).toEqual([NaN, Infinity, 0, 1, Math.E]);
    expect(Array.from(x.tanh().data())).toEqual([NaN, 1, -1, 0, Math.tanh(1)]);
    expect(Array.from(x.mul(0).data())).toEqual([NaN, NaN, NaN, 0, 0]);
    expect(Array.from(x.log().data())).toEqual([NaN, Infinity, NaN, -Infinity, 0]);
    expect(Array.from(f64([1, -1, 0]).div(0).data())).toEqual([Infinity, -Infinity, NaN]);
    expect(x.sum().item()).toBeNaN();
    expect(f64([Infinity, -Infinity]).sum().item()).toBeNaN();
    expect(f64([Infinity, 1]).sum().item()).toBe(Infinity);
    expect(x.max().item()).toBeNaN();
  });

  test("backward", () => {
    const x = f64([NaN, Infinity, -Infinity, 0, 1], true);
    const [dExp] = grad(x.exp().sum(), [x]);
    expect(Array.from(dExp.data())).toEqual([NaN, Infinity, 0, 1, Math.E]);
    const [dLog] = grad(x.log().sum(), [x]);
    expect(Array.from(dLog.data())).toEqual([NaN, 0, -0, Infinity, 1]);
    const [dTanh] = grad(x.tanh().sum(), [x]);
    expect(Array.from(dTanh.data())).toEqual([NaN, 0, 0, 1, 1 - Math.tanh(1) ** 2]);
  });

  test("a NaN loss trains into NaN parameters rather than failing or being skipped", () => {
    const w = f64([1, 2], true);
    const optimizer = new Adam([w], { lr: 0.1 });
    w.grad = f64([NaN, 1]);
    optimizer.step();
    expect(w.data()[0]).toBeNaN();
    expect(Number.isFinite(w.data()[1])).toBe(true);
  });
});

describe("anomaly mode names the first op that makes NaN, with its module path", () => {
  afterEach(() => setAnomalyDetection(false));

  test("inside an RNN: time step 1 of layer 0", () => {
    // relu RNN whose hidden state reaches 1e308 at t0; at t1, h W_hh^T sums 2e308 and -2e308: Inf - Inf.
    const rnn = new RNN({ inputSize: 1, hiddenSize: 2, nonlinearity: "relu", dtype: "float64" });
    rnn.loadStateDict({ weight_ih_l0: [[1], [1]], weight_hh_l0: [[2, -2], [0, 0]], bias_ih_l0: [0, 0], bias_hh_l0: [0, 0] });
    const x = tensor([[[1e308]], [[1]], [[1]]], { dtype: "float64" });
    expect(Array.from(rnn.forward(x)[0].data())[2]).toBeNaN(); // without anomaly mode: plain NaN
    setAnomalyDetection(true);
    const [output] = rnn.forward(x);
    let error: unknown;
    try {
      output.data();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AnomalyError);
    expect((error as AnomalyError).node.scope).toBe("rnn.l0.t1");
    expect((error as Error).message).toBe("anomaly: op 'matmul' in 'rnn.l0.t1' produced NaN from inputs without NaN (output [1, 2] float64)");
  });

  test("in the backward pass, under the scope of the node being differentiated", () => {
    const x = f64([0, 1], true);
    const y = withScope("model", () => x.sqrt().mul(0).sum()); // forward is fine: 0
    setAnomalyDetection(true);
    expect(y.item()).toBe(0);
    expect(() => grad(y, [x])[0].data()).toThrow("anomaly: op 'div' in 'backward.model' produced NaN");
  });

  test("inputs that already hold NaN are not blamed on the op", () => {
    setAnomalyDetection(true);
    expect(f64([NaN, 1]).exp().data()[0]).toBeNaN();
  });
});

describe("empty tensors (size-0 dims)", () => {
  const empty = zeros([0, 3], { dtype: "float64" });
  test("elementwise ops keep the shape", () => {
    const y = empty.add(1).tanh().mul(f64([1, 2, 3]));
    expect(y.shape).toEqual([0, 3]);
    expect(y.data()).toHaveLength(0);
  });

  test("sum is 0, mean is NaN (0/0, as in PyTorch), max refuses", () => {
    expect(empty.sum().item()).toBe(0);
    expect(Array.from(empty.sum(0).data())).toEqual([0, 0, 0]);
    expect(empty.mean().item()).toBeNaN();
    expect(Array.from(empty.mean(0).data())).toEqual([NaN, NaN, NaN]);
    expect(() => empty.max()).toThrow("max: Expected reduction dim to be specified for input.numel() == 0");
    expect(() => empty.max(0)).toThrow("max: Expected reduction dim 0 to have non-zero size (input shape [0, 3])");
  });

  test("matmul with k = 0 gives zeros, and gradients of the right (empty) shape", () => {
    const a = zeros([2, 0], { dtype: "float64", requiresGrad: true });
    const b = zeros([0, 3], { dtype: "float64", requiresGrad: true });
    const product = a.matmul(b);
    expect(product.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    const [ga, gb] = grad(product.sum(), [a, b]);
    expect([ga.shape, gb.shape]).toEqual([[2, 0], [0, 3]]);
  });

  test("a zero-length sequence into an RNN is an error, as in PyTorch; a zero-size batch is fine", () => {
    const rnn = new RNN({ inputSize: 2, hiddenSize: 3 });
    expect(() => rnn.forward(zeros([0, 4, 2]))).toThrow("RNN: Expected sequence length to be larger than 0, got input [0, 4, 2]");
    const [output, hN] = rnn.forward(zeros([5, 0, 2]));
    expect([output.shape, hN.shape]).toEqual([[5, 0, 3], [1, 0, 3]]);
    expect(output.data()).toHaveLength(0);
  });

  test("losses over zero samples: mean is NaN, sum is 0", () => {
    expect(mseLoss(empty, empty).item()).toBeNaN();
    expect(crossEntropyLoss(empty, tensor([], { dtype: "int32" }), { reduction: "sum" }).item()).toBe(0);
  });
});

describe("absurd shapes are refused before allocating", () => {
  test("creation names the shape", () => {
    const message = "shape [1000000, 1000000] has 1000000000000 elements, more than the 2147483647 a tensor can hold";
    expect(() => zeros([1e6, 1e6])).toThrow(`zeros: ${message}`);
    expect(() => randn([1e6, 1e6])).toThrow(`randn: ${message}`);
    expect(() => full([1e6, 1e6], 1)).toThrow(message);
    expect(() => zeros([2, -1])).toThrow("shape [2, -1] must hold non-negative integers");
    expect(() => zeros([2.5])).toThrow("shape [2.5] must hold non-negative integers");
  });

  test("ops whose result would be absurd refuse when built, not when a kernel allocates", () => {
    const [column, row] = [zeros([1e5, 1]), zeros([1, 1e5])];
    expect(() => column.matmul(row)).toThrow("matmul: result shape [100000, 100000] has 10000000000 elements, more than the 2147483647");
    expect(() => column.add(row)).toThrow("add: result shape [100000, 100000] has 10000000000 elements");
  });

  test("layers refuse absurd sizes", () => {
    expect(() => new Linear(1e6, 1e6)).toThrow(/1000000000000 elements/);
    expect(() => new RNN({ inputSize: 0, hiddenSize: 2 })).toThrow("RNN: inputSize must be a positive integer, got 0");
  });
});

describe("optimizer hyperparameters", () => {
  const params = () => [tensor([1, 2], { requiresGrad: true })];
  test.each([
    ["SGD lr -1", () => new SGD(params(), { lr: -1 }), "SGD: Invalid learning rate: -1"],
    ["SGD lr NaN", () => new SGD(params(), { lr: NaN }), "SGD: Invalid learning rate: NaN"],
    ["SGD lr Infinity", () => new SGD(params(), { lr: Infinity }), "SGD: Invalid learning rate: Infinity"],
    ["SGD momentum", () => new SGD(params(), { lr: 0.1, momentum: -0.5 }), "SGD: Invalid momentum value: -0.5"],
    ["SGD weight decay", () => new SGD(params(), { lr: 0.1, weightDecay: -1 }), "SGD: Invalid weight_decay value: -1"],
    ["SGD nesterov", () => new SGD(params(), { lr: 0.1, nesterov: true }), "SGD: Nesterov momentum requires a momentum and zero dampening"],
    ["SGD nesterov dampening", () => new SGD(params(), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), "zero dampening"],
    ["SGD without lr", () => new SGD(params(), {} as { lr: number }), "SGD: lr (the learning rate) is required"],
    ["Adam lr", () => new Adam(params(), { lr: -0.001 }), "Adam: Invalid learning rate: -0.001"],
    ["Adam beta1 = 1", () => new Adam(params(), { betas: [1, 0.999] }), "Adam: Invalid beta parameter at index 0: 1"],
    ["Adam beta2 < 0", () => new Adam(params(), { betas: [0.9, -0.1] }), "Adam: Invalid beta parameter at index 1: -0.1"],
    ["Adam eps", () => new Adam(params(), { eps: -1e-8 }), "Adam: Invalid epsilon value: -1e-8"],
    ["AdamW weight decay", () => new AdamW(params(), { weightDecay: NaN }), "AdamW: Invalid weight_decay value: NaN"],
    ["Adam betas shape", () => new Adam(params(), { betas: [0.9] as unknown as [number, number] }), "Adam: betas must be a list of 2 numbers, got [0.9]"],
    ["unknown option", () => new Adam(params(), { weight_decay: 0.1 } as object), "Adam: unknown option 'weight_decay' (options are lr, betas, eps, weightDecay, amsgrad)"],
    ["lr as a string", () => new SGD(params(), { lr: "0.1" as unknown as number }), `SGD: lr must be a number, got "0.1"`],
    ["group override", () => new SGD([{ params: params(), lr: -2 }], { lr: 0.1 }), "SGD: parameter group 0: Invalid learning rate: -2"],
  ])("%s", (_, make, message) => {
    expect(make).toThrow(message);
  });

  test("parameters: empty, duplicated, not tensors, not leaves, not float", () => {
    const p = tensor([1], { requiresGrad: true });
    expect(() => new SGD([], { lr: 0.1 })).toThrow("SGD: optimizer got an empty parameter list");
    expect(() => new SGD([p, p], { lr: 0.1 })).toThrow("SGD: parameter 1 of group 0 (float32 [1]) appears more than once");
    expect(() => new SGD(p as unknown as Tensor[], { lr: 0.1 })).toThrow("SGD: params must be an iterable of Tensors or of parameter groups");
    expect(() => new SGD([[1, 2]] as unknown as Tensor[], { lr: 0.1 })).toThrow("SGD: parameter 0 of group 0 is not a Tensor (got an array)");
    expect(() => new SGD([p.mul(2)], { lr: 0.1 })).toThrow("is not a leaf tensor and cannot be optimized");
    expect(() => new SGD([tensor([1], { dtype: "int32" })], { lr: 0.1 })).toThrow("is not a float tensor");
  });

  test("a gradient of the wrong shape is refused at step()", () => {
    const p = tensor([1, 2], { requiresGrad: true, name: "w" });
    p.grad = tensor([1]);
    expect(() => new SGD([p], { lr: 0.1 }).step()).toThrow("SGD: gradient float32 [1] does not match 'w' float32 [2]");
  });

  test("clipGradNorm", () => {
    expect(() => clipGradNorm([], -1)).toThrow("clipGradNorm: maxNorm must be >= 0, got -1");
    expect(() => clipGradNorm([], 1, 0)).toThrow("clipGradNorm: normType must be positive or Infinity, got 0");
    expect(clipGradNorm([tensor([1], { requiresGrad: true })], 1)).toBe(0); // no gradients: norm 0
  });
});

describe("loading state dicts with wrong keys or shapes", () => {
  test("modules list every problem in PyTorch's words and change nothing", () => {
    const linear = new Linear(3, 2);
    const before = Array.from(linear.weight.data());
    expect(() => linear.loadStateDict({ weight: zeros([2, 4]), bias: zeros([2]), extra: zeros([1]) })).toThrow(
      'Error(s) in loading state_dict for Linear:\n\tUnexpected key(s) in state_dict: "extra".\n\t' +
        "size mismatch for weight: copying a param with shape [2, 4] from checkpoint, the shape in current model is [2, 3].",
    );
    expect(() => linear.loadStateDict({ weight: zeros([2, 3]) })).toThrow('Missing key(s) in state_dict: "bias".');
    expect(Array.from(linear.weight.data())).toEqual(before);
  });

  test("optimizers validate the whole state before changing anything", () => {
    const [a, b] = [tensor([1, 2], { requiresGrad: true }), tensor([3], { requiresGrad: true })];
    const optimizer = new Adam([a, b], { lr: 0.1 });
    a.grad = tensor([1, 1]);
    b.grad = tensor([1]);
    optimizer.step();
    const good = optimizer.stateDict();
    const bad = (change: (s: typeof good) => void) => {
      const s = optimizer.stateDict();
      change(s);
      return () => optimizer.loadStateDict(s);
    };
    expect(bad((s) => s.paramGroups.push({ ...s.paramGroups[0] }))).toThrow("Adam: loaded state dict has 2 parameter groups, the optimizer has 1");
    expect(bad((s) => s.paramGroups[0].params.pop())).toThrow("Adam: loaded parameter group 0 has 1 parameters, the optimizer's has 2");
    expect(bad((s) => (s.state[1].buffers.exp_avg = zeros([2])))).toThrow(
      "Adam: loaded state of parameter 1: buffer exp_avg is float32 [2], expected a float tensor shaped like float32 [1]",
    );
    expect(bad((s) => delete s.state[0].buffers.exp_avg_sq)).toThrow("expected buffers [exp_avg, exp_avg_sq], missing [exp_avg_sq], unexpected []");
    expect(bad((s) => (s.state[0].buffers.momentum_buffer = zeros([2])))).toThrow("unexpected [momentum_buffer]");
    expect(bad((s) => (s.state[7] = s.state[0]))).toThrow("Adam: loaded state names parameter 7, but the optimizer has 2 parameters");
    expect(bad((s) => (s.state[0].step = -1))).toThrow("step must be a non-negative integer, got -1");
    expect(bad((s) => (s.paramGroups[0].lr = -1))).toThrow("Adam: loaded parameter group 0: Invalid learning rate: -1");
    expect(bad((s) => (s.paramGroups[0].momentum = 0.9))).toThrow("Adam: loaded parameter group 0: unknown option 'momentum'");
    // After all those refusals the optimizer still holds its own state.
    const plain = (s: typeof good) => JSON.stringify(s, (_, v) => (v instanceof Tensor ? Array.from(v.data()) : v));
    expect(plain(optimizer.stateDict())).toBe(plain(good));
    expect(optimizer.paramGroups[0].lr).toBe(0.1);
  });
});

describe("released tensors", () => {
  test("building on, or evaluating, a released tensor is an error", () => {
    const x = tensor([1, 2]);
    const y = x.add(1);
    expect(Array.from(y.data())).toEqual([2, 3]);
    y.release();
    expect(() => y.mul(2)).toThrow("mul: input 0 was released and can no longer be used");
    expect(() => y.data()).toThrow("Tensor(add, [2], float32) was released and can no longer be evaluated or used");
    const z = x.mul(3); // built before x is released
    x.release();
    expect(() => x.data()).toThrow("Tensor(constant, [2], float32) was released");
    expect(() => z.data()).toThrow("Tensor(constant, [2], float32) was released");
  });
});

describe("corrupt checkpoints are rejected with a clear error", () => {
  const dir = mkdtempSync(join(tmpdir(), "gradgraph-hostile-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const saved = async (name: string) => {
    const path = join(dir, name);
    const model = new Linear(2, 2);
    const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    for (const p of model.parameters()) p.grad = zeros(p.shape);
    optimizer.step();
    await save(model, path, { optimizer });
    return path;
  };

  /**
   * Rewrites the header JSON of a saved file (keeping the data) via `edit`. The checksums are
   * dropped, as from a file edited by hand or written elsewhere, so that what is checked here is
   * the validation behind them (checkpoint.test.ts checks that edits under checksums are caught).
   */
  const withHeader = (path: string, edit: (header: Record<string, any>) => void) => {
    const bytes = readFileSync(path);
    const length = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + length).toString("utf8"));
    for (const key of Object.keys(header.__metadata__)) if (key.startsWith(CHECKSUM_PREFIX)) delete header.__metadata__[key];
    edit(header);
    const json = Buffer.from(JSON.stringify(header).padEnd(Math.ceil(JSON.stringify(header).length / 8) * 8));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(path, Buffer.concat([prefix, json, bytes.subarray(8 + length)]));
  };

  test("truncated or garbage files", async () => {
    const path = await saved("truncated.safetensors");
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 4));
    await expect(load(path)).rejects.toThrow(CheckpointError);
    await expect(load(path)).rejects.toThrow('tensor "weight": data_offsets [32, 48] extend past the 44-byte data area');
    writeFileSync(path, "definitely not a checkpoint");
    await expect(load(path)).rejects.toThrow(/header length \d+ (exceeds|runs past)/);
    writeFileSync(path, Buffer.alloc(3));
    await expect(load(path)).rejects.toThrow("file is 3 bytes, shorter than the 8-byte header length");
  });

  test("damaged optimizer metadata", async () => {
    const path = await saved("metadata.safetensors");
    withHeader(path, (h) => (h.__metadata__["optimizer.param_groups"] = "{not json"));
    await expect(load(path)).rejects.toThrow('checkpoint metadata "optimizer.param_groups" is not valid JSON');

    // Read as strictly as the header: JSON.parse would keep the last "lr" and accept any depth.
    const duplicate = await saved("duplicate.safetensors");
    withHeader(duplicate, (h) => {
      const [group] = JSON.parse(h.__metadata__["optimizer.param_groups"]);
      h.__metadata__["optimizer.param_groups"] = `[${JSON.stringify(group).replace("{", '{"lr":5,')}]`;
    });
    await expect(load(duplicate)).rejects.toThrow(
      /^checkpoint metadata "optimizer.param_groups" is not valid JSON: duplicate key "lr" at character \d+$/,
    );
    const deep = await saved("deep.safetensors");
    withHeader(deep, (h) => (h.__metadata__["optimizer.steps"] = `${"[".repeat(5000)}${"]".repeat(5000)}`));
    await expect(load(deep)).rejects.toThrow('checkpoint metadata "optimizer.steps" is not valid JSON: nesting too deep');

    const path2 = await saved("steps.safetensors");
    withHeader(path2, (h) => (h.__metadata__["optimizer.steps"] = JSON.stringify({ 0: -3, 1: 1 })));
    await expect(load(path2)).rejects.toThrow('"optimizer.steps": entry "0": -3 is not a step count');

    const path3 = await saved("orphan.safetensors");
    withHeader(path3, (h) => {
      h["optimizer.state.9.momentum_buffer"] = h["optimizer.state.0.momentum_buffer"];
      delete h["optimizer.state.0.momentum_buffer"];
    });
    await expect(load(path3)).rejects.toThrow('optimizer tensor "optimizer.state.9.momentum_buffer" names no parameter listed in "optimizer.steps"');
  });

  test('a tensor named "__proto__" stays a key (and is then an unexpected one)', async () => {
    const path = join(dir, "proto.safetensors");
    const stateDict: Record<string, Tensor> = {};
    Object.defineProperty(stateDict, "__proto__", { value: zeros([1]), enumerable: true });
    await save(stateDict, path);
    const loaded = (await load(path)).stateDict;
    expect(Object.keys(loaded)).toEqual(["__proto__"]);
    expect(() => new Linear(1, 1).loadStateDict(loaded)).toThrow('Unexpected key(s) in state_dict: "__proto__".');
  });

  test("a well-formed checkpoint for another model is refused by loadStateDict", async () => {
    const path = await saved("other-model.safetensors");
    const { stateDict } = await load(path);
    expect(() => new Linear(3, 2).loadStateDict(stateDict)).toThrow("size mismatch for weight");
  });
});
