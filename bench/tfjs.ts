/**
 * TensorFlow.js' side of the benchmark (a child of bench/run.ts): `tfjs.ts cpu|wasm [--memory]`.
 * The same workloads, written the way tfjs is used: eager ops, tf.grads / optimizer.minimize.
 */
import { readFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { checkNotebookGradients, gflops, medianMs, peakRssMb, report, type Results, uniformArray, W1_SIZES, W2, W3, W3_MEMORY_STEPS, W4, w3Data } from "./common";

register("./tfjs-resolve.mjs", import.meta.url);
await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");

const backend = process.argv[2];
if (backend !== "cpu" && backend !== "wasm") throw new Error("usage: tfjs.ts cpu|wasm [--memory]");
// The wasm binaries are loaded from node_modules by file path (no fetch in Node).
const wasmDir = join(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
setWasmPaths(`${wasmDir}/`);
tf.env().set("PROD", true);
await tf.setBackend(backend);
await tf.ready();

interface RnnParams {
  weightIh: tf.Tensor2D;
  weightHh: tf.Tensor2D;
  biasIh: tf.Tensor1D;
  biasHh: tf.Tensor1D;
}

/** h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh) from h_0 = 0; returns every h_t. */
function rnn(steps: tf.Tensor2D[], p: RnnParams): tf.Tensor2D[] {
  let h = tf.zeros([steps[0].shape[0], p.weightHh.shape[0]]) as tf.Tensor2D;
  return steps.map((x) => {
    const pre = tf.add(tf.add(tf.matMul(x, p.weightIh, false, true), p.biasIh), tf.add(tf.matMul(h, p.weightHh, false, true), p.biasHh));
    h = tf.tanh(pre) as tf.Tensor2D;
    return h;
  });
}

/** W3 set up: parameters as variables, the sequence split into steps once (data preparation, not timed). */
function trainingStep(): () => number {
  const { input, hidden, seq, batch, lr } = W3;
  const data = w3Data();
  const p: RnnParams = {
    weightIh: tf.variable(tf.tensor2d(data.weightIh, [hidden, input])),
    weightHh: tf.variable(tf.tensor2d(data.weightHh, [hidden, hidden])),
    biasIh: tf.variable(tf.tensor1d(data.biasIh)),
    biasHh: tf.variable(tf.tensor1d(data.biasHh)),
  };
  const headWeight = tf.variable(tf.tensor2d(data.headWeight, [1, hidden]));
  const headBias = tf.variable(tf.tensor1d(data.headBias));
  const target = tf.tensor2d(data.target, [batch, 1]);
  const steps = tf.unstack(tf.tensor3d(data.x, [seq, batch, input])) as tf.Tensor2D[];
  const optimizer = tf.train.sgd(lr);
  return () => {
    const loss = optimizer.minimize(() => {
      const states = rnn(steps, p);
      const prediction = tf.add(tf.matMul(states[seq - 1], headWeight, false, true), headBias);
      return tf.losses.meanSquaredError(target, prediction) as tf.Scalar;
    }, true)!;
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };
}

if (process.argv.includes("--memory")) {
  const step = trainingStep();
  for (let i = 0; i < W3_MEMORY_STEPS; i++) step();
  report({ peakRssMb: peakRssMb() });
} else {
  const notes = [`tfjs ${tf.version_core} backend ${tf.getBackend()}`];
  if (backend === "wasm") {
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    notes.push(`wasm SIMD ${simd}, multithread support ${threads}, threads ${getThreadsCount()}`);
  }

  const w1: Record<string, number> = {};
  for (const n of W1_SIZES) {
    const a = tf.tensor2d(uniformArray(n * n, -1, 1, 11), [n, n]);
    const b = tf.tensor2d(uniformArray(n * n, -1, 1, 12), [n, n]);
    w1[n] = gflops(n, medianMs(() => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    }));
  }

  const seed = JSON.parse(readFileSync(new URL("../test/fixtures/seed.json", import.meta.url), "utf8")).cases[0];
  const param = (name: string) => tf.tensor(seed.params[name].data, seed.params[name].shape);
  const notebook = [param("weight_ih_l0"), param("weight_hh_l0"), param("bias_ih_l0"), param("bias_hh_l0")];
  const x = tf.tensor3d(seed.input.data, [W2.batch, W2.seq, W2.input]);
  const gradients = tf.grads((weightIh, weightHh, biasIh, biasHh) => {
    const states = rnn(tf.unstack(x, 1) as tf.Tensor2D[], { weightIh, weightHh, biasIh, biasHh } as RnnParams);
    return tf.add(tf.sum(tf.stack(states, 1)), tf.sum(states[states.length - 1]));
  });
  notes.push(checkNotebookGradients(tf.tidy(() => gradients(notebook).map((g) => g.dataSync())), seed.float32.grads.params));
  const w2 = medianMs(() => tf.tidy(() => gradients(notebook).forEach((g) => g.dataSync()))) * 1e3;

  const step = trainingStep();
  const w3 = medianMs(step);

  const y = tf.tensor2d(uniformArray(4, -1, 1, 13), [...W4.shape]);
  const start = uniformArray(4, -1, 1, 14);
  const lazy = medianMs(() =>
    tf.tidy(() => {
      let acc = tf.tensor2d(start, [...W4.shape]);
      for (let i = 0; i < W4.chain; i++) acc = tf.add(acc, y);
      acc.dataSync();
    }),
  ) * 1e3;

  const results: Results = { w1, w2, w3, w4: { lazy: lazy / W4.chain }, notes };
  report(results);
}
