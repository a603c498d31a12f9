// A CommonJS user of @gradgraph/nn in the same process as an ES module import of @gradgraph/core:
// both must be one package (one op registry, one Tensor class), not a copy per module system.
"use strict";
const nn = require("@gradgraph/nn");
const requiredCore = require("@gradgraph/core");
const expected = require("./expected.cjs");

async function main() {
  const importedCore = await import("@gradgraph/core");
  if (requiredCore.Tensor !== importedCore.Tensor) throw new Error("cjs: require() and import gave two Tensor classes");

  // A tensor from the ESM core goes through the CommonJS nn.
  const rnn = new nn.RNN({ inputSize: 1, hiddenSize: 1 });
  rnn.loadStateDict(expected.weights);
  const optimizer = new nn.SGD(rnn.parameters(), { lr: expected.learningRate });
  const [, hN] = rnn.forward(importedCore.tensor(expected.inputs.map((x) => [[x]])));
  const loss = hN.sum();
  loss.backward();
  optimizer.step();
  expected.check("cjs", "loss", loss.item(), expected.loss);
  expected.check("cjs", "bias_hh_l0 after the step", rnn.stateDict().bias_hh_l0.item(), expected.biasHhAfterStep);

  // An op registered through the ESM entry is seen, and applied, through the CommonJS one.
  const squareOp = importedCore.registerOp(importedCore.unaryOp("consumerSquare", "a * a", (g, { inputs: [x] }) => [importedCore.mul(g, importedCore.mul(x, 2))]));
  if (requiredCore.getOp("consumerSquare") !== squareOp) throw new Error("cjs: an op registered through import is not in require()'s registry");
  const squared = requiredCore.apply(squareOp, [requiredCore.tensor([3])]).add(importedCore.tensor([1]));
  expected.check("cjs", "consumerSquare(3) + 1", squared.item(), 10);
  // The testing entry, required, reads tensors of the imported core.
  require("@gradgraph/core/testing").assertClose(squared, importedCore.tensor([10]));
  // And the ops nn registers when it loads are in the one registry both entries read.
  const [requiredOps, importedOps] = [requiredCore.registeredOps(), importedCore.registeredOps()];
  const builtins = new Set(Object.values(importedCore.builtinOps));
  const nnOps = requiredOps.filter((op) => !builtins.has(op) && op !== squareOp);
  if (nnOps.length === 0 || requiredOps.length !== importedOps.length || requiredOps.some((op, i) => op !== importedOps[i])) {
    throw new Error(`cjs: two op registries (${requiredOps.length} ops through require(), ${importedOps.length} through import)`);
  }
  console.log("cjs consumer: ok");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
