import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  // ES modules only: `build` writes the CommonJS entry that re-exports it (scripts/write-cjs-entries.mjs).
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  tsconfig: "tsconfig.build.json",
});
