import { toDot } from "./dot";
import type { VizOptions } from "./graph";
import { bundledGraphviz } from "./graphviz";
import { toHtml } from "./html";
import type { GraphSource } from "./source";

/** Renders DOT to SVG with the bundled Graphviz. Layout errors throw; warnings (font metrics) do not. */
export async function toSvg(dot: string): Promise<string> {
  const graphviz = await bundledGraphviz();
  let result: ReturnType<typeof graphviz.render>;
  try {
    result = graphviz.render(dot, { format: "svg" });
  } catch (error) {
    // Graphviz's WebAssembly traps (out of memory on a huge layout) come as bare RuntimeErrors.
    throw new Error(`toSvg: Graphviz failed on a graph of ${dot.length} characters of DOT (${(error as Error).message}); a smaller budget (maxNodes, maxEdges) or a collapse depth gives a smaller picture`, { cause: error });
  }
  if (result.status === "failure") {
    const messages = result.errors.filter((e) => e.level !== "warning").map((e) => e.message.trim());
    throw new Error(`toSvg: Graphviz could not render the graph: ${messages.join("; ") || "unknown error"}`);
  }
  return result.output;
}

/**
 * Node's built-ins, looked up when a file is written instead of imported, so that a browser
 * bundle of viz pulls in none of them (toDot and toSvg work there).
 */
function nodeFiles(caller: string) {
  const proc = globalThis.process as Partial<NodeJS.Process> | undefined;
  if (typeof proc?.getBuiltinModule !== "function") {
    throw new Error(`${caller}: files need Node.js, and this environment (a browser?) has no file system; toDot(source) and toSvg(dot) give the text to put in the page`);
  }
  return { fs: proc.getBuiltinModule("node:fs/promises"), path: proc.getBuiltinModule("node:path"), crypto: proc.getBuiltinModule("node:crypto") };
}

type Format = "dot" | "svg" | "html";
const FORMATS: Record<string, Format> = { ".dot": "dot", ".gv": "dot", ".svg": "svg", ".html": "html", ".htm": "html" };

/** Which format a path asks for, from its extension. */
export function formatForPath(path: string): Format {
  const format = FORMATS[nodeFiles("writeGraph").path.extname(path).toLowerCase()];
  if (format === undefined) {
    throw new Error(`cannot tell the format of '${path}': use a .svg, .dot or .gv extension, or .html for an interactive page`);
  }
  return format;
}

/** Readers never see a half-written picture: write a temp file beside the target, then rename it over. */
async function writeFileAtomic(path: string, text: string): Promise<void> {
  const { fs: { rename, unlink, writeFile }, path: { basename, dirname, join }, crypto: { randomBytes } } = nodeFiles("writeGraph");
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, text, { flag: "wx" });
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/** @internal Writes DOT text as DOT or SVG, chosen by the path's extension, atomically. */
export async function writeDot(path: string, dot: string): Promise<void> {
  const format = formatForPath(path);
  // The page collapses and expands scopes, so it is built from the graph, not from one drawing of it.
  if (format === "html") throw new Error(`cannot write '${path}' from DOT text: an HTML page is built from the graph (writeGraph or toHtml)`);
  await writeFileAtomic(path, format === "svg" ? await toSvg(dot) : dot);
}

/**
 * Writes the graph of `source` as DOT (`.dot`, `.gv`), SVG (`.svg`) or an interactive page
 * (`.html`, see `toHtml`), chosen by the path's extension.
 */
export async function writeGraph(path: string, source: GraphSource, options: VizOptions = {}): Promise<void> {
  if (formatForPath(path) === "html") await writeFileAtomic(path, await toHtml(source, options));
  else await writeDot(path, toDot(source, options));
}
