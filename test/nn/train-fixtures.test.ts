import type { FloatDType, Tensor } from "@gradgraph/core";
import { describe, expect, test } from "vitest";
import { Adam, SGD, crossEntropyLoss, mseLoss, trainStep } from "../../packages/nn/src";
import { type Tolerance, assertClose } from "@gradgraph/core/testing";
import { type FixtureTensor, fromFixture, loadFixture } from "../helpers/fixtures";
import { RnnRegressor } from "./helpers";

type Results = {
  losses: number[];
  final_loss: number;
  grads_step0: Record<string, FixtureTensor>;
  final_state_dict: Record<string, FixtureTensor>;
};

type TrainCase = {
  id: string;
  model: { rnn: { input_size: number; hidden_size: number }; head: { out_features: number } };
  loss: { type: "mse" | "cross_entropy" };
  optimizer:
    | { type: "sgd"; lr: number; momentum: number }
    | { type: "adam"; lr: number; betas: [number, number]; eps: number };
  steps: number;
  data: { x: FixtureTensor; y: FixtureTensor };
  initial_state_dict: Record<string, FixtureTensor>;
  float64: Results;
  float32: Results;
};

const tolerances: Record<FloatDType, Tolerance> = {
  float64: { atol: 1e-8, rtol: 1e-7 },
  float32: { atol: 1e-5, rtol: 1e-4 },
};

/**
 * Replays the recorded PyTorch run: each step zeroes the gradients, computes the loss on the full
 * batch, backpropagates, records the loss, then updates. Two loops drive it: PyTorch's idiom
 * (zeroGrad / backward / step) and `trainStep`, which must agree with it exactly.
 */
function replay(c: TrainCase, dtype: FloatDType, style: "backward" | "trainStep") {
  const model = new RnnRegressor(c.model.rnn.input_size, c.model.rnn.hidden_size, c.model.head.out_features, dtype);
  model.loadStateDict(c.initial_state_dict);
  const x = fromFixture(c.data.x, dtype);
  const y = fromFixture(c.data.y, dtype);
  const o = c.optimizer;
  const optimizer =
    o.type === "sgd" ? new SGD(model.parameters(), { lr: o.lr, momentum: o.momentum }) : new Adam(model.parameters(), { lr: o.lr, betas: o.betas, eps: o.eps });
  const lossOf = (): Tensor => (c.loss.type === "mse" ? mseLoss(model.forward(x), y) : crossEntropyLoss(model.forward(x), y));

  const losses: number[] = [];
  let gradsStep0: Record<string, Float32Array | Float64Array> = {};
  for (let step = 0; step < c.steps; step++) {
    if (style === "trainStep") {
      losses.push(trainStep(optimizer, lossOf()));
    } else {
      optimizer.zeroGrad();
      const loss = lossOf();
      loss.backward();
      losses.push(loss.item());
    }
    if (step === 0) gradsStep0 = Object.fromEntries(model.namedParameters().map(([k, p]) => [k, p.grad!.data() as Float64Array]));
    if (style === "backward") optimizer.step();
  }
  return { losses, gradsStep0, finalLoss: lossOf().item(), finalState: model.stateDict() };
}

for (const c of loadFixture<TrainCase>("train.json")) {
  describe(c.id, () => {
    for (const dtype of ["float64", "float32"] as const) {
      test(dtype, () => {
        const expected = c[dtype];
        const tol = tolerances[dtype];
        const run = replay(c, dtype, "backward");
        assertClose(run.losses, expected.losses, { ...tol, label: "losses" });
        for (const [name, g] of Object.entries(expected.grads_step0)) assertClose(run.gradsStep0[name], g.data, { ...tol, label: `grads_step0 ${name}` });
        expect(Object.keys(run.finalState)).toEqual(Object.keys(expected.final_state_dict));
        for (const [name, p] of Object.entries(expected.final_state_dict)) {
          expect(run.finalState[name].dtype).toBe(dtype);
          assertClose(run.finalState[name].data(), p.data, { ...tol, label: `final_state_dict ${name}` });
        }
        assertClose(run.finalLoss, expected.final_loss, { ...tol, label: "final_loss" });
        // The loss must actually have moved: the fixture is a real training run.
        expect(run.finalLoss).toBeLessThan(run.losses[0]);

        const fused = replay(c, dtype, "trainStep");
        expect(fused.losses).toEqual(run.losses);
        expect(fused.finalLoss).toBe(run.finalLoss);
      });
    }
  });
}
