/**
 * Node's file system, looked up when a function that needs it runs instead of imported, so that
 * bundling @gradgraph/nn for a browser (esbuild, Vite, webpack) pulls in no Node module:
 * `process.getBuiltinModule` (Node >= 20.16) hands out the built-ins at run time.
 */
export interface NodeFiles {
  fs: typeof import("node:fs/promises");
  path: typeof import("node:path");
  crypto: typeof import("node:crypto");
}

/**
 * The built-ins file I/O uses; where there are none (a browser page or worker), an error naming
 * `caller` and saying what to use there instead.
 */
export function nodeFiles(caller: string, instead: string): NodeFiles {
  const proc = globalThis.process as Partial<NodeJS.Process> | undefined;
  if (typeof proc?.getBuiltinModule !== "function") {
    throw new Error(`${caller}: files need Node.js, and this environment (a browser?) has no file system; ${instead}`);
  }
  return {
    fs: proc.getBuiltinModule("node:fs/promises"),
    path: proc.getBuiltinModule("node:path"),
    crypto: proc.getBuiltinModule("node:crypto"),
  };
}
