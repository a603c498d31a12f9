/**
 * Reshape and expand exported with a dynamic batch: their ONNX shapes follow the input's leading
 * dim (Reshape's 0 and -1, Expand's 1s), so one model runs in ONNX Runtime at the exported batch
 * size and at others, giving what gradgraph gives for a graph built at that size.
 */
import { describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import { fromBinary } from "@bufbuild/protobuf";
import { manualSeed, placeholder, randn, type Tensor } from "@gradgraph/core";
import { toOnnx } from "@gradgraph/onnx";
import { ModelProtoSchema } from "../../packages/onnx/src/proto/onnx_pb";
import { expectAgrees, runModel } from "./runtime";

manualSeed(11);
const weight = randn([4, 5]);
const bias = randn([5]);

/**
 * An MLP-like graph over a batch of [2, 2] samples: each sample flattened to 4 features, repeated
 * 3 times along a new dim (expand), the repeats folded into the batch for one matmul (reshape to
 * [-1, 4]), unfolded again and summed over the repeats.
 */
function model(x: Tensor): Tensor {
  const batch = x.shape[0];
  const features = F.reshape(x, [batch, 1, 4]);
  const repeated = F.expand(features, [batch, 3, 4]);
  const hidden = F.relu(F.add(F.matmul(F.reshape(repeated, [batch * 3, 4]), weight), bias));
  return F.sum(F.reshape(hidden, [batch, 3, 5]), 1);
}

describe("reshape and expand with a dynamic batch", () => {
  const exported = placeholder([5, 2, 2], "float32", "x");
  const onnx = toOnnx(model(exported), { inputs: [exported], outputNames: ["y"], dynamicAxes: { x: { 0: "batch" }, y: { 0: "batch" } } });

  it("writes no batch size into the Reshape and Expand shapes", () => {
    const graph = fromBinary(ModelProtoSchema, onnx).graph!;
    const int64sOf = (name: string) => {
      const { rawData } = graph.initializer.find((t) => t.name === name)!;
      return Array.from(new BigInt64Array(rawData.slice().buffer), Number);
    };
    const shapes = (opType: string) => graph.node.filter((n) => n.opType === opType).map((n) => int64sOf(n.input[1]));
    // [5, 1, 4] copies the batch (0); [15, 4] and [5, 3, 5] infer it (-1); [5, 3, 4] keeps it (1).
    expect(shapes("Reshape"), "the Reshape shapes").toEqual([[0, 1, 4], [-1, 4], [-1, 3, 5]]);
    expect(shapes("Expand"), "the Expand shapes").toEqual([[1, 3, 1]]);
  });

  for (const size of [5, 2, 1, 7]) {
    it(`runs in ONNX Runtime at batch ${size} as gradgraph built at that size`, async () => {
      const x = placeholder([size, 2, 2], "float32", "x");
      x.assign(randn([size, 2, 2]));
      const { y } = await runModel(onnx, { x });
      expectAgrees(y, model(x), `the dynamic-batch model at batch ${size}`);
    });
  }
});
