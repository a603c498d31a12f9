/**
 * The example models, exported with exportOnnx and run in ONNX Runtime, give gradgraph's outputs
 * (eval mode, float32 within 1e-5): a conv net, a transformer encoder, an RNN and an LSTM model.
 * The recurrent modules inside them export as ONNX's own RNN / LSTM operators by default.
 */
import { describe, expect, test } from "vitest";
import { Generator, type Tensor, tensor } from "@gradgraph/core";
import type { AnyModule } from "@gradgraph/nn";
import { exportOnnx } from "@gradgraph/onnx";
import { checkModel } from "./checker";
import { CharModel } from "../../examples/char-rnn";
import { digitClassifier } from "../../examples/digits";
import { FirstRepeatClassifier } from "../../examples/first-repeat";
import { NextValue } from "../../examples/sine";
import { expectAgrees, runModel } from "./runtime";

function uniform(generator: Generator, shape: number[]): Tensor {
  const values = new Float32Array(shape.reduce((n, d) => n * d, 1));
  generator.fillUniform(values, -1, 1);
  return tensor(values, { shape });
}

const ids = (count: number, below: number, shape: number[]) => tensor(Int32Array.from({ length: count }, (_, i) => (i * 7 + 3) % below), { shape, dtype: "int32" });

const generator = new Generator(11);
const cases: [string, AnyModule, Tensor][] = [
  ["digits: Conv2d, ReLU, MaxPool2d, Flatten, Linear", digitClassifier(12, 10, 4, generator), uniform(generator, [3, 1, 12, 12])],
  ["first-repeat: embeddings and a transformer encoder", new FirstRepeatClassifier(6, 8, { dModel: 8, heads: 2, layers: 2, dimFeedforward: 16, dropout: 0 }, generator), ids(3 * 8, 6, [3, 8])],
  ["sine: an RNN and a Linear head", new NextValue(5, generator), uniform(generator, [7, 3, 1])],
  ["char-rnn: an embedding, an LSTM and a Linear head", new CharModel(9, 4, 6, generator), ids(5 * 2, 9, [5, 2])],
];

describe("the example models in ONNX Runtime", () => {
  test.each(cases)("%s", async (_label, model, input) => {
    model.eval();
    const expected = model.forward(input) as Tensor | [Tensor, Tensor[]];
    const outputs = Array.isArray(expected) ? [expected[0], ...expected[1]] : [expected];
    const bytes = await exportOnnx(model, input);
    const results = Object.values(await runModel(bytes, { input }));
    expect(results).toHaveLength(outputs.length);
    results.forEach((result, i) => expectAgrees(result, outputs[i], `output ${i}`));
  });
});

describe("recurrent modules inside a model", () => {
  const model = new CharModel(9, 4, 6, new Generator(3));
  const input = ids(5 * 2, 9, [5, 2]);

  test("are ONNX's own operator, its weights under the model's state-dict keys, by default", async () => {
    model.eval();
    const [logits, [hN, cN]] = model.forward(input);
    const native = checkModel(await exportOnnx(model, input));
    const unrolled = checkModel(await exportOnnx(model, input, undefined, { recurrent: "unrolled" }));
    const opTypes = (m: typeof native) => m.graph!.node.map((n) => n.opType);
    expect(opTypes(native).filter((op) => op === "LSTM")).toHaveLength(1);
    expect(opTypes(unrolled)).not.toContain("LSTM");
    expect(opTypes(native).length).toBeLessThan(opTypes(unrolled).length / 2);
    const initializers = native.graph!.initializer.map((t) => t.name);
    expect(initializers).toEqual(expect.arrayContaining(["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "embed.weight", "head.weight"]));
    const results = Object.values(await runModel(await exportOnnx(model, input), { input }));
    [logits, hN, cN].forEach((expected, i) => expectAgrees(results[i], expected, `output ${i}`));
  });

  test("called with { lengths }, are written unrolled, exact to the graph", async () => {
    const { LSTM: Lstm, Module } = await import("@gradgraph/nn");
    class Packed extends Module<[Tensor], Tensor> {
      readonly lstm = new Lstm({ inputSize: 3, hiddenSize: 4, generator: new Generator(5) });
      forward(x: Tensor): Tensor {
        return this.lstm.forward(x, undefined, { lengths: [3, 2] })[0];
      }
    }
    const packed = new Packed();
    const x = uniform(new Generator(6), [3, 2, 3]);
    const bytes = await exportOnnx(packed, x);
    expect(checkModel(bytes).graph!.node.map((n) => n.opType)).not.toContain("LSTM");
    expectAgrees(Object.values(await runModel(bytes, { input: x }))[0], packed.forward(x), "output");
  });
});
