import { apply, type OpDef, placeholder, registerOp, tensor, withScope } from "@gradgraph/core";
import { toOnnx } from "@gradgraph/onnx";
import { describe, expect, it } from "vitest";
import { checkModel } from "./checker";
import { expectAgrees, runModel } from "./runtime";

/** A user's op: x² + 1, with (or without) its own ONNX mapping. */
function squarePlusOne(name: string, onnx?: OpDef["onnx"]): OpDef {
  return registerOp({
    name,
    arity: 1,
    infer: ([x]) => x,
    kernel: ([x]) => Float32Array.from(x.data, (v) => v * v + 1),
    vjp: "nondifferentiable",
    ...(onnx === undefined ? {} : { onnx }),
  });
}

describe("toOnnx", () => {
  it("a user-registered op exports through the mapping it declares", async () => {
    const op = squarePlusOne("test.onnxSquarePlusOne", (b, [x]) => b.op("Add", [b.op("Mul", [x, x]), b.scalar(1, x.dtype)]));
    const x = placeholder([3], "float32", "x");
    const y = apply(op, [x]);
    const model = toOnnx(y, { inputs: [x], outputNames: ["y"] });
    x.assign(tensor([-2, 0.5, 3]));
    const { y: got } = await runModel(model, { x });
    expectAgrees(got, tensor([5, 1.25, 10]), "x² + 1 by hand");
  });

  it("an op without a mapping is an error naming it and the module path of its node", () => {
    const op = squarePlusOne("test.onnxUnmapped");
    const x = placeholder([2], "float32", "x");
    const y = withScope("rnn", () => withScope("l0.t2", () => apply(op, [x]).tanh()));
    expect(() => toOnnx(y, { inputs: [x] })).toThrow(
      "test.onnxUnmapped in 'rnn.l0.t2': toOnnx: the op has no ONNX mapping (a registerOp definition declares one in its 'onnx' field)",
    );
  });

  it("registerOp refuses an onnx field that is no function", () => {
    expect(() => registerOp({ name: "test.onnxNotAFunction", arity: 1, infer: ([x]) => x, kernel: ([x]) => x.data, vjp: "nondifferentiable", onnx: "Tanh" as never })).toThrow(
      `registerOp: 'test.onnxNotAFunction' onnx must be a function (the ONNX mapping), got "Tanh"`,
    );
  });

  it("a mapping whose value has the wrong shape is an error naming the op", () => {
    const op = squarePlusOne("test.onnxWrongShape", (b, [x]) => b.op("ReduceSum", [x, b.int64s([0])], { keepdims: 0 }, { shape: [], dtype: x.dtype }));
    const x = placeholder([2], "float32", "x");
    expect(() => toOnnx(apply(op, [x]), { inputs: [x] })).toThrow("test.onnxWrongShape: toOnnx: the ONNX mapping gave shape [] for a node of shape [2]");
  });

  it("a mapping that throws is rethrown naming the op, with the original as cause", () => {
    const cause = new Error("no ONNX form for this case");
    const op = squarePlusOne("test.onnxThrows", () => {
      throw cause;
    });
    const x = placeholder([2], "float32", "x");
    expect(() => toOnnx(apply(op, [x]), { inputs: [x] })).toThrow(expect.objectContaining({ message: "test.onnxThrows: toOnnx: the ONNX mapping failed: no ONNX form for this case", cause }));
  });

  it("a placeholder that is not among the inputs is an error naming it and the inputs", () => {
    const x = placeholder([2], "float32", "x");
    const h = placeholder([2], "float32", "h");
    expect(() => toOnnx(x.add(h), { inputs: [x] })).toThrow(/^toOnnx: the outputs read placeholder .*'h'.*, which is not among the inputs \(x\)$/);
  });

  it("inputs need names, outputs as many names as outputs, and no name twice", () => {
    const unnamed = placeholder([2]);
    expect(() => toOnnx(unnamed.exp(), { inputs: [unnamed] })).toThrow(/^toOnnx: input 0 \(.*\) has no name: name the placeholder, or pass inputs as \{ name: tensor \}$/);
    const x = placeholder([2], "float32", "x");
    expect(() => toOnnx([x.exp(), x.sin()], { inputs: [x], outputNames: ["y"] })).toThrow("toOnnx: 2 outputs but 1 output names (y)");
    expect(() => toOnnx(x.exp(), { inputs: [x], outputNames: ["x"] })).toThrow("toOnnx: the name 'x' is given to two inputs or outputs");
  });

  it("stores parameters under their names, the same small constant once, and an output that is an input through Identity", async () => {
    const x = placeholder([2, 2], "float32", "x");
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    w.name = "layer.weight";
    const y = x.matmul(w).reshape(4).reshape(2, 2).reshape(4);
    const model = toOnnx([y, x], { inputs: [x], outputNames: ["y", "same"] });
    const { graph } = checkModel(model);
    expect(graph!.initializer.map((t) => t.name)).toEqual(["layer.weight", "const", "const_1"]);
    x.assign(tensor([[1, 0], [0, 1]]));
    const { y: got, same } = await runModel(model, { x });
    expectAgrees(got, tensor([1, 2, 3, 4]), "x @ w for x = I");
    expectAgrees(same, tensor([[1, 0], [0, 1]]), "x");
  });
});
