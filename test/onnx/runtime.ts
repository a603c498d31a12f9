/** Runs exported models in ONNX Runtime (onnxruntime-node, CPU) and compares them with gradgraph. */
import { type DType, type Tensor, type TypedArray } from "@gradgraph/core";
import { assertClose, type Tolerance } from "@gradgraph/core/testing";
import * as ort from "onnxruntime-node";
import { checkModel } from "./checker";

const ortTypes: Record<DType, ort.Tensor.Type> = { float32: "float32", float64: "float64", int32: "int32", bool: "bool" };

/** ONNX Runtime's tensor holding a gradgraph value. */
export function ortTensor(t: Tensor): ort.Tensor {
  const data = t.data();
  return new ort.Tensor(ortTypes[t.dtype], t.dtype === "bool" ? Uint8Array.from(data) : (data as Exclude<TypedArray, Uint8Array>), [...t.shape]);
}

/**
 * Loads the model into a session, after our own checker (test/onnx/checker.ts); ONNX Runtime
 * checks it again (types, shapes, topological order) as it loads.
 */
export function session(model: Uint8Array): Promise<ort.InferenceSession> {
  checkModel(model);
  return ort.InferenceSession.create(model, { graphOptimizationLevel: "disabled" });
}

/** The model's outputs for these feeds, by output name. */
export async function runModel(model: Uint8Array, feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, ort.Tensor>> {
  const s = await session(model);
  try {
    return await s.run(Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, ortTensor(t)])));
  } finally {
    await s.release();
  }
}

/** float32 agreement within 1e-5 (the bar); the shapes must be equal too. */
export function expectAgrees(actual: ort.Tensor, expected: Tensor, label: string, tolerance: Tolerance = { atol: 1e-5, rtol: 1e-5 }): number {
  if (actual.dims.join(",") !== expected.shape.join(",")) {
    throw new Error(`${label}: ONNX Runtime gave shape [${actual.dims.join(", ")}], gradgraph [${expected.shape.join(", ")}]`);
  }
  const got = Array.from(actual.data as ArrayLike<number | boolean>, Number);
  const want = Array.from(expected.data());
  assertClose(got, want, { ...tolerance, label });
  return got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]) || 0), 0);
}
