// Loads every built package with plain Node, as ESM and as CommonJS: vitest's module interop
// would hide mistakes that users of the published packages hit.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const entries = ["@gradgraph/core", "@gradgraph/core/testing", "@gradgraph/nn", "@gradgraph/viz", "@gradgraph/onnx"];
for (const entry of entries) {
  const esm = await import(entry);
  const cjs = require(entry);
  if (Object.keys(esm).length === 0 || Object.keys(cjs).length === 0) throw new Error(`${entry}: no exports`);
}
const { tensor } = await import("@gradgraph/core");
const value = tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]])).sum().item();
if (value !== 10) throw new Error(`dist: expected 10, got ${value}`);
console.log(`dist: ${entries.length} entries load as ESM and CJS`);
