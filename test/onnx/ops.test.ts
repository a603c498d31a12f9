/**
 * Every built-in op that has an ONNX mapping, on the op property suite's random samples (in
 * float32): the exported one-op model, run in ONNX Runtime, gives gradgraph's values within 1e-5.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apply, type Attrs, type BuiltinOpName, builtinOps, type OpDef, placeholder, type Tensor, tensor } from "@gradgraph/core";
import { toOnnx } from "@gradgraph/onnx";
import { cases } from "../core/op-cases";
import { expectAgrees, runModel } from "./runtime";

const asFloat32 = (x: Tensor) => (x.dtype === "float64" ? tensor(x.data(), { shape: x.shape, dtype: "float32" }) : x);

/**
 * Samples on which ONNX defines another answer, each documented in the op's mapping: with several
 * NaNs in one window PyTorch's max pooling points at the last, ONNX's MaxPool at the first (the
 * pooled values are NaN either way).
 */
const differs: Partial<Record<BuiltinOpName, (inputs: readonly Tensor[]) => boolean>> = {
  maxPoolIndices: ([x]) => Array.from(x.data()).filter(Number.isNaN).length > 1,
};

const mapped = (Object.keys(builtinOps) as BuiltinOpName[]).filter((name) => builtinOps[name].onnx !== undefined).sort();

it("the ONNX mappings cover the ops the notebook RNN, an MLP and LSTM/GRU forwards are built from", () => {
  const needed = ["matmul", "add", "sub", "mul", "div", "tanh", "sigmoid", "relu", "reshape", "transpose", "permute", "expand", "slice",
    "concat", "sum", "max", "cast", "where", "exp", "log", "pow", "sqrt", "gather", "indexSelect", "eq", "lt"];
  expect(needed.filter((name) => !mapped.includes(name as BuiltinOpName))).toEqual([]);
});

describe.each(mapped)("op %s in ONNX Runtime", (name) => {
  const def = builtinOps[name] as OpDef<Attrs>;
  it("agrees with gradgraph on random float32 inputs", async () => {
    await fc.assert(
      fc.asyncProperty(cases[name].sample, async ({ inputs, attrs }) => {
        fc.pre(!(differs[name]?.(inputs) ?? false));
        const values = inputs.map(asFloat32);
        const slots = values.map((x, i) => placeholder(x.shape, x.dtype, `in${i}`));
        const output = apply(def, slots, attrs);
        const model = toOnnx(output, { inputs: slots, outputNames: ["out"] });
        slots.forEach((slot, i) => slot.assign(values[i]));
        const { out } = await runModel(model, Object.fromEntries(slots.map((slot) => [slot.name!, slot])));
        expectAgrees(out, output, `${name} ${JSON.stringify(attrs)} on ${values.map((x) => `[${x.shape.join(", ")}]`).join(", ")}`, { atol: 1e-5, rtol: 1e-5, equalNaN: true });
      }),
      { numRuns: 25 },
    );
  });
});
