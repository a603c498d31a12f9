import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tensor, toJSON, withScope } from "@gradgraph/core";
import { toDot, toHtml, writeGraph } from "@gradgraph/viz";
import { beforeAll, describe, expect, test } from "vitest";
import { labelOf, parseDot } from "./helpers";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "packages/viz/src/cli.ts");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source, as a user would with the built bin. */
function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--conditions=source", "--import", "tsx", CLI, ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

function savedGraph() {
  const weight = tensor([[0.5, -0.2], [0.1, 0.3]], { requiresGrad: true, name: "rnn.weight_hh_l0" });
  let h = tensor([[1, 2]], { name: "h0" });
  withScope("rnn", () => {
    for (let t = 0; t < 3; t++) withScope(`t${t}`, () => (h = h.matmul(weight).tanh()));
  });
  return toJSON([h.sum()]);
}

let dir: string;
let graphPath: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gradgraph-viz-"));
  graphPath = join(dir, "graph.json");
  await writeFile(graphPath, JSON.stringify(savedGraph()));
});

describe("gradgraph-viz", () => {
  test("renders a saved graph to SVG", async () => {
    const out = join(dir, "graph.svg");
    const run = await runCli([graphPath, "-o", out]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const svg = await readFile(out, "utf8");
    expect(svg).toMatch(/<svg[\s\S]*<\/svg>/);
    for (const text of ["rnn.weight_hh_l0", "t0", "t1", "t2", "tanh"]) expect(svg).toContain(`>${text}</text>`);
  });

  test("-o page.html writes the interactive page (the same text toHtml gives)", async () => {
    const out = join(dir, "graph.html");
    const run = await runCli([graphPath, "-o", out]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(await readFile(out, "utf8")).toBe(await toHtml(savedGraph()));
  });

  test("without -o prints DOT, identical to toDot in this process (ids do not depend on tensor ids)", async () => {
    const run = await runCli([graphPath, "--rankdir", "lr", "--show-dtype", "--collapse-depth", "2", "--max-nodes", "100"]);
    expect(run.code).toBe(0);
    const json = JSON.parse(await readFile(graphPath, "utf8"));
    expect(run.stdout).toBe(toDot(json, { rankdir: "LR", showDtype: true, collapseDepth: 2, maxNodes: 100 }));
    const parsed = parseDot(run.stdout);
    expect([...parsed.nodes.keys()].map((id) => labelOf(parsed, id))).toContain("rnn.t0\n2 nodes");
  });

  test("--help explains the usage", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: gradgraph-viz <graph\.json> \[-o <file>\]/);
    expect(run.stdout).toContain("--collapse-depth");
  });

  test("clear errors for missing, invalid or wrong input, and for bad usage", async () => {
    const notJson = join(dir, "broken.json");
    await writeFile(notJson, '{"format": "gradgraph-graph/1", "nodes": [');
    const notGraph = join(dir, "other.json");
    await writeFile(notGraph, '{"hello": "world"}');
    const [missing, broken, other, noInput, badFlag, badOutput] = await Promise.all([
      runCli([join(dir, "nope.json")]),
      runCli([notJson]),
      runCli([notGraph]),
      runCli([]),
      runCli([graphPath, "--max-nodes", "many"]),
      runCli([graphPath, "-o", join(dir, "graph.png")]),
    ]);
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toBe(`gradgraph-viz: cannot read '${join(dir, "nope.json")}': no such file\n`);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^gradgraph-viz: '.*broken\.json' is not valid JSON: /);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^gradgraph-viz: '.*other\.json': not a valid gradgraph graph: expected an object with format "gradgraph-graph\/1"/);
    for (const usage of [noInput, badFlag, badOutput]) {
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain("Run 'gradgraph-viz --help' for usage.");
    }
    expect(badFlag.stderr).toContain("--max-nodes needs a positive integer, got 'many'");
    expect(badOutput.stderr).toContain("use a .svg, .dot or .gv extension");
  });
});

describe("writeGraph", () => {
  test("picks DOT or SVG from the extension and leaves no temp files", async () => {
    const out = await mkdtemp(join(tmpdir(), "gradgraph-write-"));
    const graph = savedGraph();
    await writeGraph(join(out, "graph.dot"), graph);
    await writeGraph(join(out, "graph.gv"), graph, { rankdir: "LR" });
    await writeGraph(join(out, "graph.svg"), graph);
    await writeGraph(join(out, "graph.svg"), graph, { collapseDepth: 1 }); // replaces the file
    expect(await readFile(join(out, "graph.dot"), "utf8")).toBe(toDot(graph));
    expect(await readFile(join(out, "graph.gv"), "utf8")).toBe(toDot(graph, { rankdir: "LR" }));
    const svg = await readFile(join(out, "graph.svg"), "utf8");
    expect(svg).toContain(">6 nodes</text>");
    expect((await readdir(out)).sort()).toEqual(["graph.dot", "graph.gv", "graph.svg"]);
    await expect(writeGraph(join(out, "graph.png"), graph)).rejects.toThrow(/use a \.svg, \.dot or \.gv extension/);
    await expect(writeGraph(join(out, "missing-folder", "graph.dot"), graph)).rejects.toThrow(/ENOENT/);
    expect((await readdir(out)).sort()).toEqual(["graph.dot", "graph.gv", "graph.svg"]);
  });
});
