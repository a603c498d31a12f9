import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    // The CLI config below writes into the same folder at the same time; leave its files alone.
    clean: ["!cli.js", "!cli.js.map"],
    sourcemap: true,
    tsconfig: "../../tsconfig.base.json",
  },
  {
    entry: ["src/cli.ts"],
    format: ["esm"],
    sourcemap: true,
    tsconfig: "../../tsconfig.base.json",
    banner: { js: "#!/usr/bin/env node" },
  },
]);
