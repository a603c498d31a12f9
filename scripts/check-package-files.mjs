// The files a published package must contain: every target of its exports (as published, so
// publishConfig.exports when there is one), main/module/types, its bins, a README and a LICENSE.
// As the packages' `prepack` it stops a pack whose build failed half way (types missing); the
// tarball check (scripts/check-tarballs.mjs) runs the same list on what was packed.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Paths relative to the package root, without "./". */
function requiredFiles(manifest) {
  const targets = [];
  const collect = (value) => {
    if (typeof value === "string") targets.push(value);
    else if (value && typeof value === "object") Object.values(value).forEach(collect);
  };
  collect(manifest.publishConfig?.exports ?? manifest.exports);
  collect([manifest.main, manifest.module, manifest.types, manifest.bin]);
  return [...new Set(["README.md", "LICENSE", ...targets.map((path) => path.replace(/^\.\//, ""))])];
}

/** The required files `has` does not find, and whether every export entry names its types. */
export function packageProblems(manifest, has) {
  const problems = requiredFiles(manifest)
    .filter((path) => !has(path))
    .map((path) => `${manifest.name}: ${path} is missing`);
  for (const [subpath, conditions] of Object.entries(manifest.publishConfig?.exports ?? manifest.exports ?? {})) {
    for (const [condition, target] of Object.entries(conditions)) {
      if (typeof target !== "object" || !target.types) problems.push(`${manifest.name}: exports["${subpath}"].${condition} names no types`);
    }
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = packageProblems(JSON.parse(readFileSync("package.json", "utf8")), existsSync);
  if (problems.length > 0) {
    console.error(`Not packing (run \`pnpm build\` first?):\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
}
