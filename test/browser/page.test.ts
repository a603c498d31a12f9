/**
 * gradgraph in a web page: the browser example (examples/browser, which runs the notebook example)
 * bundled with esbuild for platform "browser" with Node modules refused, served by the example's
 * server, run in headless Chromium, and its numbers compared with PyTorch's fixtures.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertClose } from "@gradgraph/core/testing";
import { toDot, toSvg } from "@gradgraph/viz";
import { bundleForBrowser } from "../../examples/browser/build";
import type { PageReport } from "../../examples/browser/main";
import { runNotebook } from "../../examples/notebook";
import { serveStatic } from "../../examples/browser/serve";
import { launchChromium } from "../helpers/chromium";
import { type FixtureTensor, loadFixture } from "../helpers/fixtures";

interface PageResult extends PageReport {
  matmul: { wasm: boolean; products: number; mismatches: number; workerJobs: number };
  nodeOnlyErrors: Record<string, string>;
  error?: string;
}

interface Visit {
  result: PageResult;
  log: string;
  pageErrors: string[];
}

const seed = loadFixture<{ float32: { output: FixtureTensor; h_n: FixtureTensor } }>("seed.json")[0];
const adam = loadFixture<{ id: string; float32: { losses: number[] } }>("train.json").find((c) => c.id === "c_adam_0")!;
const FLOAT32 = { atol: 1e-5, rtol: 1e-4 };

function notebookDot(): string {
  const { input, output, hN } = runNotebook();
  input.name = "input";
  return toDot(output.sum().add(hN.sum()));
}

let site: string;
let browser: Browser;
let nodeSvg: string;

beforeAll(async () => {
  site = await mkdtemp(join(tmpdir(), "gradgraph-browser-"));
  await copyFile(fileURLToPath(new URL("../../examples/browser/index.html", import.meta.url)), join(site, "index.html"));
  await bundleForBrowser(fileURLToPath(new URL("entry.ts", import.meta.url)), join(site, "dist"));
  browser = await launchChromium();
  nodeSvg = await toSvg(notebookDot());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(site, { recursive: true, force: true });
});

async function visit(isolated: boolean): Promise<Visit> {
  const server = await serveStatic(site, { isolated });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  try {
    await page.goto(server.url);
    const result = (await page.evaluate(() => (globalThis as { pageResult?: unknown }).pageResult)) as PageResult;
    return { result, log: (await page.locator("#log").textContent()) ?? "", pageErrors };
  } finally {
    await page.close();
    await server.close();
  }
}

function expectPyTorchValues({ result, log, pageErrors }: Visit): void {
  expect(result.error).toBeUndefined();
  expect(pageErrors).toEqual([]);
  // The notebook's own checks ran in the page (PyTorch's output, its draws from manualSeed(1)) ...
  expect(log).toContain("ok    forward matches PyTorch's float32 output (within 1e-6)");
  expect(log).toContain("ok    the 9th new RNN(...) after manualSeed(1) draws the notebook's weights bit for bit");
  expect(log).not.toContain("FAIL");
  expect(result.notebook.checksPassed).toBe(true);
  // ... and its numbers are checked here again, against the fixture as Node reads it.
  assertClose(result.notebook.output, seed.float32.output.data, { atol: 1e-6, rtol: 0, label: "notebook output" });
  assertClose(result.notebook.hN, seed.float32.h_n.data, { atol: 1e-6, rtol: 0, label: "notebook h_n" });
  expect(result.training.losses).toHaveLength(5);
  assertClose(result.training.losses, adam.float32.losses.slice(0, 5), { ...FLOAT32, label: "c_adam_0 losses" });
  expect(result.training.losses[4]).toBeLessThan(result.training.losses[0]);
  // The graph picture: the DOT Node builds for the same graph, and the SVG Node's Graphviz draws from it.
  expect(result.graph.dot).toBe(notebookDot());
  expect(result.graph.svg).toBe(nodeSvg);
  expect(result.graph.svg).toMatch(/<text[^>]*>t2<\/text>/); // the last time step's cluster
  expect(result.checkpoint.reloadedEqual).toBe(true);
  expect(result.checkpoint.bytes).toBeGreaterThan(0);
  // Chromium shares WebAssembly memory even without isolation: the SIMD kernel runs either way.
  expect(result.matmul.wasm).toBe(true);
  expect(result.matmul.mismatches).toBe(0);
  // Each Node-only function names itself and what a page uses instead.
  const instead: Record<string, string> = {
    save: "saveToBytes(module, options)",
    load: "load(bytes)",
    restore: "restore(bytes, module)",
    saveCheckpoint: "encodeCheckpoint(tensors, metadata)",
    loadCheckpoint: "decodeCheckpoint(bytes)",
    writeLossCurve: "lossCurveSvg(losses, options)",
    writeGraph: "toSvg(dot)",
  };
  expect(Object.keys(result.nodeOnlyErrors)).toEqual(Object.keys(instead));
  for (const [name, message] of Object.entries(result.nodeOnlyErrors)) {
    expect(message).toMatch(new RegExp(`^${name}: files need Node\\.js, and this environment \\(a browser\\?\\) has no file system; `));
    expect(message).toContain(instead[name]);
  }
}

describe("the browser example in headless Chromium", { timeout: 120_000 }, () => {
  test("a cross-origin isolated page computes PyTorch's values, with matmul on two threads (a Web Worker)", async () => {
    const seen = await visit(true);
    expectPyTorchValues(seen);
    expect(seen.result.crossOriginIsolated).toBe(true);
    expect(seen.log).toContain("matmul runs on two threads");
    expect(seen.result.matmul.workerJobs).toBeGreaterThan(0);
  });

  test("without COOP/COEP the page computes the same values on one thread", async () => {
    const seen = await visit(false);
    expectPyTorchValues(seen);
    expect(seen.result.crossOriginIsolated).toBe(false);
    expect(seen.result.matmul.workerJobs).toBe(0);
  });
});

test("the browser bundle fails on a Node module, naming it and its importer", async () => {
  const dir = await mkdtemp(join(tmpdir(), "gradgraph-bundle-"));
  try {
    await mkdir(join(dir, "src"));
    await writeFile(join(dir, "src", "entry.ts"), 'import { readFileSync } from "node:fs";\nconsole.log(readFileSync);\n');
    await expect(bundleForBrowser(join(dir, "src", "entry.ts"), join(dir, "out"))).rejects.toThrow(/node:fs is a Node module, imported by .*entry\.ts/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
