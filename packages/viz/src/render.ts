import { randomBytes } from "node:crypto";
import { rename, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { instance, type Viz } from "@viz-js/viz";
import { toDot } from "./dot";
import type { VizOptions } from "./graph";
import type { GraphSource } from "./source";

// Graphviz compiled to WebAssembly: no system install needed. Loaded once, on first use.
let graphviz: Promise<Viz> | undefined;

/** Renders DOT to SVG with the bundled Graphviz. Layout errors throw; warnings (font metrics) do not. */
export async function toSvg(dot: string): Promise<string> {
  graphviz ??= instance();
  const result = (await graphviz).render(dot, { format: "svg" });
  if (result.status === "failure") {
    const messages = result.errors.filter((e) => e.level !== "warning").map((e) => e.message.trim());
    throw new Error(`toSvg: Graphviz could not render the graph: ${messages.join("; ") || "unknown error"}`);
  }
  return result.output;
}

const FORMATS: Record<string, "dot" | "svg"> = { ".dot": "dot", ".gv": "dot", ".svg": "svg" };

/** Which format a path asks for, from its extension. */
export function formatForPath(path: string): "dot" | "svg" {
  const format = FORMATS[extname(path).toLowerCase()];
  if (format === undefined) {
    throw new Error(`cannot tell the format of '${path}': use a .svg, .dot or .gv extension`);
  }
  return format;
}

/** Readers never see a half-written picture: write a temp file beside the target, then rename it over. */
async function writeFileAtomic(path: string, text: string): Promise<void> {
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
  await writeFileAtomic(path, formatForPath(path) === "svg" ? await toSvg(dot) : dot);
}

/** Writes the graph of `source` as DOT (`.dot`, `.gv`) or SVG (`.svg`), chosen by the path's extension. */
export async function writeGraph(path: string, source: GraphSource, options: VizOptions = {}): Promise<void> {
  formatForPath(path); // a bad extension fails before any work
  await writeDot(path, toDot(source, options));
}
