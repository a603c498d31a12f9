/**
 * gradgraph's side of the benchmark (a child of bench/run.ts). `--memory` runs only W3 and
 * reports the peak resident set.
 */
import { readFileSync } from "node:fs";
import { compile, evaluationStats, matmul, programCacheStats, tensor } from "@gradgraph/core";
import { ready } from "@gradgraph/core";
import { checkNotebookGradients, gflops, interleavedMedianMs, medianMs, peakRssMb, report, type Results, uniformArray, W1_SIZES, W2, W3_MEMORY_STEPS, W4 } from "./common";
import { notebookProgram, pytorchStyleNotebook, pytorchStyleTrainingStep, trainingStepProgram } from "./models";

await ready();

if (process.argv.includes("--memory")) {
  const { program, x } = trainingStepProgram();
  for (let i = 0; i < W3_MEMORY_STEPS; i++) program.run([x]);
  report({ peakRssMb: peakRssMb() });
} else {
  const notes: string[] = [];
  const w1: Record<string, number> = {};
  for (const n of W1_SIZES) {
    const a = tensor(uniformArray(n * n, -1, 1, 11), { shape: [n, n] });
    const b = tensor(uniformArray(n * n, -1, 1, 12), { shape: [n, n] });
    const program = compile({ outputs: [matmul(a, b)] });
    w1[n] = gflops(n, medianMs(() => program.run()));
  }

  const seed = JSON.parse(readFileSync(new URL("../test/fixtures/seed.json", import.meta.url), "utf8")).cases[0];
  const x = Float32Array.from(seed.input.data);
  const notebook = notebookProgram(seed.params);
  notes.push(checkNotebookGradients(notebook.run([x]), seed.float32.grads.params));
  // The same W2 and W3 as users write them: the evaluator compiles them itself from the second step.
  const eagerNotebook = pytorchStyleNotebook(seed.params);
  eagerNotebook.step(tensor(x, { shape: [W2.batch, W2.seq, W2.input] }));
  notes.push(checkNotebookGradients(eagerNotebook.rnn.parameters().map((p) => p.grad!.unsafeData()), seed.float32.grads.params));
  const w2 = medianMs(() => notebook.run([x])) * 1e3;
  const w2Eager = medianMs(() => eagerNotebook.step(tensor(x, { shape: [W2.batch, W2.seq, W2.input] }))) * 1e3;

  const training = trainingStepProgram();
  notes.push(`W3 program: ${JSON.stringify(training.program.stats)}`);
  const reordered = trainingStepProgram({ reorderSums: true });
  const eagerTraining = pytorchStyleTrainingStep();
  // W3's forms are timed in alternating rounds: the ratio of the PyTorch-style loop to the compiled step is a target.
  const [w3, w3Reordered, w3Eager] = interleavedMedianMs([
    () => training.program.run([training.x]),
    () => reordered.program.run([reordered.x]),
    () => eagerTraining.step(),
  ]);
  notes.push(`W3 compiled with reorderSums: ${w3Reordered.toFixed(2)} ms (exact: ${w3.toFixed(2)} ms), ${reordered.program.stats.kernels} kernels`);
  notes.push(`program cache after the PyTorch-style runs: ${JSON.stringify(programCacheStats())}`);

  const y = tensor(uniformArray(4, -1, 1, 13), { shape: [...W4.shape] });
  const start = uniformArray(4, -1, 1, 14);
  const chain = (x0: ReturnType<typeof tensor>) => {
    let acc = x0;
    for (let i = 0; i < W4.chain; i++) acc = acc.add(y);
    return acc;
  };
  const adds = compile(chain, [{ shape: W4.shape }]);
  // A fresh leaf each time: otherwise interning would hand back the previous chain, already evaluated.
  const kernelsBefore = evaluationStats.kernelInvocations;
  const lazy = medianMs(() => chain(tensor(start, { shape: [...W4.shape] })).data()) * 1e3;
  const compiled = medianMs(() => adds.run([start])) * 1e3;
  if (evaluationStats.kernelInvocations === kernelsBefore) throw new Error("W4 lazy: nothing was evaluated");

  const results: Results = {
    w1,
    w2,
    w3,
    w4: { lazy: lazy / W4.chain, compiled: compiled / W4.chain },
    pytorchStyle: { w2: w2Eager, w3: w3Eager },
    notes,
  };
  report(results);
}
