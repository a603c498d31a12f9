// Each package's type build must see only its own sources, and the other workspace packages
// through their published entries: a program that took in the other packages' dist failed
// `pnpm build` whenever a parallel build was cleaning that dist (TS6053), and shipped no types.
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import type { Options } from "tsup";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

async function buildTsconfigs(name: string): Promise<string[]> {
  const { default: config } = (await import(`../../packages/${name}/tsup.config.ts`)) as { default: Options | Options[] };
  return [...new Set((Array.isArray(config) ? config : [config]).map((options) => join(root, "packages", name, options.tsconfig ?? "tsconfig.json")))];
}

function parse(path: string): ts.ParsedCommandLine {
  const { config, error } = ts.readConfigFile(path, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  return ts.parseJsonConfigFileContent(config, ts.sys, dirname(path), undefined, path);
}

describe("package builds", () => {
  for (const name of ["core", "nn", "viz"]) {
    it(`${name} compiles only packages/${name}/src`, async () => {
      for (const tsconfig of await buildTsconfigs(name)) {
        const outside = parse(tsconfig).fileNames.map((file) => relative(root, file)).filter((file) => !file.startsWith(`packages/${name}/src/`));
        expect(outside.slice(0, 5)).toEqual([]);
      }
    });
  }

  for (const name of ["nn", "viz"]) {
    it(`${name} reads @gradgraph/core through its published entry, not its sources`, async () => {
      for (const tsconfig of await buildTsconfigs(name)) {
        expect(parse(tsconfig).options.customConditions ?? []).not.toContain("source");
      }
    });
  }
});
