import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts" },
  // ES modules only: the CommonJS entries that `build` writes next to them re-export these files
  // (scripts/write-cjs-entries.mjs), so require() and import share one op registry and one Tensor.
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  tsconfig: "tsconfig.build.json",
  // The testing entry imports the main one by name, so both builds share one op registry.
  external: ["fast-check", "@gradgraph/core"],
});
