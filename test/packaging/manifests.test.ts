// What the published manifests promise a user: entries that are in the tarball (no "source"
// condition pointing at src/, which is not packed), a README and a LICENSE beside them, one honest
// `engines` range, and the metadata a registry page shows. scripts/check-tarballs.mjs (CI) checks
// the packed tarballs themselves; this checks the manifests without a build.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const names = ["core", "nn", "viz", "onnx"] as const;

type Manifest = {
  name: string;
  description?: string;
  license?: string;
  repository?: { directory?: string };
  engines?: { node?: string };
  sideEffects?: boolean;
  files: string[];
  main?: string;
  types?: string;
  exports: Record<string, Record<string, unknown>>;
  publishConfig?: { exports?: Record<string, Record<string, unknown>> };
};

const read = (name: string): Manifest => JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8"));
const targets = (value: unknown): string[] =>
  typeof value === "string" ? [value] : value && typeof value === "object" ? Object.values(value).flatMap(targets) : [];

describe("published manifests", () => {
  for (const name of names) {
    const manifest = read(name);
    const published = manifest.publishConfig?.exports ?? manifest.exports;

    it(`${manifest.name}: every published entry is a packed file`, () => {
      const unpacked = [...targets(published), manifest.main, manifest.types].filter(
        (target) => !manifest.files.some((folder) => target?.startsWith(`./${folder}/`)),
      );
      expect(unpacked).toEqual([]);
    });

    it(`${manifest.name}: every published entry names its types, for import and for require`, () => {
      for (const conditions of Object.values(published)) {
        expect(Object.keys(conditions)).toEqual(["import", "require"]);
        for (const target of Object.values(conditions)) expect(target).toMatchObject({ types: expect.stringMatching(/\.d\.c?ts$/) });
      }
    });

    it(`${manifest.name}: the workspace keeps the "source" condition for vitest and tsx`, () => {
      for (const conditions of Object.values(manifest.exports)) expect(conditions.source).toMatch(/^\.\/src\/.*\.ts$/);
    });

    it(`${manifest.name}: README, LICENSE and registry metadata`, () => {
      expect(existsSync(join(root, "packages", name, "README.md"))).toBe(true);
      expect(readFileSync(join(root, "packages", name, "LICENSE"), "utf8")).toBe(readFileSync(join(root, "LICENSE"), "utf8"));
      expect(manifest.license).toBe("MIT");
      expect(manifest.description?.length).toBeGreaterThan(20);
      expect(manifest.repository?.directory).toBe(`packages/${name}`);
    });
  }

  it("state one engines range, with the Node versions that load ES modules with require()", () => {
    // ^20.19 / >=22.12: require(esm) without a warning (the CommonJS entries re-export the ES
    // modules), and the floor of the dependency tree (yargs 18, under vega-lite).
    expect(names.map((name) => read(name).engines?.node)).toEqual(names.map(() => "^20.19.0 || >=22.12.0"));
  });

  it("say which packages run code at import", () => {
    // core installs the Tensor methods and nn registers its loss ops when loaded; viz and onnx only define.
    expect(names.map((name) => read(name).sideEffects)).toEqual([true, true, false, false]);
  });
});
