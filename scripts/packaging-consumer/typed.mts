// A strict TypeScript user without @types/node, compiled as an ES module (the "import" types).
import { type Tensor, tensor } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";
import { type ProgressOptions, RNN, SGD, createProgress } from "@gradgraph/nn";
import { toDot, toSvg } from "@gradgraph/viz";
import expected from "./expected.cjs";

// Without @types/node or the DOM library there is no `console`: the one member used, declared.
declare const console: { log(message: string): void };

const rnn = new RNN({ inputSize: 1, hiddenSize: 1 });
rnn.loadStateDict(expected.weights);
const optimizer = new SGD(rnn.parameters(), { lr: expected.learningRate });
const [, hN]: [Tensor, Tensor] = rnn.forward(tensor(expected.inputs.map((x) => [[x]])));
const loss = hN.sum();
loss.backward();
optimizer.step();
expected.check("typed.mts", "loss", loss.item(), expected.loss);
assertClose(rnn.stateDict().bias_hh_l0, tensor([expected.biasHhAfterStep]), { atol: 1e-6 });

// A progress stream of the user's own, typed without Node's stream types (not a TTY: silent).
const progressOptions: ProgressOptions = { total: 1, stream: { write: () => true, isTTY: false } };
if (createProgress(progressOptions).active) throw new Error("typed.mts: a progress bar on a stream that is not a TTY");
const svg: string = await toSvg(toDot(loss));
if (!svg.includes("<svg")) throw new Error("typed.mts: toSvg gave no SVG");
console.log("typed.mts consumer: ok");
