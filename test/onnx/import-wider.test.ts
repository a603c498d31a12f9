/**
 * fromOnnx on models other tools write (torch.onnx.export's forms): RNN / LSTM / GRU with layout 1,
 * sequence lengths, initial states, clip and peepholes; Constant nodes and shape arithmetic folded
 * as the graph is built; opset 18's inputs that were attributes. Every model is also run in ONNX
 * Runtime, the independent truth, and gradgraph's values must agree within 1e-5 (float32).
 */
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { manualSeed, randn, type Tensor, tensor, topologicalOrder } from "@gradgraph/core";
import { fromOnnx } from "@gradgraph/onnx";
import {
  AttributeProto_AttributeType as A,
  ModelProtoSchema,
  type NodeProtoSchema,
  type TensorProtoSchema,
  TensorProto_DataType as D,
} from "../../packages/onnx/src/proto/onnx_pb";
import { expectAgrees, ortTensor } from "./runtime";

type NodeInit = MessageInitShape<typeof NodeProtoSchema>;
type TensorInit = MessageInitShape<typeof TensorProtoSchema>;
type AttributeInit = NonNullable<NodeInit["attribute"]>[number];

interface ValueSpec {
  readonly name: string;
  readonly type?: D;
  /** Absent: no shape in the model (outputs, which ONNX Runtime infers). */
  readonly dims?: readonly number[];
}

interface ModelSpec {
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeInit[];
  readonly initializers?: readonly TensorInit[];
  readonly opset?: number;
}

const valueInfo = ({ name, type = D.FLOAT, dims }: ValueSpec) => ({
  name,
  type: {
    value: {
      case: "tensorType" as const,
      value: { elemType: type, ...(dims === undefined ? {} : { shape: { dim: dims.map((d) => ({ value: { case: "dimValue" as const, value: BigInt(d) } })) } }) },
    },
  },
});

function model({ inputs, outputs, nodes, initializers = [], opset = 17 }: ModelSpec): Uint8Array {
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: "a test's hand",
      opsetImport: [{ domain: "", version: BigInt(opset) }],
      graph: { name: "wider", node: [...nodes], input: inputs.map(valueInfo), output: outputs.map(valueInfo), initializer: [...initializers] },
    }),
  );
}

let nodeCount = 0;
const node = (opType: string, input: readonly string[], output: readonly string[], attribute: readonly AttributeInit[] = []): NodeInit => ({
  name: `${opType.toLowerCase()}${nodeCount++}`,
  opType,
  input: [...input],
  output: [...output],
  attribute: [...attribute],
});
const int = (name: string, i: number): AttributeInit => ({ name, type: A.INT, i: BigInt(i) });
const ints = (name: string, values: readonly number[]): AttributeInit => ({ name, type: A.INTS, ints: values.map(BigInt) });
const float = (name: string, f: number): AttributeInit => ({ name, type: A.FLOAT, f });
const floats = (name: string, values: readonly number[]): AttributeInit => ({ name, type: A.FLOATS, floats: [...values] });
const string = (name: string, s: string): AttributeInit => ({ name, type: A.STRING, s: new TextEncoder().encode(s) });
const tensorAttribute = (name: string, t: TensorInit): AttributeInit => ({ name, type: A.TENSOR, t });

/** An initializer (or a Constant's tensor) holding a gradgraph value; int32 values as ONNX's int64 unless asked. */
function initializer(name: string, t: Tensor, type: D = t.dtype === "int32" ? D.INT64 : D.FLOAT): TensorInit {
  const values = Array.from(t.data(), Number);
  const data = type === D.INT64 ? { int64Data: values.map(BigInt) } : type === D.INT32 ? { int32Data: values } : { floatData: values };
  return { name, dims: t.shape.map(BigInt), dataType: type, ...data };
}
const int64s = (name: string, values: readonly number[]): TensorInit => ({ name, dims: [BigInt(values.length)], dataType: D.INT64, int64Data: values.map(BigInt) });

/**
 * The model read by fromOnnx and run by ONNX Runtime on the same feeds (or the runtime runs
 * `reference`, a model of the same meaning that it can load): every graph output agrees within
 * 1e-5. Returns fromOnnx's result for further checks.
 */
async function agreesWithRuntime(bytes: Uint8Array, feeds: Readonly<Record<string, Tensor>>, label: string, reference = bytes) {
  const back = fromOnnx(bytes);
  for (const [name, value] of Object.entries(feeds)) back.inputs[name].assign(value);
  const session = await ort.InferenceSession.create(reference, { graphOptimizationLevel: "disabled" });
  let expected: Record<string, ort.Tensor>;
  try {
    expected = await session.run(Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, ortTensor(t)])));
  } finally {
    await session.release();
  }
  expect(Object.keys(back.outputs).sort(), label).toEqual(Object.keys(expected).sort());
  for (const name of Object.keys(expected)) expectAgrees(expected[name], back.outputs[name], `${label}: ${name}`);
  return back;
}

describe("RNN, LSTM and GRU as other tools write them, against ONNX Runtime", () => {
  const [steps, batch, inputSize, hidden] = [4, 3, 2, 3];
  const variants = [
    { variant: "RNN", operator: "RNN", gates: 1, attrs: [] },
    { variant: "LSTM", operator: "LSTM", gates: 4, attrs: [] },
    { variant: "GRU linear_before_reset 1", operator: "GRU", gates: 3, attrs: [int("linear_before_reset", 1)] },
    { variant: "GRU linear_before_reset 0", operator: "GRU", gates: 3, attrs: [int("linear_before_reset", 0)] },
  ] as const;
  const cases = variants.flatMap((variant) =>
    [0, 1].flatMap((layout) =>
      ["forward", "reverse", "bidirectional"].flatMap((direction) =>
        [false, true].flatMap((lengths) =>
          [false, true].flatMap((initial) =>
            [undefined, 0.7].map((clip) => ({ ...variant, layout, direction, lengths, initial, clip, peepholes: variant.operator === "LSTM" && initial })),
          ),
        ),
      ),
    ),
  );
  const label = (c: (typeof cases)[number]) =>
    `${c.variant} layout ${c.layout} ${c.direction}${c.lengths ? " sequence_lens" : ""}${c.initial ? " initial states" : ""}${c.clip === undefined ? "" : ` clip ${c.clip}`}${c.peepholes ? " peepholes" : ""}`;

  it.each(cases.map((c) => [label(c), c] as const))("%s", async (name, c) => {
    manualSeed(cases.indexOf(c) + 1);
    const directions = c.direction === "bidirectional" ? 2 : 1;
    const g = c.gates * hidden;
    // Weights of about unit scale, so a clip of 0.7 bounds many pre-activations.
    const W = randn([directions, g, inputSize]).mul(0.8);
    const R = randn([directions, g, hidden]).mul(0.8);
    const B = randn([directions, 2 * g]).mul(0.5);
    const P = randn([directions, 3 * hidden]).mul(0.5);
    const xShape = c.layout === 0 ? [steps, batch, inputSize] : [batch, steps, inputSize];
    const stateShape = c.layout === 0 ? [directions, batch, hidden] : [batch, directions, hidden];
    const feeds: Record<string, Tensor> = { X: randn(xShape) };
    // One sequence of every step, one of a single step, one between.
    if (c.lengths) feeds.L = tensor([steps, 1, 2], { dtype: "int32" });
    if (c.initial) feeds.H0 = randn(stateShape);
    if (c.initial && c.operator === "LSTM") feeds.C0 = randn(stateShape);
    const outputs = c.operator === "LSTM" ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"];
    /** The node in a layout, its inputs and outputs under these names. */
    const recurrentNode = (layout: number, name: (value: string) => string) => {
      const inputs = ["X", "W", "R", "B", c.lengths ? "L" : "", c.initial ? "H0" : ""];
      if (c.operator === "LSTM") inputs.push(c.initial ? "C0" : "", c.peepholes ? "P" : "");
      while (inputs.at(-1) === "") inputs.pop();
      const attributes = [int("hidden_size", hidden), string("direction", c.direction), int("layout", layout), ...c.attrs, ...(c.clip === undefined ? [] : [float("clip", c.clip)])];
      return node(c.operator, inputs.map((input) => (["X", "H0", "C0"].includes(input) ? name(input) : input)), outputs.map(name), attributes);
    };
    const graphOf = (nodes: NodeInit[]) =>
      model({
        inputs: Object.entries(feeds).map(([n, t]) => ({ name: n, type: n === "L" ? D.INT32 : D.FLOAT, dims: t.shape })),
        outputs: outputs.map((n) => ({ name: n })),
        nodes,
        initializers: [initializer("W", W), initializer("R", R), initializer("B", B), ...(c.peepholes ? [initializer("P", P)] : [])],
      });
    const bytes = graphOf([recurrentNode(c.layout, (value) => value)]);
    // ONNX Runtime's CPU kernels refuse layout 1, which ONNX defines as layout 0 with the batch and
    // sequence dims swapped: the runtime runs that, the swaps as Transpose nodes.
    const swap = (from: string, to: string, perm: number[]) => node("Transpose", [from], [to], [ints("perm", perm)]);
    const reference =
      c.layout === 0
        ? bytes
        : graphOf([
            ...Object.keys(feeds).filter((n) => n !== "L").map((n) => swap(n, `${n}_seq_first`, [1, 0, 2])),
            recurrentNode(0, (value) => `${value}_seq_first`),
            ...outputs.map((n) => swap(`${n}_seq_first`, n, n === "Y" ? [2, 0, 1, 3] : [1, 0, 2])),
          ]);
    const back = await agreesWithRuntime(bytes, feeds, name, reference);
    const Y = back.outputs.Y;
    expect(Y.shape).toEqual(c.layout === 0 ? [steps, directions, batch, hidden] : [batch, steps, directions, hidden]);
    if (c.lengths) {
      // Past its length a sequence's outputs are zeros: checked here directly, not only through the runtime.
      const values = Y.data();
      const [lengthOf, stepOf, batchOf] = [[steps, 1, 2], (i: number) => (c.layout === 0 ? Math.floor(i / (directions * batch * hidden)) : Math.floor(i / (directions * hidden)) % steps), (i: number) => (c.layout === 0 ? Math.floor(i / hidden) % batch : Math.floor(i / (steps * directions * hidden)))];
      values.forEach((v, i) => {
        if (stepOf(i) >= lengthOf[batchOf(i)]) expect(v, `${name}: Y element ${i}`).toBe(0);
      });
    }
  });

  it.each(variants.slice(0, 3).map((v) => [v.operator, v] as const))("%s: a sequence of length 0 outputs zeros and has zero final states, as ONNX Runtime gives", async (operator, v) => {
    manualSeed(99);
    const lstm = operator === "LSTM";
    const feeds: Record<string, Tensor> = { X: randn([steps, 2, inputSize]), L: tensor([0, 3], { dtype: "int32" }), H0: randn([1, 2, hidden]), ...(lstm ? { C0: randn([1, 2, hidden]) } : {}) };
    const outputs = lstm ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"];
    const bytes = model({
      inputs: Object.entries(feeds).map(([n, t]) => ({ name: n, type: n === "L" ? D.INT32 : D.FLOAT, dims: t.shape })),
      outputs: outputs.map((n) => ({ name: n })),
      nodes: [node(operator, ["X", "W", "R", "", "L", "H0", ...(lstm ? ["C0"] : [])], outputs, [int("hidden_size", hidden), ...v.attrs])],
      initializers: [initializer("W", randn([1, v.gates * hidden, inputSize])), initializer("R", randn([1, v.gates * hidden, hidden]))],
    });
    const back = await agreesWithRuntime(bytes, feeds, `${operator} with a length 0`);
    expect(Array.from(back.outputs.Y_h.data()).slice(0, hidden)).toEqual([0, 0, 0]);
  });

  it("options it does not read, and lengths it knows to be wrong, are named errors", () => {
    const weights = [initializer("W", randn([1, 4 * hidden, inputSize])), initializer("R", randn([1, 4 * hidden, hidden]))];
    const lstm = (attribute: AttributeInit[], extra: TensorInit[] = [], inputs = ["X", "W", "R"]) =>
      model({ inputs: [{ name: "X", dims: [steps, batch, inputSize] }], outputs: [{ name: "Y" }], nodes: [{ ...node("LSTM", inputs, ["Y"], [int("hidden_size", hidden), ...attribute]), name: "l" }], initializers: [...weights, ...extra] });
    expect(() => fromOnnx(lstm([], [initializer("L", tensor([1, 5, 2], { dtype: "int32" }), D.INT32)], ["X", "W", "R", "", "L"]))).toThrow(
      "fromOnnx: node 'l' (LSTM): input 4 (sequence_lens) holds 5; lengths from 0 to the 4 steps expected",
    );
    expect(() => fromOnnx(lstm([], [initializer("L", tensor([1, 2, 3]))], ["X", "W", "R", "", "L"]))).toThrow("fromOnnx: node 'l' (LSTM): sequence_lens must hold integers (INT32), got float32");
    expect(() => fromOnnx(lstm([], [initializer("P", randn([1, 2 * hidden]))], ["X", "W", "R", "", "", "", "", "P"]))).toThrow("fromOnnx: node 'l' (LSTM): P must have shape [1, 9], got [1, 6]");
    expect(() => fromOnnx(lstm([int("layout", 1)], [initializer("H", randn([1, batch, hidden]))], ["X", "W", "R", "", "", "H"]))).toThrow(
      "fromOnnx: node 'l' (LSTM): initial_h must have shape [4, 1, 3], got [1, 3, 3]",
    );
    expect(() => fromOnnx(lstm([string("activations", "Relu")]))).toThrow("fromOnnx: node 'l' (LSTM): attribute 'activations' must be STRINGS, got STRING");
  });
});

describe("Constant nodes", () => {
  it("every value attribute, read as ONNX Runtime reads it", async () => {
    const bytes = model({
      inputs: [{ name: "x", dims: [2, 3] }],
      outputs: [{ name: "y" }],
      nodes: [
        node("Constant", [], ["scale"], [tensorAttribute("value", initializer("", tensor([[1, -2, 0.5]])))]),
        node("Constant", [], ["shift"], [floats("value_floats", [0.25, -0.75, 3])]),
        node("Constant", [], ["half"], [float("value_float", 0.5)]),
        node("Constant", [], ["shape"], [ints("value_ints", [3, 2])]),
        node("Constant", [], ["k"], [int("value_int", 1)]),
        node("Mul", ["x", "scale"], ["t0"]),
        node("Add", ["t0", "shift"], ["t1"]),
        node("Mul", ["t1", "half"], ["t2"]),
        node("Reshape", ["t2", "shape"], ["t3"]),
        node("Trilu", ["t3", "k"], ["y"]),
      ],
    });
    manualSeed(5);
    const back = await agreesWithRuntime(bytes, { x: randn([2, 3]) }, "constants");
    // Constant nodes are no initializers: those are the model's parameters.
    expect(back.initializers).toEqual({});
  });

  it("malformed Constant nodes are named errors", () => {
    const one = (attribute: AttributeInit[], output = ["y"]) =>
      model({ inputs: [{ name: "x", dims: [2] }], outputs: [{ name: "y" }], nodes: [{ ...node("Constant", [], output, attribute), name: "c" }] });
    expect(() => fromOnnx(one([]))).toThrow("fromOnnx: node 'c' (Constant): one value attribute expected, got 0 ([])");
    expect(() => fromOnnx(one([float("value_float", 1), int("value_int", 1)]))).toThrow("fromOnnx: node 'c' (Constant): one value attribute expected, got 2 ([value_float, value_int])");
    expect(() => fromOnnx(one([string("value_string", "a")]))).toThrow("fromOnnx: node 'c' (Constant): attribute 'value_string' is not read");
    expect(() => fromOnnx(one([{ name: "value", type: A.TENSOR }]))).toThrow("fromOnnx: node 'c' (Constant): attribute 'value' holds no tensor");
    expect(() => fromOnnx(one([int("value_floats", 1)]))).toThrow("fromOnnx: node 'c' (Constant): attribute 'value_floats' must be FLOATS, got INT");
    expect(() => fromOnnx(one([float("value_float", 1)], ["x"]))).toThrow("fromOnnx: node 'c' (Constant): output 'x' is defined twice");
    expect(() => fromOnnx(one([tensorAttribute("value", { dims: [2n], dataType: D.FLOAT, floatData: [1] })]))).toThrow(
      "fromOnnx: node 'c' (Constant)'s value of shape [2] needs 2 values, got 1",
    );
  });
});

describe("shape arithmetic, folded as the graph is built", () => {
  it("torch's flatten: Shape → Gather → Unsqueeze → Concat → Reshape leaves only the reshape", async () => {
    const bytes = model({
      inputs: [{ name: "x", dims: [2, 3, 4] }],
      outputs: [{ name: "y" }],
      nodes: [
        node("Shape", ["x"], ["shape"]),
        node("Constant", [], ["zero"], [tensorAttribute("value", int64s("", [0]))]),
        node("Constant", [], ["zero_scalar"], [int("value_int", 0)]),
        node("Gather", ["shape", "zero_scalar"], ["batch"], [int("axis", 0)]),
        node("Unsqueeze", ["batch", "zero"], ["batch_1d"]),
        node("Constant", [], ["rest"], [ints("value_ints", [-1])]),
        node("Concat", ["batch_1d", "rest"], ["target"], [int("axis", 0)]),
        node("Reshape", ["x", "target"], ["y"]),
      ],
    });
    manualSeed(1);
    const back = await agreesWithRuntime(bytes, { x: randn([2, 3, 4]) }, "flatten");
    expect(back.outputs.y.shape).toEqual([2, 12]);
    expect(topologicalOrder([back.outputs.y]).map((t) => t.op)).toEqual(["placeholder", "reshape"]);
  });

  it("Size, Shape's start and end, a negative Gather index, integer Div, Range, ConstantOfShape, Equal and Where (torch's expand)", async () => {
    const bytes = model({
      inputs: [{ name: "x", dims: [6, 1, 5] }],
      outputs: [{ name: "y" }, { name: "steps" }, { name: "ones" }],
      initializers: [int64s("minus_one", [-1]), int64s("two", [2]), int64s("axes0", [0])],
      nodes: [
        node("Shape", ["x"], ["tail"], [int("start", -2)]), // [1, 5]
        node("Shape", ["x"], ["head"], [int("end", 1)]), // [6]
        node("Constant", [], ["last"], [int("value_int", -1)]),
        node("Gather", ["tail", "last"], ["five"]),
        node("Div", ["head", "two"], ["three"]), // 6 / 2
        node("Unsqueeze", ["five", "axes0"], ["five_1d"]),
        node("Concat", ["three", "two", "five_1d"], ["wanted"], [int("axis", 0)]), // [3, 2, 5]
        // torch's expand(-1, ...): -1 where the size stays, replaced through Equal and Where.
        node("Concat", ["minus_one", "two", "five_1d"], ["requested"], [int("axis", 0)]),
        node("Equal", ["requested", "minus_one"], ["keep"]),
        node("Shape", ["requested"], ["rank"]),
        node("ConstantOfShape", ["rank"], ["all_ones"], [tensorAttribute("value", int64s("", [1]))]),
        node("Where", ["keep", "all_ones", "requested"], ["expand_shape"]), // [1, 2, 5]
        node("Expand", ["x", "expand_shape"], ["expanded"]), // [6, 2, 5]
        node("Size", ["x"], ["size"]), // 30
        node("Div", ["size", "five"], ["six"]),
        node("Constant", [], ["zero"], [int("value_int", 0)]),
        node("Constant", [], ["step"], [int("value_int", 2)]),
        node("Range", ["zero", "six", "step"], ["range"]), // [0, 2, 4]
        node("Cast", ["range"], ["steps"], [int("to", D.FLOAT)]),
        node("Slice", ["expanded", "axes0", "three", "axes0"], ["sliced"]), // [3, 2, 5]
        node("Reshape", ["sliced", "wanted"], ["y"]),
        node("ConstantOfShape", ["wanted"], ["ones"], [tensorAttribute("value", { dims: [1n], dataType: D.FLOAT, floatData: [1] })]),
      ],
    });
    manualSeed(2);
    const back = await agreesWithRuntime(bytes, { x: randn([6, 1, 5]) }, "shape arithmetic");
    expect(back.outputs.y.shape).toEqual([3, 2, 5]);
    expect(Array.from(back.outputs.steps.data())).toEqual([0, 2, 4]);
  });

  it("Div of integers rounds toward zero, as ONNX's (C's) division", async () => {
    const a = tensor([-7, 7, -8, 1, -1, 9, -9], { dtype: "int32" });
    const b = tensor([2, -2, 2, 3, 3, -4, -4], { dtype: "int32" });
    const bytes = model({ inputs: [{ name: "a", type: D.INT32, dims: [7] }, { name: "b", type: D.INT32, dims: [7] }], outputs: [{ name: "q", type: D.INT32 }], nodes: [node("Div", ["a", "b"], ["q"])] });
    const back = await agreesWithRuntime(bytes, { a, b }, "integer Div");
    expect(Array.from(back.outputs.q.data())).toEqual([-3, -3, -4, 0, 0, -2, 2]);
  });

  it("a shape that depends on values fed at run time is a named error", () => {
    const bytes = model({
      inputs: [{ name: "x", dims: [2, 3] }, { name: "n", type: D.INT64, dims: [1] }],
      outputs: [{ name: "y" }],
      initializers: [int64s("rest", [-1])],
      nodes: [node("Concat", ["n", "rest"], ["target"], [int("axis", 0)]), { ...node("Reshape", ["x", "target"], ["y"]), name: "r" }],
    });
    expect(() => fromOnnx(bytes)).toThrow("fromOnnx: node 'r' (Reshape): input 1 (shape) 'target' must be known as the graph is built (");
  });

  it("a folded index out of range, and an integer beyond int32, are named errors", () => {
    const gather = model({ inputs: [{ name: "x", dims: [2, 3] }], outputs: [{ name: "y" }], initializers: [int64s("i", [2])], nodes: [node("Shape", ["x"], ["s"]), { ...node("Gather", ["s", "i"], ["y"]), name: "g" }] });
    expect(() => fromOnnx(gather)).toThrow("fromOnnx: node 'g' (Gather): index 2 is out of range for dim 0 of size 2");
    const big = model({ inputs: [{ name: "x", dims: [2] }], outputs: [{ name: "y" }], initializers: [int64s("b", [2 ** 40])], nodes: [node("Shape", ["x"], ["s"]), { ...node("Add", ["s", "b"], ["y"]), name: "a" }] });
    expect(() => fromOnnx(big)).toThrow("fromOnnx: initializer 'b' holds a value beyond int32, gradgraph's index type");
  });

  it("constants built as the graph is built are bounded, so a hostile model cannot make fromOnnx allocate gigabytes", () => {
    const one = (nodes: NodeInit[], initializers: TensorInit[]) => model({ inputs: [{ name: "x", dims: [2] }], outputs: [{ name: "y" }], nodes, initializers });
    expect(() => fromOnnx(one([{ ...node("ConstantOfShape", ["s"], ["y"]), name: "c" }], [int64s("s", [2 ** 15, 2 ** 15])]))).toThrow(
      "fromOnnx: node 'c' (ConstantOfShape): shape [32768, 32768] is no shape of at most 16777216 elements, as fromOnnx builds constants",
    );
    const scalar = (name: string, value: number): TensorInit => ({ name, dims: [], dataType: D.INT64, int64Data: [BigInt(value)] });
    expect(() => fromOnnx(one([{ ...node("Range", ["a", "b", "d"], ["y"]), name: "r" }], [scalar("a", 0), scalar("b", 2 ** 30), scalar("d", 1)]))).toThrow(
      "fromOnnx: node 'r' (Range): start 0, limit 1073741824 and delta 1 give no range of at most 16777216 elements, as fromOnnx builds constants",
    );
    expect(() => fromOnnx(one([{ ...node("Range", ["a", "b", "d"], ["y"]), name: "r" }], [scalar("a", 0), scalar("b", 3), scalar("d", 0)]))).toThrow("fromOnnx: node 'r' (Range): start 0, limit 3 and delta 0 give no range");
    expect(() => fromOnnx(one([node("Shape", ["x"], ["s"]), { ...node("Expand", ["s", "big"], ["y"]), name: "e" }], [int64s("big", [2 ** 13, 2 ** 12, 1])]))).toThrow(
      "fromOnnx: node 'e' (Expand): its output of shape [8192, 4096, 1] is computed as the graph is built, and holds more than 16777216 elements",
    );
  });
});

describe("opset 18", () => {
  const x = (() => {
    manualSeed(18);
    return randn([2, 3, 4]);
  })();
  const reductions = ["ReduceMax", "ReduceMin", "ReduceMean", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceSum"];
  const axesCases = [
    { axes: [1], keepdims: 1 },
    { axes: [-1, 0], keepdims: 0 },
    { axes: undefined, keepdims: 0 },
  ];
  it.each(reductions.flatMap((op) => axesCases.map((c) => [op, c] as const)))("%s %j: axes an input in 18, an attribute before", async (opType, { axes, keepdims }) => {
    const inOpset18 = model({
      opset: 18,
      inputs: [{ name: "x", dims: x.shape }],
      outputs: [{ name: "y" }],
      initializers: axes === undefined ? [] : [int64s("axes", axes)],
      nodes: [node(opType, axes === undefined ? ["x"] : ["x", "axes"], ["y"], [int("keepdims", keepdims)])],
    });
    await agreesWithRuntime(inOpset18, { x }, `${opType} opset 18`);
    if (opType === "ReduceSum") return; // an input since 13
    const inOpset17 = model({
      inputs: [{ name: "x", dims: x.shape }],
      outputs: [{ name: "y" }],
      nodes: [node(opType, ["x"], ["y"], [int("keepdims", keepdims), ...(axes === undefined ? [] : [ints("axes", axes)])])],
    });
    await agreesWithRuntime(inOpset17, { x }, `${opType} opset 17`);
  });

  it("noop_with_empty_axes gives the input back", async () => {
    const bytes = model({ opset: 18, inputs: [{ name: "x", dims: x.shape }], outputs: [{ name: "y" }], nodes: [node("ReduceMax", ["x"], ["y"], [int("noop_with_empty_axes", 1)])] });
    await agreesWithRuntime(bytes, { x }, "ReduceMax noop");
  });

  it("axes where the opset does not have them are named errors", () => {
    const reduce = (opset: number, input: string[], attribute: AttributeInit[]) =>
      model({ opset, inputs: [{ name: "x", dims: [2, 3, 4] }], outputs: [{ name: "y" }], initializers: [int64s("axes", [1])], nodes: [{ ...node("ReduceMean", input, ["y"], attribute), name: "m" }] });
    expect(() => fromOnnx(reduce(18, ["x"], [ints("axes", [1])]))).toThrow("fromOnnx: node 'm' (ReduceMean): attribute 'axes' was made input 1 in opset 18; this model's opset is 18");
    expect(() => fromOnnx(reduce(17, ["x", "axes"], []))).toThrow("fromOnnx: node 'm' (ReduceMean): input 1 (axes) came in opset 18; in this model's opset 17 axes are an attribute");
  });

  it("Split: num_outputs (18) with a smaller last part, a split input, and equal parts", async () => {
    const split = (opset: number, input: string[], attribute: AttributeInit[], outputs: number, initializers: TensorInit[] = []) =>
      model({ opset, inputs: [{ name: "x", dims: [2, 7] }], outputs: Array.from({ length: outputs }, (_, i) => ({ name: `y${i}` })), initializers, nodes: [node("Split", input, Array.from({ length: outputs }, (_, i) => `y${i}`), attribute)] });
    manualSeed(3);
    const feeds = { x: randn([2, 7]) };
    const byCount = await agreesWithRuntime(split(18, ["x"], [int("axis", 1), int("num_outputs", 3)], 3), feeds, "Split num_outputs");
    expect([0, 1, 2].map((i) => byCount.outputs[`y${i}`].shape[1])).toEqual([3, 3, 1]);
    await agreesWithRuntime(split(13, ["x", "parts"], [int("axis", -1)], 3, [int64s("parts", [1, 4, 2])]), feeds, "Split by parts");
    await agreesWithRuntime(split(17, ["x"], [], 2), feeds, "Split in halves");
    expect(() => fromOnnx(split(17, ["x"], [int("axis", 1)], 2))).toThrow(/^fromOnnx: node 'split\d+' \(Split\): parts \[3\.5, 3\.5\] for 2 outputs do not split dim 1 of size 7$/);
  });

  it("Pad's axes input (18) pads only the dims it lists", async () => {
    const bytes = model({
      opset: 18,
      inputs: [{ name: "x", dims: x.shape }],
      outputs: [{ name: "y" }],
      initializers: [int64s("pads", [1, 0, 2, 3]), int64s("axes", [-1, 1]), { name: "value", dims: [], dataType: D.FLOAT, floatData: [0.5] }],
      nodes: [node("Pad", ["x", "pads", "value", "axes"], ["y"])],
    });
    const back = await agreesWithRuntime(bytes, { x }, "Pad with axes");
    expect(back.outputs.y.shape).toEqual([2, 6, 7]);
    const inOpset17 = model({ inputs: [{ name: "x", dims: x.shape }], outputs: [{ name: "y" }], initializers: [int64s("pads", [1, 0]), int64s("axes", [1])], nodes: [{ ...node("Pad", ["x", "pads", "", "axes"], ["y"]), name: "p" }] });
    expect(() => fromOnnx(inOpset17)).toThrow("fromOnnx: node 'p' (Pad): input 3 (axes) came in opset 18; this model's opset is 17");
  });

  it("Mish, new in 18", async () => {
    await agreesWithRuntime(model({ opset: 18, inputs: [{ name: "x", dims: x.shape }], outputs: [{ name: "y" }], nodes: [node("Mish", ["x"], ["y"])] }), { x }, "Mish");
  });

  it("opsets 13 to 18 are read; 12 and 19 are named errors", () => {
    const tanh = (opset: number) => model({ opset, inputs: [{ name: "x", dims: [2] }], outputs: [{ name: "y" }], nodes: [node("Tanh", ["x"], ["y"])] });
    for (const opset of [13, 18]) expect(() => fromOnnx(tanh(opset))).not.toThrow();
    for (const opset of [12, 19]) expect(() => fromOnnx(tanh(opset))).toThrow(`fromOnnx: the model imports opset ${opset} of the default domain; fromOnnx reads opsets 13 to 18 (toOnnx writes 17)`);
  });
});

it("corrupted bytes of a torch-like model (Constant, shape arithmetic, a batch-first LSTM) fail as fromOnnx's own errors", () => {
  manualSeed(4);
  const bytes = model({
    inputs: [{ name: "x", dims: [2, 3, 2] }, { name: "lengths", type: D.INT32, dims: [2] }],
    outputs: [{ name: "y" }],
    initializers: [initializer("W", randn([1, 8, 2])), initializer("R", randn([1, 8, 2])), initializer("B", randn([1, 16]))],
    nodes: [
      node("LSTM", ["x", "W", "R", "B", "lengths"], ["Y"], [int("hidden_size", 2), int("layout", 1), float("clip", 2)]),
      node("Shape", ["Y"], ["s"]),
      node("Constant", [], ["i"], [int("value_int", 0)]),
      node("Gather", ["s", "i"], ["b"]),
      node("Constant", [], ["axes"], [ints("value_ints", [0])]),
      node("Unsqueeze", ["b", "axes"], ["b1"]),
      node("Constant", [], ["rest"], [ints("value_ints", [-1])]),
      node("Concat", ["b1", "rest"], ["target"], [int("axis", 0)]),
      node("Reshape", ["Y", "target"], ["y"]),
    ],
  });
  expect(fromOnnx(bytes).outputs.y.shape).toEqual([2, 6]);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), (edits) => {
      const corrupted = bytes.slice();
      for (const [at, value] of edits) corrupted[at] = value;
      try {
        fromOnnx(corrupted);
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).constructor.name).not.toMatch(/^(TypeError|RangeError|ReferenceError)$/);
        expect((error as Error).message).toMatch(/^fromOnnx: /);
      }
    }),
    { numRuns: 400 },
  );
});

describe("operators torch.onnx.export writes besides toOnnx's own forms, against ONNX Runtime", () => {
  manualSeed(21);
  const x = randn([2, 3, 4, 5]);
  const run = (nodes: NodeInit[], initializers: TensorInit[], outputs = ["y"], opset = 17) =>
    agreesWithRuntime(
      model({ opset, inputs: [{ name: "x", dims: x.shape }], outputs: outputs.map((name) => ({ name, type: name === "indices" ? D.INT64 : D.FLOAT })), initializers, nodes }),
      { x },
      nodes.map((n) => n.opType).join(" "),
    );

  it.each([
    { starts: [-2], ends: [0], steps: [-1], axes: [3] },
    { starts: [4], ends: [-100], steps: [-2], axes: [3] },
    { starts: [100, 1], ends: [-100, 0], steps: [-3, -1], axes: [2, 1] },
    { starts: [-1], ends: [-1], steps: [-1], axes: [0] },
  ])("Slice with negative steps %j", async ({ starts, ends, steps, axes }) => {
    await run([node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])], [int64s("starts", starts), int64s("ends", ends), int64s("axes", axes), int64s("steps", steps)]);
  });

  it.each([
    { k: 5, axis: -1, largest: 1 },
    { k: 2, axis: 1, largest: 0 },
    { k: 1, axis: 2, largest: 1 },
  ])("TopK %j: values and indices", async ({ k, axis, largest }) => {
    await run([node("TopK", ["x", "k"], ["values", "indices"], [int("axis", axis), int("largest", largest)])], [int64s("k", [k])], ["values", "indices"]);
  });

  it.each([
    { strides: [1, 1], pads: [0, 0, 0, 0], outputPadding: [0, 0], group: 1 },
    { strides: [2, 1], pads: [1, 0, 0, 1], outputPadding: [1, 0], group: 1 },
    { strides: [2, 3], pads: [0, 1, 1, 0], outputPadding: [0, 2], group: 3 },
  ])("ConvTranspose %j", async ({ strides, pads, outputPadding, group }) => {
    const w = randn([3, 6 / group, 2, 3]);
    const bias = randn([6]);
    const attributes = [ints("strides", strides), ints("pads", pads), ints("output_padding", outputPadding), int("group", group)];
    await run([node("ConvTranspose", ["x", "w", "b"], ["y"], attributes)], [initializer("w", w), initializer("b", bias)]);
  });

  it("GatherND, ScatterND (none and add) and ScatterElements (mul)", async () => {
    // (2, 2, 2): x[i, j] four times, one counted from the end, one twice (ScatterND's add adds both).
    const indices = tensor([[[1, -2], [0, 0]], [[1, 1], [0, 0]]], { dtype: "int32" });
    const updates = randn([2, 2, 4, 5]);
    const distinct = tensor([[1, 2], [0, 0], [1, 0]], { dtype: "int32" });
    const elementIndex = tensor([[[[0, 1, 2, 0, 1]]], [[[2, 2, 1, 0, 0]]]], { dtype: "int32" });
    await run(
      [
        node("GatherND", ["x", "indices"], ["picked"]),
        node("ScatterND", ["x", "distinct", "distinct_updates"], ["written"]),
        node("ScatterND", ["x", "indices", "updates"], ["added"], [string("reduction", "add")]),
        node("ScatterElements", ["x", "element_index", "element_updates"], ["multiplied"], [int("axis", 1), string("reduction", "mul")]),
      ],
      [initializer("indices", indices), initializer("updates", updates), initializer("distinct", distinct), initializer("distinct_updates", randn([3, 4, 5])), initializer("element_index", elementIndex), initializer("element_updates", randn([2, 1, 1, 5]))],
      ["picked", "written", "added", "multiplied"],
    );
  });

  it.each([
    { mode: "nearest", coordinates: "asymmetric", scales: [1, 1, 2, 3] },
    { mode: "nearest", coordinates: "asymmetric", sizes: [2, 3, 7, 2] },
    { mode: "linear", coordinates: "half_pixel", scales: [1, 1, 2, 0.5] },
    { mode: "linear", coordinates: "pytorch_half_pixel", sizes: [2, 3, 3, 9] },
    { mode: "linear", coordinates: "align_corners", sizes: [2, 3, 8, 3] },
  ])("Resize %j", async ({ mode, coordinates, scales, sizes }) => {
    const attributes = [string("mode", mode), string("coordinate_transformation_mode", coordinates), ...(mode === "nearest" ? [string("nearest_mode", "floor")] : [])];
    const initializers = scales === undefined ? [int64s("sizes", sizes!)] : [{ name: "scales", dims: [4n], dataType: D.FLOAT, floatData: scales }];
    await run([node("Resize", scales === undefined ? ["x", "", "", "sizes"] : ["x", "", "scales"], ["y"], attributes)], initializers);
  });

  it("Resize with opset 18's axes", async () => {
    const attributes = [string("mode", "linear"), ints("axes", [3, 2])];
    await run([node("Resize", ["x", "", "", "sizes"], ["y"], attributes)], [int64s("sizes", [8, 2])], ["y"], 18);
  });

  it("Resize forms gradgraph has no interpolation for are named errors", () => {
    const resize = (attributes: AttributeInit[], sizes = [2, 3, 6, 6]) =>
      model({ inputs: [{ name: "x", dims: x.shape }], outputs: [{ name: "y" }], initializers: [int64s("sizes", sizes)], nodes: [{ ...node("Resize", ["x", "", "", "sizes"], ["y"], attributes), name: "r" }] });
    expect(() => fromOnnx(resize([string("mode", "cubic")]))).toThrow("fromOnnx: node 'r' (Resize): mode 'cubic' with coordinate_transformation_mode 'half_pixel' is not read");
    expect(() => fromOnnx(resize([]))).toThrow("fromOnnx: node 'r' (Resize): mode 'nearest' with coordinate_transformation_mode 'half_pixel' and nearest_mode 'round_prefer_floor' is not read");
    expect(() => fromOnnx(resize([string("mode", "linear")], [2, 6, 6, 6]))).toThrow("fromOnnx: node 'r' (Resize): resizing [2, 3, 4, 5] to [2, 6, 6, 6]; gradgraph resamples the 1 or 2 dims after (N, C)");
    expect(() => fromOnnx(resize([string("mode", "linear"), string("coordinate_transformation_mode", "pytorch_half_pixel")], [2, 3, 1, 6]))).toThrow(
      "fromOnnx: node 'r' (Resize): pytorch_half_pixel to an output of size 1 reads position 0",
    );
  });
});
