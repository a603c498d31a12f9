// A strict TypeScript user without @types/node, compiled as CommonJS (the "require" types).
import { type Tensor, tensor } from "@gradgraph/core";
import { RNN, SGD } from "@gradgraph/nn";
import { toDot } from "@gradgraph/viz";
import expected = require("./expected.cjs");

// Without @types/node or the DOM library there is no `console`: the one member used, declared.
declare const console: { log(message: string): void };

const rnn = new RNN({ inputSize: 1, hiddenSize: 1 });
rnn.loadStateDict(expected.weights);
const optimizer = new SGD(rnn.parameters(), { lr: expected.learningRate });
const [, hN]: [Tensor, Tensor] = rnn.forward(tensor(expected.inputs.map((x) => [[x]])));
const loss = hN.sum();
loss.backward();
optimizer.step();
expected.check("typed.ts", "loss", loss.item(), expected.loss);
expected.check("typed.ts", "bias_hh_l0 after the step", rnn.stateDict().bias_hh_l0.item(), expected.biasHhAfterStep);
const dot: string = toDot(loss);
if (!dot.startsWith("digraph")) throw new Error("typed.ts: toDot gave no DOT");
console.log("typed.ts consumer: ok");
