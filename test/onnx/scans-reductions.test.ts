/**
 * The scans' ONNX forms (doubling rounds for cummax/cummin indices and linearScan, TopK for
 * argsort) on what the property suite's small samples do not reach: lines long enough for
 * several rounds, ties, NaN, reverse scans, integer and bool inputs, 0-d and empty inputs.
 */
import { describe, it } from "vitest";
import { apply, type Attrs, type BuiltinOpName, builtinOps, type DType, type OpDef, placeholder, type Tensor, tensor } from "@gradgraph/core";
import { toOnnx } from "@gradgraph/onnx";
import { expectAgrees, runModel } from "./runtime";

async function expectOnnxAgrees(name: BuiltinOpName, inputs: readonly Tensor[], attrs: Attrs): Promise<void> {
  const slots = inputs.map((x, i) => placeholder(x.shape, x.dtype, `in${i}`));
  const output = apply(builtinOps[name] as OpDef<Attrs>, slots, attrs);
  const model = toOnnx(output, { inputs: slots, outputNames: ["out"] });
  slots.forEach((slot, i) => slot.assign(inputs[i]));
  const { out } = await runModel(model, Object.fromEntries(slots.map((slot) => [slot.name!, slot])));
  const label = `${name} ${JSON.stringify(attrs)} on ${inputs.map((x) => `${x.dtype} [${x.shape.join(", ")}]`).join(", ")}`;
  expectAgrees(out, output, label, { atol: 1e-5, rtol: 1e-5, equalNaN: true });
}

/** Values on a coarse grid (many ties), with NaN at every `nanEvery`-th element when given. */
function values(shape: readonly number[], dtype: DType, { seed = 0, nanEvery = 0 } = {}): Tensor {
  const size = shape.reduce((n, d) => n * d, 1);
  const data = Array.from({ length: size }, (_, i) => (nanEvery > 0 && (i + seed) % nanEvery === nanEvery - 1 ? NaN : (((i + 1) * 7 + seed * 3) % 9) - 4));
  return tensor(data.map((v) => (dtype === "bool" ? Number(v > 0) : v)), { shape, dtype });
}

describe.each(["cummaxIndices", "cumminIndices"] as const)("%s in ONNX Runtime", (name) => {
  it.each([false, true])("agrees on long lines with ties and NaN (reverse %s)", async (reverse) => {
    await expectOnnxAgrees(name, [values([37, 2], "float32", { nanEvery: 13 })], { dim: 0, reverse });
    await expectOnnxAgrees(name, [values([3, 64], "float64", { seed: 1, nanEvery: 29 })], { dim: 1, reverse });
    await expectOnnxAgrees(name, [values([2, 17], "float32")], { dim: 1, reverse });
  });

  it("agrees on int32 and bool inputs, 0-d and empty ones", async () => {
    await expectOnnxAgrees(name, [values([2, 21], "int32")], { dim: 1 });
    await expectOnnxAgrees(name, [values([9], "bool")], { dim: 0, reverse: true });
    await expectOnnxAgrees(name, [values([], "float32")], { dim: 0 });
    await expectOnnxAgrees(name, [values([0, 3], "float32")], { dim: 0 });
  });
});

describe("linearScan in ONNX Runtime", () => {
  const factors = (shape: readonly number[], dtype: DType) => tensor(Array.from({ length: shape.reduce((n, d) => n * d, 1) }, (_, i) => ((i * 5) % 7) / 4 - 0.75), { shape, dtype });

  it.each([false, true])("agrees on long lines from an initial value (reverse %s)", async (reverse) => {
    for (const initial of [0, 1, -0.5]) {
      await expectOnnxAgrees("linearScan", [factors([23, 2], "float64"), values([23, 2], "float64", { seed: 2 })], { dim: 0, reverse, initial });
      await expectOnnxAgrees("linearScan", [factors([2, 3, 16], "float32"), values([2, 3, 16], "float32")], { dim: 2, reverse, initial });
    }
  });

  it("agrees on 0-d, length-1 and empty lines", async () => {
    await expectOnnxAgrees("linearScan", [factors([], "float32"), values([], "float32")], { dim: 0, initial: 2 });
    await expectOnnxAgrees("linearScan", [factors([3, 1], "float32"), values([3, 1], "float32")], { dim: 1, initial: -1 });
    await expectOnnxAgrees("linearScan", [factors([3, 0], "float32"), values([3, 0], "float32")], { dim: 1, initial: 1 });
  });
});

describe("argsort in ONNX Runtime", () => {
  it.each([false, true])("keeps ties in index order, as the stable sort does (descending %s)", async (descending) => {
    await expectOnnxAgrees("argsort", [values([33, 2], "float32")], { dim: 0, descending });
    await expectOnnxAgrees("argsort", [values([2, 40], "int32", { seed: 1 })], { dim: 1, descending });
    await expectOnnxAgrees("argsort", [values([12], "bool")], { dim: 0, descending });
  });

  it.each([false, true])("sorts NaN as the largest value, above +Infinity (descending %s)", async (descending) => {
    const x = [3, NaN, 1, Infinity, NaN, 2, 1, -Infinity, Infinity, 0];
    await expectOnnxAgrees("argsort", [tensor(x, { dtype: "float32" })], { dim: 0, descending });
    await expectOnnxAgrees("argsort", [tensor(x, { shape: [5, 2], dtype: "float64" })], { dim: 0, descending });
  });

  it("agrees on 0-d and empty inputs", async () => {
    await expectOnnxAgrees("argsort", [values([], "float32")], { dim: 0, descending: true });
    await expectOnnxAgrees("argsort", [values([0, 3], "float32")], { dim: 0 });
  });

  it("exports an empty input without TopK, which ONNX Runtime can crash on (the whole process) when it is empty", async () => {
    for (let round = 0; round < 5; round++) {
      for (const [shape, dim] of [[[3, 0], 1], [[0], 0], [[2, 0, 3], 2], [[0, 4], 1]] as const) {
        await expectOnnxAgrees("argsort", [values(shape, "float32")], { dim, descending: round % 2 === 1 });
      }
    }
  });
});
