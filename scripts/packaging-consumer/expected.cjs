// The consumers' truth, computed by hand in plain JS: a 1-unit tanh RNN over two steps, the loss
// h2, and the hidden-to-hidden bias after one SGD step (dL/db_hh through both steps, h0 = 0).
"use strict";

const weights = { weight_ih_l0: [[0.5]], weight_hh_l0: [[-0.25]], bias_ih_l0: [0.1], bias_hh_l0: [0] };
const inputs = [1, 2];
const learningRate = 0.1;

const [wIh, wHh, bIh, bHh] = [0.5, -0.25, 0.1, 0];
const h1 = Math.tanh(wIh * inputs[0] + bIh + bHh);
const h2 = Math.tanh(wIh * inputs[1] + bIh + wHh * h1 + bHh);
const dLossDBiasHh = (1 - h2 * h2) * (1 + wHh * (1 - h1 * h1));

function check(consumer, name, actual, expected) {
  if (!(Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)))) {
    throw new Error(`${consumer}: ${name} is ${actual}, expected ${expected}`);
  }
}

module.exports = { weights, inputs, learningRate, loss: h2, biasHhAfterStep: bHh - learningRate * dLossDBiasHh, check };
