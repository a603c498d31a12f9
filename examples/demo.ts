/**
 * The README's first command runs this: the notebook's RNN checked by hand, a short training run
 * of the character model and the sine regression, and pictures of the notebook's graphs.
 *
 *   pnpm demo
 */
import { trainCharRnn } from "./char-rnn";
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

if (!notebookAgrees) {
  console.error("\nthe notebook check failed");
  process.exit(1);
}
