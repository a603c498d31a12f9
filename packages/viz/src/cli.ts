/**
 * gradgraph-viz: draws a graph saved with core's `toJSON` as SVG or DOT, with the bundled Graphviz.
 * Exit codes: 0 done, 1 the input could not be read or drawn, 2 wrong usage.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { graphToDot } from "./dot";
import { buildVizGraph, DEFAULT_MAX_FAN_IN, DEFAULT_MAX_FAN_OUT, DEFAULT_MAX_NODES, type Rankdir, type VizOptions } from "./graph";
import { formatForPath, writeDot, writeGraph } from "./render";
import type { GraphSource } from "./source";

const HELP = `Usage: gradgraph-viz <graph.json> [-o <file>] [options]

Draws a graph saved with toJSON from @gradgraph/core. No Graphviz install needed.

Options:
  -o, --output <file>       write to <file>: .svg renders the picture, .html an
                            interactive page (pan, zoom, scopes that open on click),
                            .dot or .gv Graphviz DOT (default: DOT on standard output)
      --rankdir <dir>       layout direction: TB (default), LR, BT or RL
      --collapse-depth <n>  draw each scope <n> levels deep as one box
                            (1 = top-level scopes such as rnn)
      --max-nodes <n>       past this many boxes, collapse by itself (default ${DEFAULT_MAX_NODES})
      --max-fan-out <n>     draw a node feeding more boxes than this without those
                            edges; the boxes name it instead (default ${DEFAULT_MAX_FAN_OUT})
      --max-fan-in <n>      draw a box fed by more boxes than this with one edge from
                            a box naming them (default ${DEFAULT_MAX_FAN_IN})
      --max-edges <n>       past this many edges, collapse by itself
                            (default twice --max-nodes)
      --backward-only       draw only the gradient graph (scopes under "backward")
      --show-attrs          list op attributes under each op
      --show-dtype          show each node's dtype next to its shape
  -h, --help                show this help
`;

class UsageError extends Error {}

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`${flag} needs a positive integer, got '${text}'`);
  return value;
}

function parse(argv: string[]): { input: string; output: string | undefined; options: VizOptions } | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: "string", short: "o" },
        rankdir: { type: "string" },
        "collapse-depth": { type: "string" },
        "max-nodes": { type: "string" },
        "max-fan-out": { type: "string" },
        "max-fan-in": { type: "string" },
        "max-edges": { type: "string" },
        "backward-only": { type: "boolean" },
        "show-attrs": { type: "boolean" },
        "show-dtype": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "no input file given" : `expected one input file, got ${positionals.length}`);
  const rankdir = values.rankdir?.toUpperCase();
  if (rankdir !== undefined && !["TB", "LR", "BT", "RL"].includes(rankdir)) throw new UsageError(`--rankdir must be TB, LR, BT or RL, got '${values.rankdir}'`);
  if (values.output !== undefined) {
    try {
      formatForPath(values.output);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return {
    input: positionals[0],
    output: values.output,
    options: {
      rankdir: rankdir as Rankdir | undefined,
      collapseDepth: positiveInteger("--collapse-depth", values["collapse-depth"]),
      maxNodes: positiveInteger("--max-nodes", values["max-nodes"]),
      maxFanOut: positiveInteger("--max-fan-out", values["max-fan-out"]),
      maxFanIn: positiveInteger("--max-fan-in", values["max-fan-in"]),
      maxEdges: positiveInteger("--max-edges", values["max-edges"]),
      backwardOnly: values["backward-only"],
      showAttrs: values["show-attrs"],
      showDtype: values["show-dtype"],
    },
  };
}

async function readGraph(path: string): Promise<GraphSource> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : (error as Error).message;
    throw new Error(`cannot read '${path}': ${reason}`);
  }
  try {
    return JSON.parse(text) as GraphSource;
  } catch (error) {
    throw new Error(`'${path}' is not valid JSON: ${(error as Error).message}`);
  }
}

async function main(argv: string[]): Promise<number> {
  try {
    const args = parse(argv);
    if (args === "help") {
      process.stdout.write(HELP);
      return 0;
    }
    const source = await readGraph(args.input);
    if (args.output !== undefined && formatForPath(args.output) === "html") {
      await writeGraph(args.output, source, args.options);
      return 0;
    }
    const dot = graphToDot(buildVizGraph(source, args.options, `'${args.input}'`));
    if (args.output === undefined) process.stdout.write(dot);
    else await writeDot(args.output, dot);
    return 0;
  } catch (error) {
    process.stderr.write(`gradgraph-viz: ${(error as Error).message}\n`);
    if (error instanceof UsageError) {
      process.stderr.write("Run 'gradgraph-viz --help' for usage.\n");
      return 2;
    }
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
