/**
 * Bundles the browser example (or any entry) for a web page with esbuild, the way a user's bundler
 * would see @gradgraph/core and @gradgraph/nn: platform "browser", and a Node module anywhere on
 * the import path fails the build, naming the module and who imported it.
 *
 *   node --import tsx examples/browser/build.ts        writes examples/browser/dist/main.js
 */
import { fileURLToPath } from "node:url";
import { type Plugin, build } from "esbuild";

/**
 * esbuild already refuses bare built-ins ("events") for the browser; this makes a `node:` import
 * an error too, even where an `external` or an alias would have let it through.
 */
const noNodeModules: Plugin = {
  name: "no-node-modules",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, ({ path, importer }) => ({
      errors: [{ text: `${path} is a Node module, imported by ${importer}: a browser bundle must not reach it` }],
    }));
  },
};

/** Bundles `entry` into `outdir` as ES modules (vega, loaded only by lossCurveSvg, goes to a chunk of its own). */
export async function bundleForBrowser(entry: string, outdir: string): Promise<void> {
  await build({
    entryPoints: { main: entry },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // The workspace packages from their TypeScript sources, as the tests and examples read them.
    conditions: ["source"],
    plugins: [noNodeModules],
    logLevel: "silent",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleForBrowser(fileURLToPath(new URL("main.ts", import.meta.url)), fileURLToPath(new URL("dist", import.meta.url)));
  console.log("wrote examples/browser/dist/main.js; serve it with: node --import tsx examples/browser/serve.ts");
}
