import { type FloatDType, type Tensor, type TypedArray, compile, evaluate, grad } from "@gradgraph/core";
import { describe, expect, test, vi } from "vitest";
import { reportNotebook, runNotebook } from "../../examples/notebook";
import { type Tolerance, assertClose } from "@gradgraph/core/testing";
import { FLOAT64, type FixtureTensor, fromFixture } from "../helpers/fixtures";
import { type RecurrentCase, buildRecurrent, loadRecurrentCases, recurrentFiles, runRecurrent } from "../helpers/recurrent-cases";

const tolerances: Record<FloatDType, Tolerance> = { float64: FLOAT64, float32: { atol: 1e-5, rtol: 1e-4 } };

/**
 * Builds our module from the case config, loads PyTorch's state dict, runs forward, and checks
 * the outputs and the gradients of `sum(output*G) + sum(h_n*H) [+ sum(c_n*C)]` with respect to
 * the input, the initial states and every parameter. Float32 runs read the same decimal inputs
 * (rounded to float32 on the way in, as PyTorch's `.float()`) and compute in float32 throughout.
 */
function checkCase(c: RecurrentCase, dtype: FloatDType, run: (outputs: Tensor[]) => readonly TypedArray[] = evaluate): void {
  const expected = c[dtype];
  const tol = tolerances[dtype];
  const module = buildRecurrent(c.mode, c.config, dtype);
  module.loadStateDict(c.params);

  const input = fromFixture(c.input, dtype, { requiresGrad: true });
  const h0 = c.h0 === null ? undefined : fromFixture(c.h0, dtype, { requiresGrad: true });
  const c0 = c.c0 == null ? undefined : fromFixture(c.c0, dtype, { requiresGrad: true });
  const [output, finals] = runRecurrent(module, input, h0, c0);
  const finalStates: [Tensor, FixtureTensor, FixtureTensor][] = [[finals[0], c.upstream.h_n, expected.h_n]];
  if (c.mode === "LSTM") finalStates.push([finals[1], c.upstream.c_n!, expected.c_n!]);

  let loss = output.mul(fromFixture(c.upstream.output, dtype)).sum();
  for (const [state, upstream] of finalStates) loss = loss.add(state.mul(fromFixture(upstream, dtype)).sum());

  const checked: [string, Tensor, FixtureTensor][] = [
    ["output", output, expected.output],
    ...finalStates.map(([state, , value], i): [string, Tensor, FixtureTensor] => [i === 0 ? "h_n" : "c_n", state, value]),
  ];
  const wrt: [string, Tensor, FixtureTensor][] = [["grad input", input, expected.grads.input]];
  if (h0 !== undefined) wrt.push(["grad h0", h0, expected.grads.h0!]);
  if (c0 !== undefined) wrt.push(["grad c0", c0, expected.grads.c0!]);
  for (const [name, parameter] of module.namedParameters()) wrt.push([`grad ${name}`, parameter, expected.grads.params[name]]);

  const gradients = grad(loss, wrt.map(([, x]) => x));
  const values = run([loss, ...checked.map(([, t]) => t), ...gradients]);
  assertClose(values[0][0], expected.loss, { ...tol, label: "loss" });
  [...checked, ...wrt].forEach(([label, actual, reference], i) => {
    const value = i < checked.length ? actual : gradients[i - checked.length];
    expect(value.shape, label).toEqual(reference.shape);
    assertClose(values[i + 1], reference.data, { ...tol, label: `${c.id} ${dtype} ${label}` });
  });
}

for (const file of recurrentFiles) {
  describe(`PyTorch parity: ${file}`, () => {
    for (const c of loadRecurrentCases(file)) {
      for (const dtype of ["float64", "float32"] as const) test(`${c.id} (${c.mode}, ${dtype})`, () => checkCase(c, dtype));
    }
  });
}

// The fast mode adds the per-step products of a weight gradient in another order (one product
// over all steps): no longer the evaluator's bits, so it answers to PyTorch alone.
describe("PyTorch parity with reordered sums", () => {
  const merged: string[] = [];
  for (const file of recurrentFiles) {
    for (const c of loadRecurrentCases(file)) {
      for (const dtype of ["float64", "float32"] as const) {
        test(`${c.id} (${c.mode}, ${dtype})`, () => {
          checkCase(c, dtype, (outputs) => {
            const reordered = compile({ outputs, reorderSums: true });
            const exact = compile({ outputs });
            expect(reordered.stats.kernels).toBeLessThanOrEqual(exact.stats.kernels);
            if (reordered.stats.kernels < exact.stats.kernels) merged.push(c.id);
            return reordered.run();
          });
        });
      }
    }
  }
  // From three steps on, at least two of a weight's products read states stacked in the output
  // (the first step reads h0, which is not).
  test("every case of three or more steps took the merged products", () => {
    const multiStep = recurrentFiles.flatMap((file) => loadRecurrentCases(file)).filter((c) => c.config.seq_len > 2);
    expect(multiStep.length).toBeGreaterThan(10);
    for (const c of multiStep) expect(merged, c.id).toContain(c.id);
  });
});

test("the notebook case rounds to the values the notebook printed", () => {
  const [c] = loadRecurrentCases("seed.json");
  const module = buildRecurrent(c.mode, c.config, "float32");
  module.loadStateDict(c.params);
  const [output] = runRecurrent(module, fromFixture(c.input, "float32"));
  const rounded = (output.squeeze(0).toArray() as number[][]).map((row) => row.map((v) => Math.round(v * 1e4) / 1e4));
  expect(rounded).toEqual(c.notebook_expected!.output_rounded_4);
  const weight = (module.stateDict().weight_ih_l0.toArray() as number[][]).map((row) => row.map((v) => Math.round(v * 1e4) / 1e4));
  expect(weight).toEqual(c.notebook_expected!.weight_ih_l0_rounded_4);
});

test("examples/notebook.ts: forward and the hand-written loop agree, and every check it prints passes", () => {
  const { output, byHand, input } = runNotebook();
  expect(input.shape).toEqual([1, 3, 5]);
  assertClose(output.data(), byHand.data(), { atol: 1e-6, rtol: 0, label: "forward vs by hand" });
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    expect(reportNotebook()).toBe(true);
    expect(log.mock.calls.map(([line]) => String(line)).filter((line) => line.startsWith("FAIL"))).toEqual([]);
  } finally {
    log.mockRestore();
  }
});
