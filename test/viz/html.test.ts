/**
 * The interactive page (toHtml / writeGraph("x.html")) opened from disk in headless Chromium:
 * what it draws, hover details, collapsing and expanding scopes, pan and zoom, hostile names
 * staying text, and not one request leaving the page. Expected counts and values come from the
 * graph itself (topological order, scopes) and from hand computation, not from the page's model.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { grad, type Tensor, tensor, toJSON, topologicalOrder, withScope } from "@gradgraph/core";
import { RNN } from "@gradgraph/nn";
import { toHtml, writeGraph } from "@gradgraph/viz";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchChromium } from "../helpers/chromium";

let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), "gradgraph-html-"));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  url: string;
  /** Every request the page made, the navigation to its own file included. */
  requests: string[];
  /** Page errors, console errors (CSP violations land there) and dialogs (alert). */
  problems: string[];
}

async function open(file: string, source: Parameters<typeof writeGraph>[1], options: Parameters<typeof writeGraph>[2] = {}): Promise<Opened> {
  const path = join(dir, file);
  await writeGraph(path, source, options);
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const url = pathToFileURL(path).href;
  const requests: string[] = [];
  const problems: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(url);
  await waitForRenders(page, 1);
  return { page, url, requests, problems };
}

async function waitForRenders(page: Page, count: number): Promise<void> {
  // (Read through locators: the page's policy refuses code as text, and the tests compile without the DOM's types.)
  await expect.poll(async () => Number((await page.locator("body").getAttribute("data-renders")) ?? 0), { timeout: 60_000 }).toBeGreaterThanOrEqual(count);
}

/** The drawn boxes' names (Graphviz's node names, moved to data-name by the page). */
async function boxNames(page: Page): Promise<string[]> {
  return page.locator("#canvas g.node").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-name")!));
}

async function details(page: Page): Promise<{ title: string; rows: Record<string, string> }> {
  const terms = await page.locator("#details-rows dt").allTextContents();
  const values = await page.locator("#details-rows dd").allTextContents();
  expect(values).toHaveLength(terms.length);
  return { title: (await page.locator("#details-title").textContent())!, rows: Object.fromEntries(terms.map((term, i) => [term, values[i]])) };
}

async function transformText(page: Page): Promise<string> {
  const style = (await page.locator("#canvas").getAttribute("style")) ?? "";
  return /transform: ([^;]*)/.exec(style)?.[1] ?? "";
}

async function transform(page: Page): Promise<{ x: number; y: number; scale: number }> {
  const text = await transformText(page);
  const match = /^translate\((-?[\d.e-]+)px, (-?[\d.e-]+)px\) scale\(([\d.e-]+)\)$/.exec(text);
  if (match === null) throw new Error(`unexpected transform '${text}'`);
  return { x: Number(match[1]), y: Number(match[2]), scale: Number(match[3]) };
}

/** The notebook's RNN: input 5, hidden 2, batch first, three steps; scopes rnn, rnn.l0, rnn.l0.t0..t2. */
function notebookRnn(): Tensor {
  const rnn = new RNN({ inputSize: 5, hiddenSize: 2, batchFirst: true });
  const x = tensor([[[1, 1, 1, 1, 1], [2, 2, 2, 2, 2], [3, 3, 3, 3, 3]]], { name: "x" });
  const [output, hN] = rnn.forward(x);
  return output.sum().add(hN.sum());
}

/** Graph positions of the nodes inside a scope (nested scopes included), by an explicit walk. */
function inside(order: readonly Tensor[], scope: string): number[] {
  return order.flatMap((t, i) => (t.scope === scope || t.scope?.startsWith(`${scope}.`) ? [i] : []));
}

/**
 * The edges a picture with the nodes of `hidden` drawn as one box must have: one per input between
 * two drawn nodes, one per connected pair when the box is an end, none inside the box.
 */
function expectedEdges(order: readonly Tensor[], hidden: readonly number[]): number {
  const box = new Set(hidden);
  const at = new Map(order.map((t, i) => [t, i]));
  const drawnAs = (i: number) => (box.has(i) ? "box" : `n${i}`);
  let singles = 0;
  const pairs = new Set<string>();
  order.forEach((t, head) => {
    for (const input of t.inputs) {
      const tail = at.get(input)!;
      if (drawnAs(tail) === drawnAs(head)) continue;
      if (box.has(tail) || box.has(head)) pairs.add(`${drawnAs(tail)}>${drawnAs(head)}`);
      else singles++;
    }
  });
  return singles + pairs.size;
}

async function clusterNamed(page: Page, label: string): Promise<string> {
  const names = await page
    .locator("#canvas g.cluster")
    .evaluateAll((clusters, wanted) => clusters.filter((c) => c.querySelector("text")?.textContent === wanted).map((c) => c.getAttribute("data-name")!), label);
  expect(names, `clusters labelled ${label}`).toHaveLength(1);
  return names[0];
}

/** Clicks an empty spot of a cluster: just inside its frame's left side, halfway down (clear of the rounded corners). */
async function clickCluster(page: Page, name: string): Promise<void> {
  const box = (await page.locator(`#canvas g.cluster[data-name="${name}"] > :is(path, polygon)`).boundingBox())!;
  await page.mouse.click(box.x + 4, box.y + box.height / 2);
}

describe("toHtml in Chromium", () => {
  test("draws every node, collapses a step's cluster into one box with its count, and expands it again", async () => {
    const loss = notebookRnn();
    const order = topologicalOrder([loss]);
    const { page, requests, problems, url } = await open("rnn.html", loss);
    expect((await boxNames(page)).sort()).toEqual(order.map((_, i) => `n${i}`).sort());
    expect(await page.locator("#canvas g.edge").count()).toBe(expectedEdges(order, []));

    const step = inside(order, "rnn.l0.t1");
    expect(step.length).toBeGreaterThan(1);
    await clickCluster(page, await clusterNamed(page, "t1"));
    await waitForRenders(page, 2);
    const collapsedView = await boxNames(page);
    expect(collapsedView).toHaveLength(order.length - step.length + 1);
    for (const i of step) expect(collapsedView).not.toContain(`n${i}`);
    expect(await page.locator("#canvas g.edge").count()).toBe(expectedEdges(order, step));
    const box = page.locator("#canvas g.node.expandable");
    await expect(box.count()).resolves.toBe(1);
    expect(await box.locator("text").allTextContents()).toEqual(["rnn.l0.t1", `${step.length} nodes`]);
    await box.hover();
    expect((await details(page)).rows).toMatchObject({ scope: "rnn.l0.t1", nodes: String(step.length) });

    // The enclosing layer: every step inside it goes, one box stays.
    await clickCluster(page, await clusterNamed(page, "l0"));
    await waitForRenders(page, 3);
    expect(await boxNames(page)).toHaveLength(order.length - inside(order, "rnn.l0").length + 1);

    await page.locator("#canvas g.node.expandable").click();
    await waitForRenders(page, 4);
    expect(await boxNames(page)).toHaveLength(order.length - step.length + 1); // t1 is still collapsed inside
    await page.locator("#canvas g.node.expandable").click();
    await waitForRenders(page, 5);
    expect((await boxNames(page)).sort()).toEqual(order.map((_, i) => `n${i}`).sort());

    expect(requests).toEqual([url]);
    expect(problems).toEqual([]);
    await page.close();
  });

  test("edges into and out of a collapsed box merge; edges between drawn nodes stay one per input", async () => {
    const x = tensor([1, 2], { name: "x" });
    const y = withScope("f", () => x.mul(x).add(x.exp()));
    const out = y.mul(y).add(y); // y feeds three inputs outside the scope
    const order = topologicalOrder([out]);
    const { page, problems } = await open("merge.html", out);
    expect(await page.locator("#canvas g.edge").count()).toBe(expectedEdges(order, []));
    await clickCluster(page, await clusterNamed(page, "f"));
    await waitForRenders(page, 2);
    const hidden = inside(order, "f");
    expect(expectedEdges(order, hidden)).toBeLessThan(expectedEdges(order, []) - 3); // the merging is exercised
    expect(await page.locator("#canvas g.edge").count()).toBe(expectedEdges(order, hidden));
    expect(problems).toEqual([]);
    await page.close();
  });

  test("starts with the scopes collapsed that the export collapses (collapseDepth, or the node budget)", async () => {
    const loss = notebookRnn();
    const order = topologicalOrder([loss]);
    const steps = ["rnn.l0.t0", "rnn.l0.t1", "rnn.l0.t2"].map((scope) => inside(order, scope).length);
    const expected = order.length - steps.reduce((a, b) => a + b, 0) + steps.length;
    for (const options of [{ collapseDepth: 3 }, { maxNodes: expected }]) {
      const { page, problems } = await open("budget.html", loss, options);
      expect(await boxNames(page), JSON.stringify(options)).toHaveLength(expected);
      expect(await page.locator("#canvas g.node.expandable").count()).toBe(3);
      expect(problems).toEqual([]);
      await page.close();
    }
  });

  test("when even the top-level scopes are too many boxes, starts with each of them collapsed and says so", async () => {
    const x = tensor([1, 2], { name: "x" });
    const layers = Array.from({ length: 6 }, (_, k) => withScope(`layer${k}`, () => x.mul(k).exp()));
    const out = layers.reduce((a, b) => a.add(b));
    const order = topologicalOrder([out]);
    const topLevel = order.filter((t) => t.scope === undefined).length;
    const { page, problems } = await open("runs.html", out, { maxNodes: 4 });
    expect(await boxNames(page)).toHaveLength(topLevel + layers.length);
    expect(await page.locator("#canvas g.node.expandable").count()).toBe(layers.length);
    expect(await page.locator("#note").textContent()).toBe(`Collapsed the top-level scopes: the graph has ${order.length} nodes, and even so more boxes than the budget`);
    expect(problems).toEqual([]);
    await page.close();
  });

  test("hover shows op, shape, dtype, scope, attributes, and statistics only for values already computed", async () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { name: "x" });
    const w = tensor([[-1, 0.5], [2, 0], [0.25, 3]], { name: "w", requiresGrad: true });
    const hidden = withScope("block", () => x.matmul(w).sum(1, true));
    const out = hidden.exp();
    hidden.data(); // asked for: the evaluator keeps its value (worked out by hand below); out stays unevaluated
    const order = topologicalOrder([out]);
    const { page, problems } = await open("details.html", out);

    await page.locator(`#canvas g.node[data-name="n${order.indexOf(x)}"]`).hover();
    // x = 1..6: mean 3.5, unbiased std sqrt(17.5 / 5) = 1.870829 (as torch.std)
    expect(await details(page)).toEqual({
      title: "x",
      rows: { op: "constant", name: "x", shape: "[2, 3]", dtype: "float32", scope: "(top level)", min: "1", max: "6", mean: "3.5", std: "1.87083", values: "1, 2, 3, 4, 5, 6" },
    });

    // x @ w = [[3.75, 9.5], [7.5, 20]]; summed over dim 1: [13.25, 27.5]; mean 20.375, std |27.5-13.25|/sqrt(2) = 10.0763
    await page.locator(`#canvas g.node[data-name="n${order.indexOf(hidden)}"]`).hover();
    expect(await details(page)).toEqual({
      title: "sum",
      rows: { op: "sum", shape: "[2, 1]", dtype: "float32", scope: "block", "requires grad": "yes", dims: "[1]", keepdim: "true", min: "13.25", max: "27.5", mean: "20.375", std: "10.0763", values: "13.25, 27.5" },
    });

    await page.locator(`#canvas g.node[data-name="n${order.indexOf(out)}"]`).hover();
    expect((await details(page)).rows.value).toBe("not computed yet");
    expect(out.cachedValue).toBeUndefined(); // writing the page evaluated nothing

    await page.locator(`#canvas g.node[data-name="n${order.indexOf(w)}"]`).hover();
    expect((await details(page)).rows).toMatchObject({ "requires grad": "yes", min: "-1", max: "3", values: "-1, 0.5, 2, 0, 0.25, 3" });
    expect(problems).toEqual([]);
    await page.close();
  });

  test("zoom (wheel, buttons, keys) keeps the point under the cursor fixed; dragging pans and collapses nothing", async () => {
    const { page } = await open("zoom.html", notebookRnn());
    const start = await transform(page);
    const viewport = (await page.locator("#viewport").boundingBox())!;
    const cursor = { x: 300, y: 200 };
    await page.mouse.move(viewport.x + cursor.x, viewport.y + cursor.y);
    await page.mouse.wheel(0, -200);
    await expect.poll(async () => (await transform(page)).scale).not.toBe(start.scale);
    const zoomed = await transform(page);
    expect(zoomed.scale).toBeGreaterThan(start.scale);
    // The same picture point stays under the cursor: (cursor - translate) / scale is unchanged.
    // (The style's text rounds the numbers to about six digits.)
    expect((cursor.x - zoomed.x) / zoomed.scale).toBeCloseTo((cursor.x - start.x) / start.scale, 2);
    expect((cursor.y - zoomed.y) / zoomed.scale).toBeCloseTo((cursor.y - start.y) / start.scale, 2);

    await page.click("#zoom-in");
    expect((await transform(page)).scale).toBeCloseTo(zoomed.scale * 1.25, 5);
    await page.click("#zoom-out");
    await page.click("#zoom-out");
    expect((await transform(page)).scale).toBeCloseTo(zoomed.scale * 0.8, 5);
    await page.keyboard.press("+");
    expect((await transform(page)).scale).toBeCloseTo(zoomed.scale, 5);

    const before = await transform(page);
    const renders = await page.locator("body").getAttribute("data-renders");
    await page.mouse.move(viewport.x + 5, viewport.y + 5);
    await page.mouse.down();
    await page.mouse.move(viewport.x + 45, viewport.y + 35, { steps: 4 });
    await page.mouse.up();
    const dragged = await transform(page);
    expect(dragged.x - before.x).toBeCloseTo(40, 6);
    expect(dragged.y - before.y).toBeCloseTo(30, 6);
    expect(dragged.scale).toBe(before.scale);
    expect(await page.locator("body").getAttribute("data-renders")).toBe(renders);

    await page.click("#zoom-fit");
    const picture = (await page.locator("#canvas").boundingBox())!;
    expect(picture.x).toBeGreaterThanOrEqual(viewport.x);
    expect(picture.y).toBeGreaterThanOrEqual(viewport.y);
    expect(picture.x + picture.width).toBeLessThanOrEqual(viewport.x + viewport.width);
    expect(picture.y + picture.height).toBeLessThanOrEqual(viewport.y + viewport.height);
    await page.close();
  });

  test("hostile names and scopes stay text: nothing runs, nothing loads, the text shows as written", async () => {
    const scriptName = "</script><script>alert(1)</script>";
    // (No `&name;` entity here: Graphviz passes entities in DOT labels through to its SVG, so the
    // drawing of `&amp;` reads `&`. That is dot.ts's escaping, shared with toSvg, reported separately.)
    const imageName = '<img src=x onerror="alert(2)"> \\n"';
    const scope = '"><svg onload=alert(3)>';
    const x = tensor([1, 2], { name: scriptName });
    const y = withScope(scope, () => x.mul(tensor([3, 4], { name: imageName })));
    const order = topologicalOrder([y]);
    const html = await toHtml(y);
    // Exactly the page's own three scripts: the data block, Graphviz, the page script.
    expect(html.match(/<script/gi)).toHaveLength(3);
    expect(html).not.toContain(scriptName);

    const { page, requests, problems, url } = await open("hostile.html", y);
    for (const [tensorOfName, name] of [[x, scriptName], [order.find((t) => t.name === imageName)!, imageName]] as const) {
      const node = page.locator(`#canvas g.node[data-name="n${order.indexOf(tensorOfName)}"]`);
      expect((await node.locator("text").allTextContents())[0]).toBe(name);
      await node.hover();
      expect((await details(page)).title).toBe(name);
    }
    await page.locator(`#canvas g.node[data-name="n${order.indexOf(y)}"]`).hover();
    expect((await details(page)).rows.scope).toBe(scope);
    expect(await page.locator("#canvas g.cluster text").allTextContents()).toContain(scope);
    expect(await page.locator("img, iframe, object, embed, #canvas script, #details *:not(h2, dl, dt, dd)").count()).toBe(0);
    expect(requests).toEqual([url]);
    expect(problems).toEqual([]);
    await page.close();
  });

  test("a gradient graph: the `backward` root stays open, the scopes under it collapse like the forward ones", async () => {
    const rnn = new RNN({ inputSize: 5, hiddenSize: 2, batchFirst: true });
    const [output] = rnn.forward(tensor([[[1, 1, 1, 1, 1], [2, 2, 2, 2, 2]]], { name: "x" }));
    const grads = grad(output.sum(), rnn.parameters());
    const order = topologicalOrder(grads);
    const { page, problems } = await open("backward.html", grads);
    expect(await boxNames(page)).toHaveLength(order.length);
    expect(await page.locator("#canvas g.cluster.collapsible").count()).toBe(await page.locator("#canvas g.cluster").count() - 1);
    await clickCluster(page, await clusterNamed(page, "backward"));
    // A click that started a layout shows "Laying out…" until it is done, then counts a second render.
    expect(await page.locator("#status").textContent()).toBe(`${order.length} boxes`);
    expect(await page.locator("body").getAttribute("data-renders")).toBe("1");
    expect(problems).toEqual([]);
    await page.close();
  });

  test("an empty tensor list gives a page with an empty picture", async () => {
    const { page, problems } = await open("empty.html", []);
    expect(await boxNames(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  test("a graph saved with toJSON gives the same page, constants' values included", async () => {
    const x = tensor([2, -2, 8], { name: "x" });
    const y = withScope("f", () => x.mul(x));
    const { page, problems } = await open("saved.html", toJSON([y]));
    expect(await boxNames(page)).toHaveLength(topologicalOrder([y]).length);
    await page.locator('#canvas g.node[data-name="n0"]').hover();
    // 2, -2, 8: mean 8/3, unbiased variance ((2-8/3)^2 + (-2-8/3)^2 + (8-8/3)^2) / 2 = 25.3333, std 5.03322
    expect((await details(page)).rows).toMatchObject({ min: "-2", max: "8", mean: "2.66667", std: "5.03322" });
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe("toHtml", () => {
  test("writeGraph picks the page from .html; toHtml gives the same text", async () => {
    const loss = notebookRnn();
    const path = join(dir, "same.html");
    await writeGraph(path, loss);
    expect(await readFile(path, "utf8")).toBe(await toHtml(loss));
  });

  test("refuses bad options naming toHtml", async () => {
    await expect(toHtml(notebookRnn(), { maxNodes: 0 })).rejects.toThrow(/^toHtml: maxNodes must be a positive integer, got 0/);
  });
});

describe("a 300-step RNN's page", () => {
  test("opens at the budget's collapse, expands one step, and stays a few megabytes", async () => {
    const rnn = new RNN({ inputSize: 4, hiddenSize: 3 });
    const x = tensor(Array.from({ length: 300 }, (_, t) => [[t / 300, 1, 2, 3]]), { name: "x" });
    const [output, hN] = rnn.forward(x);
    const loss = output.sum().add(hN.sum());
    const started = performance.now();
    const { page, problems } = await open("rnn300.html", loss);
    const seconds = (performance.now() - started) / 1000;
    const bytes = (await stat(join(dir, "rnn300.html"))).size;
    console.log(`300-step RNN page: ${(bytes / 1e6).toFixed(2)} MB, written and opened in ${seconds.toFixed(1)} s`);
    expect(bytes).toBeLessThan(4e6);
    const collapsed = await page.locator("#canvas g.node.expandable").count();
    expect(collapsed).toBeGreaterThanOrEqual(1);
    const drawn = (await boxNames(page)).length;
    await page.locator("#canvas g.node.expandable").first().click();
    await waitForRenders(page, 2);
    expect((await boxNames(page)).length).toBeGreaterThan(drawn);
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);
});
