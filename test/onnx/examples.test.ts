/**
 * The example models, exported with exportOnnx and run in ONNX Runtime, give gradgraph's outputs
 * (eval mode, float32 within 1e-5): a conv net, a transformer encoder, an RNN and an LSTM model.
 */
import { describe, expect, test } from "vitest";
import { Generator, type Tensor, tensor } from "@gradgraph/core";
import type { AnyModule } from "@gradgraph/nn";
import { exportOnnx } from "@gradgraph/onnx";
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
