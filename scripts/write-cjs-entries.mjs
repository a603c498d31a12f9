// Writes each CommonJS entry of the package in the current folder as a re-export of its ES module
// (run by the package's `build`, after tsup). A separate CommonJS build would be a second copy of
// the package: `require("@gradgraph/nn")` next to `import "@gradgraph/core"` would load two op
// registries and two Tensor classes ("matmul: input 1 must be a Tensor, got object"). Node
// ^20.19 and >=22.12 (the engines every manifest states) load an ES module with require() without
// a warning, into the same module instance that `import` gets, as long as it has no top-level await.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const manifest = JSON.parse(readFileSync("package.json", "utf8"));

for (const [subpath, conditions] of Object.entries(manifest.publishConfig?.exports ?? manifest.exports)) {
  const { import: esm, require: cjs } = conditions;
  if (!esm || !cjs) throw new Error(`${manifest.name} exports["${subpath}"]: expected "import" and "require" conditions`);
  writeFileSync(
    cjs.default,
    `"use strict";\n// The ES module itself, so that require() and import share one instance (scripts/write-cjs-entries.mjs).\n` +
      `module.exports = require("./${relative(dirname(cjs.default), esm.default)}");\n`,
  );
  writeFileSync(cjs.types, commonJsDeclarations(esm.types));
}

/**
 * The ES module's declarations, to be read as CommonJS ones. TypeScript refuses a CommonJS file's
 * import of a package whose types are ES-module-only (@dagrejs/graphlib: "type": "module" and one
 * .d.ts), so those imports become type-only imports resolved as ESM (they only name types here).
 */
function commonJsDeclarations(path) {
  const declarations = readFileSync(path, "utf8");
  const exported = new Set([...declarations.matchAll(/^export \{([^}]*)\}/gm)].flatMap(([, list]) => list.split(",").map((name) => name.trim().split(/\s+/).pop())));
  return declarations.replace(/^import (.+) from '([^']+)';$/gm, (line, bindings, specifier) => {
    if (specifier.startsWith(".")) throw new Error(`${path}: a relative import; its .d.cts copy would read ESM files as CommonJS`);
    if (!esmOnlyTypes(specifier)) return line;
    const reexported = bindings.replace(/[{}*]|\bas\b/g, " ").split(/[\s,]+/).filter((name) => exported.has(name));
    if (reexported.length > 0) throw new Error(`${path}: re-exports ${reexported} of '${specifier}', which a type-only import cannot`);
    return `import type ${bindings} from '${specifier}' with { "resolution-mode": "import" };`;
  });
}

/** Whether a dependency's types, as TypeScript resolves them for require(), are an ES module's. */
function esmOnlyTypes(specifier) {
  const packageName = specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
  const packageDir = packageName === manifest.name ? "." : join("node_modules", packageName);
  const dependency = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const entry = dependency.exports?.["."] ?? dependency.exports;
  const target = entry === undefined ? (dependency.types ?? dependency.typings ?? dependency.main ?? "index.js") : pick(entry, ["types", "require", "node", "default"]);
  if (typeof target !== "string") throw new Error(`'${packageName}' has no types for require()`);
  if (/\.d\.mts$|\.mjs$/.test(target)) return true;
  if (/\.d\.cts$|\.cjs$/.test(target)) return false;
  // A .d.ts or .js file is what the nearest package.json's "type" says (fast-check's lib/cjs has its own).
  for (let dir = dirname(join(packageDir, target)); ; dir = dirname(dir)) {
    const scope = join(dir, "package.json");
    if (existsSync(scope)) return JSON.parse(readFileSync(scope, "utf8")).type === "module";
  }
}

/** The target Node's resolution (and TypeScript's) picks from an exports entry: the first key it knows, in object order. */
function pick(entry, conditions) {
  if (typeof entry === "string" || entry === null) return entry;
  const key = Object.keys(entry).find((condition) => conditions.includes(condition));
  return key === undefined ? undefined : pick(entry[key], conditions);
}
