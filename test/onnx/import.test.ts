/**
 * fromOnnx: models exported by toOnnx / exportOnnx read back into gradgraph graphs that compute
 * the original values (the same bits where the rebuilt node is the same op), with their scopes;
 * and hostile models refused with errors that name the node and its operator.
 */
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apply, type Attrs, type BuiltinOpName, builtinOps, manualSeed, type OpDef, placeholder, randn, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";
import { Linear, ReLU, Sequential } from "@gradgraph/nn";
import { exportOnnx, fromOnnx, toOnnx } from "@gradgraph/onnx";
import {
  AttributeProto_AttributeType,
  type GraphProtoSchema,
  ModelProtoSchema,
  type NodeProtoSchema,
  TensorProto_DataType,
} from "../../packages/onnx/src/proto/onnx_pb";
import { cases } from "../core/op-cases";
import { fromFixture } from "../helpers/fixtures";
import { buildRecurrent, loadRecurrentCases, recurrentFiles, runRecurrent } from "../helpers/recurrent-cases";

/** The same values bit for bit (NaNs of either sign counted equal), and the same shape and dtype. */
function expectSameBits(actual: Tensor, expected: Tensor, label: string) {
  expect({ shape: actual.shape, dtype: actual.dtype }, label).toEqual({ shape: expected.shape, dtype: expected.dtype });
  const [a, e] = [Array.from(actual.data()), Array.from(expected.data())];
  a.forEach((v, i) => {
    if (!(Object.is(v, e[i]) || (Number.isNaN(v) && Number.isNaN(e[i])))) throw new Error(`${label}: element ${i} is ${v}, expected ${e[i]}`);
  });
}

const onnxOpTypes = (model: Uint8Array) => fromBinary(ModelProtoSchema, model).graph!.node.map((node) => node.opType);

describe("round trips", () => {
  it("an MLP with a dynamic batch reads back with its parameters, and computes what it did", () => {
    manualSeed(7);
    const mlp = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
    const x = placeholder([5, 4], "float32", "x");
    const y = mlp.forward(x);
    const model = toOnnx(y, { inputs: [x], outputNames: ["y"], dynamicAxes: { x: { 0: "batch" }, y: { 0: "batch" } } });
    const back = fromOnnx(model, { inputs: { x: [2, 4] } });
    expect(Object.keys(back.inputs)).toEqual(["x"]);
    expect(back.inputs.x.shape).toEqual([2, 4]);
    // Another batch size than the export's: the graph has no size fixed in a constant.
    const x2 = placeholder([2, 4], "float32", "x");
    const value = randn([2, 4]);
    x2.assign(value);
    back.inputs.x.assign(value);
    expectSameBits(back.outputs.y, mlp.forward(x2), "y");
    const weight = mlp.stateDict()["0.weight"];
    const readWeight = Object.values(back.initializers).find((t) => t.shape.join() === "16,4")!;
    expectSameBits(readWeight, weight, "the first layer's weight");
  });

  it("exportOnnx names come back: initializers by state-dict key", async () => {
    manualSeed(3);
    const mlp = new Sequential(new Linear(3, 2), new ReLU());
    const model = await exportOnnx(mlp, randn([4, 3]));
    const back = fromOnnx(model);
    expect(Object.keys(back.initializers).sort()).toEqual(expect.arrayContaining(["0.bias", "0.weight"]));
    expectSameBits(back.initializers["0.weight"], mlp.stateDict()["0.weight"], "0.weight");
    const input = randn([4, 3]);
    back.inputs.input.assign(input);
    expectSameBits(Object.values(back.outputs)[0], mlp.forward(input), "output");
  });

  it("the notebook RNN, unrolled, gives gradgraph's bits and PyTorch's values, its nodes in their step scopes", () => {
    const c = loadRecurrentCases("seed.json")[0];
    const module = buildRecurrent(c.mode, c.config, "float32");
    module.loadStateDict(c.params);
    const input = placeholder(c.input.shape, "float32", "input");
    const [output, states] = runRecurrent(module, input, undefined, undefined);
    const model = toOnnx([output, states[0]], { inputs: { input }, outputNames: ["output", "h_n"] });
    const back = fromOnnx(model);
    const value = fromFixture(c.input, "float32");
    input.assign(value);
    back.inputs.input.assign(value);
    expectSameBits(back.outputs.output, output, "output");
    expectSameBits(back.outputs.h_n, states[0], "h_n");
    assertClose(back.outputs.output, fromFixture(c.float32.output, "float32"), { atol: 1e-5, rtol: 1e-5, label: "output vs PyTorch" });
    const tanh = topologicalOrder([back.outputs.output]).filter((node) => node.op === "tanh");
    expect(tanh.map((node) => node.scope)).toEqual(["rnn.l0.t0", "rnn.l0.t1", "rnn.l0.t2"]);
    expect(Object.keys(back.initializers)).toEqual(expect.arrayContaining(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"]));
  });

  const nativeCases = recurrentFiles.flatMap((file) => loadRecurrentCases(file));
  it.each(nativeCases.map((c) => [c.id, c] as const))("%s, exported as ONNX's native operator, reads back unrolled with PyTorch's values", async (_id, c) => {
    const module = buildRecurrent(c.mode, c.config, "float32");
    module.loadStateDict(c.params);
    const input = fromFixture(c.input, "float32");
    const states = [c.h0, c.c0].flatMap((s) => (s === null || s === undefined ? [] : [fromFixture(s, "float32")]));
    const sample = states.length === 0 ? input : [input, states.length === 1 ? states[0] : states];
    const model = await exportOnnx(module, sample as never);
    expect(onnxOpTypes(model)).toContain(c.mode);
    const back = fromOnnx(model);
    [input, ...states].forEach((value, i) => back.inputs[["input", "h0", "c0"][i]].assign(value));
    const [output, finals] = runRecurrent(module, input, states[0], states[1]);
    (["output", "h_n", "c_n"] as const).slice(0, 1 + finals.length).forEach((name, i) => {
      const got = back.outputs[name];
      assertClose(got, fromFixture(c.float32[name]!, "float32"), { atol: 1e-5, rtol: 1e-5, label: `${c.id} ${name} vs PyTorch` });
      assertClose(got, i === 0 ? output : finals[i - 1], { atol: 1e-6, rtol: 1e-6, label: `${c.id} ${name} vs gradgraph` });
    });
  });

  it("a native node's steps are scoped under its layer's scope", async () => {
    const c = loadRecurrentCases("seed.json")[0];
    const module = buildRecurrent(c.mode, c.config, "float32");
    const back = fromOnnx(await exportOnnx(module, fromFixture(c.input, "float32")));
    const tanh = topologicalOrder([back.outputs.output]).filter((node) => node.op === "tanh");
    expect(tanh.map((node) => node.scope)).toEqual(["rnn.l0.t0", "rnn.l0.t1", "rnn.l0.t2"]);
  });
});

/**
 * Samples whose export means another answer, as in test/onnx/ops.test.ts: with several NaNs in one
 * window the export's indices point at the first (ONNX's MaxPool), PyTorch's at the last.
 */
const exportDiffers: Partial<Record<BuiltinOpName, (inputs: readonly Tensor[]) => boolean>> = {
  maxPoolIndices: ([x]) => Array.from(x.data()).filter(Number.isNaN).length > 1,
};
const mapped = (Object.keys(builtinOps) as BuiltinOpName[]).filter((name) => builtinOps[name].onnx !== undefined).sort();

describe.each(mapped)("op %s exported and read back", (name) => {
  const def = builtinOps[name] as OpDef<Attrs>;
  it("computes the original values: the same bits when it is the same op again, else within 1e-6", () => {
    fc.assert(
      fc.property(cases[name].sample, ({ inputs, attrs }) => {
        fc.pre(!(exportDiffers[name]?.(inputs) ?? false));
        const slots = inputs.map((x, i) => placeholder(x.shape, x.dtype, `in${i}`));
        const original = apply(def, slots, attrs);
        const model = toOnnx(original, { inputs: slots, outputNames: ["out"] });
        const back = fromOnnx(model);
        slots.forEach((slot, i) => {
          slot.assign(inputs[i]);
          back.inputs[`in${i}`].assign(inputs[i]);
        });
        const out = back.outputs.out;
        const label = `${name} ${JSON.stringify(attrs)} on ${inputs.map((x) => `${x.dtype}[${x.shape.join(", ")}]`).join(", ")}`;
        if (out.op === name) expectSameBits(out, original, label);
        else assertClose(out, original, { atol: 1e-6, rtol: 1e-6, equalNaN: true, label });
      }),
      { numRuns: 15 },
    );
  });
});

it("the ops whose export is one ONNX node read back as themselves", () => {
  const x = placeholder([2, 3], "float32", "x");
  const built: Record<string, Tensor> = {
    matmul: x.matmul(placeholder([3, 2], "float32", "w")),
    tanh: x.tanh(),
    sum: x.sum(1),
    reshape: x.reshape(3, 2),
    slice: x.slice(1, 0, 2),
    permute: x.permute(1, 0),
  };
  for (const [name, t] of Object.entries(built)) {
    const inputs = topologicalOrder([t]).filter((node) => node.op === "placeholder");
    expect(fromOnnx(toOnnx(t, { inputs, outputNames: ["out"] })).outputs.out.op, name).toBe(name);
  }
});

/** A model by hand: one float32 input `x` of shape [2], these nodes and initializers, output `y`. */
type NodeInit = MessageInitShape<typeof NodeProtoSchema>;
function handModel(nodes: NodeInit[], extra: Partial<MessageInitShape<typeof GraphProtoSchema>> = {}, opset = 17n): Uint8Array {
  const floatInfo = (name: string, dims: readonly number[]) => ({
    name,
    type: {
      value: {
        case: "tensorType" as const,
        value: {
          elemType: TensorProto_DataType.FLOAT,
          shape: { dim: dims.map((d) => ({ value: { case: "dimValue" as const, value: BigInt(d) } })) },
        },
      },
    },
  });
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, {
      irVersion: 8n,
      opsetImport: [{ domain: "", version: opset }],
      graph: { name: "hand", node: nodes, input: [floatInfo("x", [2])], output: [floatInfo("y", [2])], ...extra } as MessageInitShape<typeof GraphProtoSchema>,
    }),
  );
}
const node = (name: string, opType: string, input: string[], output: string[], attribute: NodeInit["attribute"] = []): NodeInit => ({ name, opType, input, output, attribute });

describe("hostile models", () => {
  it("bytes that are no ModelProto", () => {
    expect(() => fromOnnx(Uint8Array.from([0x0a, 0xff, 0xff]))).toThrow(/^fromOnnx: the bytes are not an ONNX ModelProto \(/);
    expect(() => fromOnnx("model.onnx" as never)).toThrow("fromOnnx: the model must be a Uint8Array of ModelProto bytes, got string");
  });

  it("an opset fromOnnx does not read", () => {
    expect(() => fromOnnx(handModel([node("n0", "Tanh", ["x"], ["y"])], {}, 11n))).toThrow(
      "fromOnnx: the model imports opset 11 of the default domain; fromOnnx reads opsets 13 to 18 (toOnnx writes 17)",
    );
  });

  it("an unknown operator, and one of another domain", () => {
    expect(() => fromOnnx(handModel([node("n0", "FooBar", ["x"], ["y"])]))).toThrow("fromOnnx: node 'n0' (FooBar): unknown operator (fromOnnx reads the operators toOnnx writes)");
    expect(() => fromOnnx(handModel([{ ...node("n0", "Tanh", ["x"], ["y"]), domain: "com.microsoft" }]))).toThrow(
      "fromOnnx: node 'n0' (Tanh): operator domain 'com.microsoft' is not ONNX's default domain",
    );
  });

  it("a missing input, a missing output, and an output defined twice", () => {
    expect(() => fromOnnx(handModel([node("n0", "Add", ["x", "nope"], ["y"])]))).toThrow("fromOnnx: node 'n0' (Add) reads 'nope', which no input, initializer or node defines");
    expect(() => fromOnnx(handModel([node("n0", "Add", ["x"], ["y"])]))).toThrow("fromOnnx: node 'n0' (Add): input 1 is missing");
    expect(() => fromOnnx(handModel([node("n0", "Tanh", ["x"], ["z"])]))).toThrow("fromOnnx: graph output 'y' reads 'y', which no input, initializer or node defines");
    expect(() => fromOnnx(handModel([node("n0", "Tanh", ["x"], ["y"]), node("n1", "Exp", ["x"], ["y"])]))).toThrow("fromOnnx: node 'n1' (Exp): output 'y' is defined twice");
  });

  it("nodes out of topological order, and a cycle", () => {
    expect(() => fromOnnx(handModel([node("late", "Exp", ["t"], ["y"]), node("early", "Tanh", ["x"], ["t"])]))).toThrow(
      "fromOnnx: node 'late' (Exp) reads 't', which node 'early' (Tanh) computes after it: the nodes must be in topological order, and the graph must have no cycle",
    );
    expect(() => fromOnnx(handModel([node("a", "Add", ["x", "b_out"], ["a_out"]), node("b", "Tanh", ["a_out"], ["b_out"]), node("c", "Identity", ["b_out"], ["y"])]))).toThrow(
      "fromOnnx: node 'a' (Add) reads 'b_out', which node 'b' (Tanh) computes after it",
    );
  });

  it("attributes of the wrong type or a value gradgraph has no op for", () => {
    const T = AttributeProto_AttributeType;
    expect(() => fromOnnx(handModel([node("n0", "LeakyRelu", ["x"], ["y"], [{ name: "alpha", type: T.INT, i: 2n }])]))).toThrow(
      "fromOnnx: node 'n0' (LeakyRelu): attribute 'alpha' must be FLOAT, got INT",
    );
    expect(() => fromOnnx(handModel([node("n0", "HardSigmoid", ["x"], ["y"], [{ name: "alpha", type: T.FLOAT, f: 0.3 }])]))).toThrow(
      "fromOnnx: node 'n0' (HardSigmoid): attribute 'alpha' is 0.3; gradgraph reads HardSigmoid with 0.16666666666666666 only",
    );
    expect(() => fromOnnx(handModel([node("n0", "Cast", ["x"], ["y"], [{ name: "to", type: T.INT, i: BigInt(TensorProto_DataType.STRING) }])]))).toThrow(
      "fromOnnx: node 'n0' (Cast): attribute 'to' is STRING; gradgraph casts to FLOAT, DOUBLE, INT32, INT64 (as int32) and BOOL",
    );
    expect(() => fromOnnx(handModel([node("n0", "Concat", ["x", "x"], ["y"])]))).toThrow("fromOnnx: node 'n0' (Concat): attribute 'axis' is missing");
    expect(() => fromOnnx(handModel([node("n0", "Concat", ["x", "x"], ["y"], [{ name: "axis", type: T.INT, i: 3n }])]))).toThrow(
      "fromOnnx: node 'n0' (Concat): axis 3 is out of range for a tensor of rank 1",
    );
  });

  it("initializers whose data does not fill their dims, and a shape known only at run time", () => {
    const short = { name: "w", dims: [2n], dataType: TensorProto_DataType.FLOAT, rawData: new Uint8Array(4) };
    expect(() => fromOnnx(handModel([node("n0", "Add", ["x", "w"], ["y"])], { initializer: [short] }))).toThrow(
      "fromOnnx: initializer 'w' of shape [2] needs 8 bytes of raw_data, got 4",
    );
    const fewFloats = { name: "w", dims: [3n], dataType: TensorProto_DataType.FLOAT, floatData: [1, 2] };
    expect(() => fromOnnx(handModel([node("n0", "Add", ["x", "w"], ["y"])], { initializer: [fewFloats] }))).toThrow("fromOnnx: initializer 'w' of shape [3] needs 3 values, got 2");
    const strings = { name: "w", dims: [1n], dataType: TensorProto_DataType.STRING };
    expect(() => fromOnnx(handModel([node("n0", "Add", ["x", "w"], ["y"])], { initializer: [strings] }))).toThrow(
      "fromOnnx: initializer 'w' is STRING; gradgraph reads FLOAT, DOUBLE, INT32, INT64 and BOOL",
    );
    expect(() => fromOnnx(handModel([node("n0", "Reshape", ["x", "x"], ["y"])]))).toThrow(
      "fromOnnx: node 'n0' (Reshape): input 1 (shape) 'x' must be known as the graph is built (an initializer, a Constant node, or integer arithmetic on those and on shapes, which fromOnnx folds): gradgraph fixes it in the op; this one depends on values fed at run time",
    );
  });

  it("recurrent nodes: options gradgraph does not read, and inputs of the wrong shape", () => {
    const T = AttributeProto_AttributeType;
    const hidden = { name: "hidden_size", type: T.INT, i: 1n };
    const weights = ["W", "R"].map((name) => ({ name, dims: [1n, 3n, 1n], dataType: TensorProto_DataType.FLOAT, floatData: [1, 2, 3] }));
    const gru = [hidden, { name: "linear_before_reset", type: T.INT, i: 1n }];
    expect(() => fromOnnx(handModel([node("g", "GRU", ["x", "W", "R"], ["y"], gru)], { initializer: weights }))).toThrow(
      "fromOnnx: node 'g' (GRU): X must be (seq, batch, input), got shape [2]",
    );
    const reshaped = handModel([node("r", "Reshape", ["x", "s"], ["x3"]), node("g", "GRU", ["x3", "W", "R"], ["y"], [{ ...hidden, i: 2n }, gru[1]])], {
      initializer: [...weights, { name: "s", dims: [3n], dataType: TensorProto_DataType.INT64, int64Data: [2n, 1n, 1n] }],
    });
    expect(() => fromOnnx(reshaped)).toThrow("fromOnnx: node 'g' (GRU): W must have shape [1, 6, 1], got [1, 3, 1]");
    const refused: [NodeInit["attribute"], string][] = [
      [[{ name: "input_forget", type: T.INT, i: 1n }], "attribute 'input_forget' 1 (coupled input and forget gates) is not read yet"],
      [[{ name: "activation_alpha", type: T.FLOATS, floats: [1] }], "attribute 'activation_alpha' is not read yet (the default activations take none)"],
      [[{ name: "layout", type: T.INT, i: 2n }], "attribute 'layout' is 2, not 0 (seq first) or 1 (batch first)"],
      [[{ name: "clip", type: T.FLOAT, f: -1 }], "attribute 'clip' is -1; a positive threshold expected"],
    ];
    for (const [attribute, message] of refused) {
      expect(() => fromOnnx(handModel([node("l", "LSTM", ["x", "W", "R"], ["y"], [hidden, ...attribute!])], { initializer: weights }))).toThrow(`fromOnnx: node 'l' (LSTM): ${message}`);
    }
  });

  it("pooling with padding gradgraph has no form for", () => {
    const T = AttributeProto_AttributeType;
    const pool = [{ name: "kernel_shape", type: T.INTS, ints: [2n] }, { name: "pads", type: T.INTS, ints: [1n, 0n] }];
    const reshaped = (opType: string) =>
      handModel([node("r", "Reshape", ["x", "s"], ["x3"]), node("p", opType, ["x3"], ["y"], pool)], {
        initializer: [{ name: "s", dims: [3n], dataType: TensorProto_DataType.INT64, int64Data: [1n, 1n, 2n] }],
      });
    expect(() => fromOnnx(reshaped("MaxPool"))).toThrow("fromOnnx: node 'p' (MaxPool): pads [1, 0] are not symmetric, as gradgraph's max pooling pads");
    expect(() => fromOnnx(reshaped("AveragePool"))).toThrow("fromOnnx: node 'p' (AveragePool): pads [1, 0] are not symmetric, as gradgraph's average pooling pads");
  });

  it("a shape error of the rebuilt op names the node, with gradgraph's message", () => {
    const w = { name: "w", dims: [3n, 3n], dataType: TensorProto_DataType.FLOAT, floatData: Array(9).fill(1) };
    expect(() => fromOnnx(handModel([node("mm", "MatMul", ["x", "w"], ["y"])], { initializer: [w] }))).toThrow("fromOnnx: node 'mm' (MatMul): matmul: shapes cannot be multiplied (2 and 3x3)");
  });

  it("a symbolic dim needs its size, and options.inputs must name inputs", () => {
    const x = placeholder([5, 4], "float32", "x");
    const model = toOnnx(x.tanh(), { inputs: [x], outputNames: ["y"], dynamicAxes: { x: { 0: "batch" }, y: { 0: "batch" } } });
    expect(() => fromOnnx(model)).toThrow("fromOnnx: input 'x' has a symbolic dim 0 (batch): give its shape in options.inputs");
    expect(() => fromOnnx(model, { inputs: { x: [5, 3] } })).toThrow("fromOnnx: input 'x' has size 4 at dim 1 in the model, options.inputs gives 3");
    expect(() => fromOnnx(model, { inputs: { x: [2 ** 30, 4] } })).toThrow(/^fromOnnx: input 'x' of shape \[1073741824, 4\]: /);
    expect(() => fromOnnx(model, { inputs: { x: [5, 4], z: [1] } })).toThrow("fromOnnx: options.inputs names 'z', which is not an input of the model (x)");
  });

  it("corrupted bytes of a real model read back or fail as fromOnnx's own error, never an internal TypeError", () => {
    const x = placeholder([3, 4], "float32", "x");
    const w = tensor(Array.from({ length: 8 }, (_, i) => i / 8), { shape: [4, 2] });
    const model = toOnnx(x.matmul(w).tanh().sum(1).reshape(3, 1).expand(3, 2).slice(1, 0, 1), { inputs: [x], outputNames: ["y"] });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(model.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = model.slice();
        for (const [at, value] of edits) bytes[at] = value;
        try {
          fromOnnx(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).constructor.name).not.toMatch(/^(TypeError|RangeError|ReferenceError)$/);
          expect((error as Error).message).toMatch(/^fromOnnx: /);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("the values read back are those of the model (a hand-made one, checked by hand)", () => {
    const w = { name: "w", dims: [2n], dataType: TensorProto_DataType.FLOAT, floatData: [10, -1] };
    const back = fromOnnx(handModel([node("n0", "Mul", ["x", "w"], ["t"]), node("n1", "Relu", ["t"], ["y"])], { initializer: [w] }));
    back.inputs.x.assign(tensor([2, 3]));
    expect(Array.from(back.outputs.y.data())).toEqual([20, 0]);
  });
});
