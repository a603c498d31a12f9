/**
 * The README's first command runs this: the notebook's RNN checked by hand, a short training run
 * of the character model, the sine regression, the transformer encoder and the convolutional
 * digit reader, and pictures of the notebook's graphs.
 *
 *   pnpm demo
 */
import { trainCharRnn } from "./char-rnn";
import { trainDigits } from "./digits";
import { trainFirstRepeat } from "./first-repeat";
import { reportNotebook } from "./notebook";
import { trainSine } from "./sine";
import { writeNotebookGraphs } from "./viz";

console.log("== 1. The notebook: nn.RNN(5, 2, batch_first=True) against a hand-written loop ==");
const notebookAgrees = reportNotebook();

console.log("\n== 2. Graph pictures of the notebook's RNN (Graphviz in WebAssembly) ==");
for (const path of await writeNotebookGraphs("out")) console.log(`wrote ${path}`);

console.log("\n== 3. Training: next value of a noisy sine wave (RNN + Linear, Adam) ==");
await trainSine({ steps: 200 });

console.log("\n== 4. Training: a character-level LSTM on the opening of Alice in Wonderland ==");
await trainCharRnn({ steps: 300 });

console.log("\n== 5. Training: a transformer encoder tells whether a sequence's first letter occurs again (AdamW) ==");
const { testAccuracy } = await trainFirstRepeat({ steps: 300 });
const reachesStatedAccuracy = testAccuracy >= 0.95;
console.log(`${reachesStatedAccuracy ? "ok  " : "FAIL"}  at least 95% test accuracy`);

console.log("\n== 6. Training: a convolutional network reads noisy digits wherever they sit (Conv2d + MaxPool2d, Adam) ==");
const digits = await trainDigits({ steps: 500 });
const digitsReachStatedAccuracy = digits.testAccuracy >= 0.95;
console.log(`${digitsReachStatedAccuracy ? "ok  " : "FAIL"}  at least 95% test accuracy`);

if (!notebookAgrees) {
  console.error("\nthe notebook check failed");
  process.exit(1);
}
if (!reachesStatedAccuracy) {
  console.error("\nthe transformer encoder missed its stated test accuracy");
  process.exit(1);
}
if (!digitsReachStatedAccuracy) {
  console.error("\nthe convolutional network missed its stated test accuracy");
  process.exit(1);
}
