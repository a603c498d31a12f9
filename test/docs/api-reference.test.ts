/**
 * The API reference (`pnpm run docs`, typedoc.json) documents every public entry of the packages:
 * its entry points are exactly the `source` files of the packages' `exports`, so an entry added to
 * a package.json is not left out of the reference (nor of its check that every export has a doc
 * comment). The build itself runs in CI, not here: it takes seconds of both cores.
 */
import { readFileSync, readdirSync } from "node:fs";
import { expect, test } from "vitest";

const root = new URL("../../", import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, root), "utf8"));

interface PackageJson {
  exports: Record<string, { source: string }>;
}

test("typedoc.json's entry points are the source files of every package's exports", () => {
  const packageDirs = readdirSync(new URL("packages/", root), { withFileTypes: true }).filter((entry) => entry.isDirectory());
  const sources = packageDirs.flatMap(({ name }) => {
    const { exports } = readJson(`packages/${name}/package.json`) as PackageJson;
    return Object.values(exports).map(({ source }) => `packages/${name}/${source.replace(/^\.\//, "")}`);
  });
  expect(sources.length).toBeGreaterThanOrEqual(4);
  expect([...readJson("typedoc.json").entryPoints].sort()).toEqual(sources.sort());
});

test("the reference fails on an undocumented export of the packages, and on every other warning", () => {
  const config = readJson("typedoc.json");
  expect(config.treatWarningsAsErrors).toBe(true);
  expect(config.validation).toMatchObject({ notDocumented: true, notExported: true, invalidLink: true });
  // TypeDoc checks only the packages named here; without them it would check none of ours.
  expect([...config.packagesRequiringDocumentation].sort()).toEqual(["@gradgraph/core", "@gradgraph/nn", "@gradgraph/onnx", "@gradgraph/viz"]);
  expect(config.requiredToBeDocumented).toEqual(expect.arrayContaining(["Class", "Function", "Interface", "TypeAlias", "Variable", "Method"]));
});
