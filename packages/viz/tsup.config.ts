import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    // ES modules only: `build` writes the CommonJS entry that re-exports it (scripts/write-cjs-entries.mjs).
    format: ["esm"],
    dts: true,
    // The CLI config below writes into the same folder at the same time; leave its files alone.
    clean: ["!cli.js", "!cli.js.map"],
    sourcemap: true,
    tsconfig: "tsconfig.build.json",
  },
  {
    entry: ["src/cli.ts"],
    format: ["esm"],
    sourcemap: true,
    tsconfig: "tsconfig.build.json",
    banner: { js: "#!/usr/bin/env node" },
  },
]);
