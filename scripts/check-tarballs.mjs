// CI, after `pnpm build`: packs the four packages as they would be published, installs the
// tarballs into a fresh folder outside the workspace (registry packages from the pnpm store, or the
// registry where the store lacks a newer patch), and runs what a user would: an ES module, a
// CommonJS module that also imports core as ESM (one package, not two), and a strict TypeScript
// project without @types/node (node16 and bundler resolution), plus a browser bundle (ESM).
// Fails on a tarball without its types, README or LICENSE, on a dependency whose engines exclude
// a Node version ours admit, on peer dependency problems, and on anything a consumer prints to stderr.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageProblems } from "./check-package-files.mjs";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const packages = ["core", "nn", "viz", "onnx"];
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), "gradgraph-tarballs-"));
const tarballs = join(work, "tarballs");
const consumer = join(work, "consumer");

/** Runs a command to its end; its stdout and stderr, or an error with both. */
function run(command, args, cwd) {
  const { status, stdout, stderr, error } = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (error || status !== 0) throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed:\n${error ?? ""}${stdout}${stderr}`);
  return { stdout, stderr };
}

async function main() {
  // 1. Pack, and check each tarball's files against its published manifest.
  const manifests = {};
  for (const name of packages) {
    run("pnpm", ["pack", "--pack-destination", tarballs], join(root, "packages", name));
  }
  for (const file of readdirSync(tarballs)) {
    const tarball = join(tarballs, file);
    const listing = new Set(run("tar", ["-tzf", tarball], work).stdout.split("\n"));
    const manifest = JSON.parse(run("tar", ["-xzOf", tarball, "package/package.json"], work).stdout);
    const problems = packageProblems(manifest, (path) => listing.has(`package/${path}`));
    if (problems.length > 0) throw new Error(`${file}:\n  ${problems.join("\n  ")}`);
    manifests[manifest.name] = { manifest, spec: `file:${tarball}` };
  }

  // 2. Install them as a user would, once for each lowest Node version our engines admit, with
  // engines enforced: every package of the tree must accept every Node version we claim to support.
  const ourEngines = new Set(Object.values(manifests).map(({ manifest }) => manifest.engines?.node));
  if (ourEngines.size !== 1 || ourEngines.has(undefined)) throw new Error(`the packages state different engines: ${[...ourEngines]}`);
  const [enginesRange] = ourEngines;
  // The first version of each alternative ("^20.19.0 || >=22.12.0": 20.19.0 and 22.12.0; ">=20": 20.0.0).
  const lowestVersions = enginesRange.split("||").map((alternative) => {
    const [major, minor = "0", patch = "0"] = alternative.match(/\d+(\.\d+){0,2}/)?.[0].split(".") ?? [];
    if (major === undefined) throw new Error(`engines "${enginesRange}": no lowest version in "${alternative.trim()}"`);
    return `${major}.${minor}.${patch}`;
  });
  const workspaceManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  cpSync(join(root, "scripts", "packaging-consumer"), consumer, { recursive: true });
  const dependencies = Object.fromEntries(Object.entries(manifests).map(([name, { spec }]) => [name, spec]));
  // fast-check: the optional peer dependency of @gradgraph/core/testing, which the typed consumer uses.
  dependencies["fast-check"] = workspaceManifest.devDependencies["fast-check"];
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "gradgraph-consumer", private: true, dependencies }, null, 2));
  for (const nodeVersion of lowestVersions) {
    rmSync(join(consumer, "node_modules"), { recursive: true, force: true });
    rmSync(join(consumer, "pnpm-lock.yaml"), { force: true });
    // nn, viz and onnx depend on core (onnx on nn too) by version: the overrides keep the registry out of it.
    const overrides = Object.keys(manifests).map((name) => `  "${name}": "${dependencies[name]}"\n`).join("");
    writeFileSync(
      join(consumer, "pnpm-workspace.yaml"),
      `overrides:\n${overrides}engineStrict: true\nnodeVersion: ${nodeVersion}\nstrictPeerDependencies: true\n`,
    );
    const { stdout, stderr } = run("pnpm", ["install", "--prefer-offline"], consumer);
    const complaints = `${stdout}${stderr}`.split("\n").filter((line) => /EBADENGINE|unsupported engine|peer dep|unmet peer|missing peer/i.test(line));
    if (complaints.length > 0) throw new Error(`install for Node ${nodeVersion}:\n${complaints.join("\n")}`);
  }
  if (existsSync(join(consumer, "node_modules", "@types", "node"))) throw new Error("the consumer has @types/node; the typed check would not show a leak");

  // 3. The consumers, under plain Node; a warning (ExperimentalWarning from require of ESM) fails too.
  function runConsumer(file) {
    const { stdout, stderr } = run(process.execPath, [file], consumer);
    if (stderr !== "" || !stdout.includes("consumer: ok")) throw new Error(`${file}: ${stdout}${stderr}`);
  }
  runConsumer("esm.mjs");
  runConsumer("cjs.cjs");
  const workspaceRequire = createRequire(join(root, "package.json"));
  const tsc = workspaceRequire.resolve("typescript/bin/tsc");
  run(process.execPath, [tsc, "-p", "tsconfig.node16.json"], consumer);
  run(process.execPath, [tsc, "-p", "tsconfig.bundler.json"], consumer);
  runConsumer("typed.js");
  runConsumer("typed.mjs");

  // 4. A browser bundle takes the ES modules: no CommonJS entry, no second copy.
  const esbuild = workspaceRequire("esbuild");
  const bundle = await esbuild.build({
    stdin: { contents: 'import { tensor } from "@gradgraph/core"; tensor([1]).exp();', resolveDir: consumer },
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const bundled = Object.keys(bundle.metafile.inputs).filter((input) => input.includes("@gradgraph/"));
  if (!bundled.some((input) => input.endsWith("dist/index.js")) || bundled.some((input) => input.endsWith(".cjs"))) {
    throw new Error(`browser bundle: expected core's ES module only, got ${bundled}`);
  }
  return lowestVersions;
}

try {
  const nodeVersions = await main();
  rmSync(work, { recursive: true, force: true });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`tarballs: ${packages.length} packed, installed for Node ${nodeVersions.join(" and ")}, ESM/CJS/TypeScript/browser consumers ok (${seconds} s)`);
} catch (error) {
  console.error(`${error.message}\n(the tarballs and the consumer are left in ${work})`);
  process.exit(1);
}
