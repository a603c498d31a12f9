import { defineConfig } from "vitest/config";

export default defineConfig({
  ssr: { resolve: { conditions: ["source", "module", "node", "development|production"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // The memory tests force collections (globalThis.gc) to count what stays alive.
    execArgv: ["--expose-gc"],
    reporters: ["default", "./test/count-reporter.ts"],
  },
});
