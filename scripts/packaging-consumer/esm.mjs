// An ES module user of the packed packages: a tiny RNN, one SGD step, values checked by hand.
import { tensor } from "@gradgraph/core";
import { RNN, SGD } from "@gradgraph/nn";
import { toDot } from "@gradgraph/viz";
import expected from "./expected.cjs";

const rnn = new RNN({ inputSize: 1, hiddenSize: 1 });
rnn.loadStateDict(expected.weights);
const optimizer = new SGD(rnn.parameters(), { lr: expected.learningRate });
const [, hN] = rnn.forward(tensor(expected.inputs.map((x) => [[x]])));
const loss = hN.sum();
loss.backward();
optimizer.step();

expected.check("esm", "loss", loss.item(), expected.loss);
expected.check("esm", "bias_hh_l0 after the step", rnn.stateDict().bias_hh_l0.item(), expected.biasHhAfterStep);
if (!toDot(loss).startsWith("digraph")) throw new Error("esm: toDot gave no DOT");
console.log("esm consumer: ok");
