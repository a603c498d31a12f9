/**
 * A PyTorch-style training loop keeps no more memory at step 500 than at step 50: the live graph
 * nodes and arrays, counted after forced collections, are the same, with Adam (whose per-step
 * bias corrections used to leave a constant behind every step) and on an LSTM.
 */
import { describe, expect, it } from "vitest";
import { Generator, type Tensor, tensor, trackLiveObjects } from "@gradgraph/core";
import { Adam, Linear, LSTM, Module, mseLoss } from "@gradgraph/nn";
import { settledLiveCounts } from "../helpers/liveCounts";


function randomTensor(generator: Generator, shape: number[]): Tensor {
  const values = new Float32Array(shape.reduce((n, d) => n * d, 1));
  generator.fillUniform(values, -1, 1);
  return tensor(values, { shape });
}

/** `zeroGrad(); loss = f(model(x)); loss.backward(); step(); loss.item()`, counting at steps 50 and 500. */
async function countsAt(model: Module<[Tensor], Tensor>, x: Tensor, y: Tensor): Promise<Readonly<Record<string, number>>[]> {
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const counts: Readonly<Record<string, number>>[] = [];
  let last = Infinity;
  for (let step = 1; step <= 500; step++) {
    optimizer.zeroGrad();
    const loss = mseLoss(model.call(x), y);
    loss.backward();
    optimizer.step();
    last = loss.item();
    if (step === 50 || step === 500) counts.push(await settledLiveCounts());
  }
  expect(Number.isFinite(last)).toBe(true);
  return counts;
}

/** An LSTM read at its last step: the PyTorch habit `out, _ = lstm(x); pred = out[-1]`. */
class LastStep extends Module {
  readonly lstm: LSTM;

  constructor(generator: Generator) {
    super({ name: "model" });
    this.lstm = this.registerModule("lstm", new LSTM({ inputSize: 4, hiddenSize: 16, numLayers: 2, generator }));
  }

  forward(x: Tensor): Tensor {
    return this.lstm.call(x)[0].select(0, -1);
  }
}

async function flatCounts(build: (generator: Generator) => { model: Module<[Tensor], Tensor>; x: Tensor; y: Tensor }): Promise<void> {
  trackLiveObjects(true);
  try {
    const { model, x, y } = build(new Generator(1));
    const [at50, at500] = await countsAt(model, x, y);
    expect(at50.nodes).toBeGreaterThan(0);
    expect(at500).toEqual(at50);
  } finally {
    trackLiveObjects(false);
  }
}

describe("memory stays flat in a training loop", () => {
  it("Linear(256, 256) with Adam: the same live nodes and arrays at step 50 and at step 500", () =>
    flatCounts((generator) => ({
      model: new Linear(256, 256, { generator }),
      x: randomTensor(generator, [8, 256]),
      y: randomTensor(generator, [8, 256]),
    })));

  it("a 2-layer LSTM with Adam: the same live nodes and arrays at step 50 and at step 500", () =>
    flatCounts((generator) => ({ model: new LastStep(generator), x: randomTensor(generator, [6, 3, 4]), y: randomTensor(generator, [3, 16]) })));
});
