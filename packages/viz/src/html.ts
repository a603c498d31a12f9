/**
 * The interactive page: one self-contained HTML file holding the whole graph as data, Graphviz
 * (viz-js's standalone build, the WebAssembly inlined) and a small script that lays out the scopes
 * the reader has expanded. Every state of the clusters is a different layout, so the page lays out
 * in the browser rather than carrying pictures of a few chosen states.
 */
import { type AttrValue, formatShape, type GraphJSON, Tensor, topologicalOrder } from "@gradgraph/core";
import { graphToDot } from "./dot";
import { buildVizGraph, type VizGraph, type VizOptions } from "./graph";
import { bundledGraphviz } from "./graphviz";
import { PAGE_SCRIPT, PAGE_STYLE } from "./htmlPage";
import { parentScope, scopeDepth } from "./scopes";
import { type FlatNode, flattenSource, type GraphSource } from "./source";
import { formatCount } from "./summarize";

/** Graphviz attributes as its own JSON output spells them (label escapes such as `\n` kept). */
type Attributes = Record<string, string>;

/** What hovering a box or cluster shows: a heading and name/value rows. */
interface Details {
  title: string;
  rows: [string, string][];
}

/** A box as the page draws it: its label and an index into the shared attribute sets. */
interface PageBox {
  name: string;
  label: string;
  style: number;
  /** Index of the innermost cluster holding it, -1 at the top. */
  cluster: number;
  details: Details;
}

interface PageCluster {
  attributes: Attributes;
  parent: number;
  /** The box it shows as when collapsed; null for a cluster that cannot collapse (a `backward` root). */
  box: { label: string; style: number } | null;
  details: Details;
}

/** Everything the page script reads: plain data, no markup. */
interface PageModel {
  graph: Attributes;
  node: Attributes;
  edge: Attributes;
  /** Distinct attribute sets of boxes and edges, labels excluded: most boxes share a few looks. */
  styles: Attributes[];
  boxes: PageBox[];
  clusters: PageCluster[];
  /** Tail box, head box, style (-1: the defaults). */
  edges: [number, number, number][];
  /** Clusters drawn collapsed when the page opens. */
  collapsed: number[];
  note: string | null;
}

/** Values a hover shows at most, after the statistics. */
const SHOWN_VALUES = 6;
/** Budgets for the page's own layouts: every box and edge, as the reader may expand everything. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

// Keys of Graphviz's JSON that are structure or layout, not attributes the page hands back.
const NOT_ATTRIBUTES = new Set(["name", "directed", "strict", "bb", "objects", "edges", "nodes", "subgraphs", "tail", "head"]);

function attributesOf(object: Record<string, unknown>, inherited: Attributes = {}): Attributes {
  const result: Attributes = {};
  for (const [key, value] of Object.entries(object)) {
    if (NOT_ATTRIBUTES.has(key) || key.startsWith("_") || typeof value !== "string" || inherited[key] === value) continue;
    result[key] = value;
  }
  return result;
}

interface DotJsonObject extends Record<string, unknown> {
  name: string;
}

interface Drawing {
  graph: Attributes;
  /** Box and cluster name → its attributes. */
  objects: Map<string, Attributes>;
  edges: { tail: string; head: string; attributes: Attributes }[];
}

/**
 * The attributes `graphToDot` gives every box, cluster and edge, read back by Graphviz itself
 * (its `dot_json` output): the page draws exactly what the DOT export draws, without a second
 * copy of its looks.
 */
async function readDrawing(graph: VizGraph): Promise<Drawing> {
  const result = (await bundledGraphviz()).render(graphToDot(graph), { format: "dot_json" });
  if (result.status === "failure") {
    throw new Error(`toHtml: Graphviz could not read the graph: ${result.errors.map((e) => e.message.trim()).join("; ") || "unknown error"}`);
  }
  const json = JSON.parse(result.output) as { objects?: DotJsonObject[]; edges?: Record<string, unknown>[]; _subgraph_cnt?: number };
  const graphAttributes = attributesOf(json);
  const objects = json.objects ?? [];
  const subgraphs = json._subgraph_cnt ?? 0;
  return {
    graph: graphAttributes,
    // Clusters repeat the graph's attributes they inherit; keep only their own.
    objects: new Map(objects.map((o, at) => [o.name, attributesOf(o, at < subgraphs ? graphAttributes : {})])),
    edges: (json.edges ?? []).map((e) => ({ tail: objects[e.tail as number].name, head: objects[e.head as number].name, attributes: attributesOf(e) })),
  };
}

/** The attributes every set in `list` has with the same value. */
function sharedAttributes(list: readonly Attributes[]): Attributes {
  if (list.length === 0) return {};
  const shared: Attributes = { ...list[0] };
  delete shared.label;
  for (const attributes of list) {
    for (const key of Object.keys(shared)) if (attributes[key] !== shared[key]) delete shared[key];
  }
  return shared;
}

/** Interns attribute sets (minus the defaults and the label) as indices into one table. */
class StyleTable {
  readonly styles: Attributes[] = [];
  private readonly index = new Map<string, number>();

  add(attributes: Attributes, defaults: Attributes): { label: string; style: number } {
    const own: Attributes = {};
    for (const key of Object.keys(attributes).sort()) {
      if (key !== "label" && attributes[key] !== defaults[key]) own[key] = attributes[key];
    }
    const key = JSON.stringify(own);
    let style = this.index.get(key);
    if (style === undefined) {
      style = this.styles.length;
      this.styles.push(own);
      this.index.set(key, style);
    }
    return { label: attributes.label ?? "", style };
  }
}

function formatNumber(value: number, integral: boolean): string {
  if (Object.is(value, -0)) return "-0";
  if (integral || Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** Min, max, mean, std (unbiased, as `torch.std`) and the first values, computed in float64. */
function valueRows(values: ArrayLike<number>, dtype: string): [string, string][] {
  const count = values.length;
  const shown = Array.from({ length: Math.min(count, SHOWN_VALUES) }, (_, i) => values[i]);
  const more = count > SHOWN_VALUES ? ", …" : "";
  if (dtype === "bool") {
    let trues = 0;
    for (let i = 0; i < count; i++) if (values[i] !== 0) trues++;
    return [["true", `${trues} of ${count}`], ["values", `${shown.map((v) => (v !== 0 ? "true" : "false")).join(", ")}${more}`]];
  }
  if (count === 0) return [["values", "none (no elements)"]];
  const integral = dtype === "int32";
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let hasNaN = false;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (Number.isNaN(v)) hasNaN = true;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (values[i] - mean) ** 2;
  // torch.min and torch.max propagate NaN; one element has no unbiased spread (NaN, as torch.std).
  return [
    ["min", formatNumber(hasNaN ? NaN : min, integral)],
    ["max", formatNumber(hasNaN ? NaN : max, integral)],
    ["mean", formatNumber(mean, false)],
    ["std", formatNumber(Math.sqrt(squares / (count - 1)), false)],
    ["values", `${shown.map((v) => formatNumber(v, integral)).join(", ")}${more}`],
  ];
}

function formatAttr(value: AttrValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

// JSON spells NaN, the infinities and -0 as these strings (core's jsonNumber); Number() reads them all.
const SPECIAL_NUMBERS = new Set(["NaN", "Infinity", "-Infinity", "-0"]);

/** The values known without evaluating anything: a leaf's data, or what the evaluator kept. */
function knownValues(source: GraphSource): (i: number) => ArrayLike<number> | undefined {
  if (source instanceof Tensor || Array.isArray(source)) {
    const order = topologicalOrder(source instanceof Tensor ? [source] : (source as readonly Tensor[]));
    return (i) => order[i].cachedValue;
  }
  const nodes = (source as GraphJSON).nodes;
  return (i) => {
    const data = nodes[i].data;
    const readable = Array.isArray(data) && data.every((v) => typeof v === "number" || SPECIAL_NUMBERS.has(v));
    return readable ? data.map(Number) : undefined;
  };
}

function nodeDetails(node: FlatNode, values: ArrayLike<number> | undefined): Details {
  const rows: [string, string][] = [["op", node.op]];
  if (node.name !== undefined) rows.push(["name", node.name]);
  rows.push(["shape", formatShape(node.shape)], ["dtype", node.dtype], ["scope", node.scope ?? "(top level)"]);
  if (node.requiresGrad) rows.push(["requires grad", "yes"]);
  for (const key of Object.keys(node.attrs).sort()) rows.push([key, formatAttr(node.attrs[key])]);
  if (values !== undefined) rows.push(...valueRows(values, node.dtype));
  else rows.push(["value", node.op === "placeholder" ? "fed when evaluated" : "not computed yet"]);
  return { title: node.name ?? node.op, rows };
}

function clusterDetails(scope: string, members: readonly FlatNode[], collapsible: boolean): Details {
  const ops = new Map<string, number>();
  for (const node of members) ops.set(node.op, (ops.get(node.op) ?? 0) + 1);
  const tally = [...ops].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([op, n]) => `${op} ×${n}`);
  const rows: [string, string][] = [["scope", scope], ["nodes", String(members.length)], ["ops", tally.join(", ")]];
  if (collapsible) rows.push(["click", "collapse or expand"]);
  return { title: scope, rows };
}

/** Graph positions of the single-node boxes (`n<i>`). */
function nodeIndex(id: string): number | undefined {
  return /^n\d+$/.test(id) ? Number(id.slice(1)) : undefined;
}

async function buildModel(source: GraphSource, options: VizOptions): Promise<PageModel> {
  // What the static export would draw: its collapsed scopes are the page's starting state.
  const budgeted = buildVizGraph(source, options, "toHtml");
  const unlimited = { ...options, maxNodes: UNLIMITED, maxEdges: UNLIMITED };
  const full = buildVizGraph(source, { ...unlimited, collapseDepth: undefined }, "toHtml");
  const { nodes } = flattenSource(source, "toHtml");
  const valueOf = knownValues(source);
  const drawing = await readDrawing(full);

  const ids = full.nodes();
  const clusterIds = ids.filter((id) => full.node(id).kind === "cluster");
  const boxIds = ids.filter((id) => full.node(id).kind !== "cluster").sort((a, b) => full.node(a).order - full.node(b).order);
  // Parents before children: the page nests clusters in this order.
  clusterIds.sort((a, b) => Number(a.slice("cluster_".length)) - Number(b.slice("cluster_".length)));
  const clusterAt = new Map(clusterIds.map((id, at) => [id, at]));
  const parentOf = (id: string): number => {
    const parent = full.parent(id);
    return parent === undefined ? -1 : clusterAt.get(parent)!;
  };

  // The box each scope collapses into, as the export draws it with that scope's depth collapsed.
  const collapsedBoxes = new Map<string, Attributes>();
  const depths = new Set(clusterIds.map((id) => scopeDepth(full.node(id).scope)).filter((d) => d >= 1));
  for (const depth of [...depths].sort((a, b) => a - b)) {
    const variant = buildVizGraph(source, { ...unlimited, collapseDepth: depth }, "toHtml");
    const variantDrawing = await readDrawing(variant);
    for (const id of variant.nodes()) {
      const box = variant.node(id);
      if (box.kind === "group" && box.scope !== undefined) collapsedBoxes.set(box.scope, variantDrawing.objects.get(id)!);
    }
  }

  const boxAttributes = boxIds.map((id) => drawing.objects.get(id)!);
  const nodeDefaults = sharedAttributes([...boxAttributes, ...collapsedBoxes.values()]);
  const edgeDefaults = sharedAttributes(drawing.edges.map((e) => e.attributes));
  const table = new StyleTable();

  const members = new Map<string, FlatNode[]>();
  nodes.forEach((node) => {
    for (let scope = node.scope; scope !== undefined; scope = parentScope(scope)) {
      let list = members.get(scope);
      if (list === undefined) members.set(scope, (list = []));
      list.push(node);
    }
  });

  const clusters = clusterIds.map((id): PageCluster => {
    const scope = full.node(id).scope!;
    const collapsed = collapsedBoxes.get(scope);
    return {
      attributes: drawing.objects.get(id)!,
      parent: parentOf(id),
      box: collapsed === undefined ? null : table.add(collapsed, nodeDefaults),
      details: clusterDetails(scope, members.get(scope) ?? [], collapsed !== undefined),
    };
  });

  const boxAt = new Map(boxIds.map((id, at) => [id, at]));
  const boxes = boxIds.map((id, at): PageBox => {
    const i = nodeIndex(id);
    const label = boxAttributes[at].label ?? "";
    const details = i === undefined ? { title: label.split("\\n")[0], rows: [["box", full.node(id).kind]] as [string, string][] } : nodeDetails(nodes[i], valueOf(i));
    return { name: id, ...table.add(boxAttributes[at], nodeDefaults), cluster: parentOf(id), details };
  });
  const edges = drawing.edges.map((e): [number, number, number] => {
    const own = Object.keys(e.attributes).some((key) => e.attributes[key] !== edgeDefaults[key]);
    return [boxAt.get(e.tail)!, boxAt.get(e.head)!, own ? table.add(e.attributes, edgeDefaults).style : -1];
  });

  return {
    graph: drawing.graph,
    node: nodeDefaults,
    edge: edgeDefaults,
    styles: table.styles,
    boxes,
    clusters,
    edges,
    ...startingView(budgeted, clusterIds.map((id) => full.node(id).scope!), clusters),
  };
}

/**
 * The clusters collapsed when the page opens: the scopes the budgeted export collapsed. When even
 * its top-level scopes were too many (it merged runs of boxes, which the page cannot expand), the
 * page starts with every top-level scope collapsed.
 */
function startingView(budgeted: VizGraph, clusterScopes: readonly string[], clusters: readonly PageCluster[]): Pick<PageModel, "collapsed" | "note"> {
  const groups = budgeted.nodes().map((id) => budgeted.node(id)).filter((box) => box.kind === "group");
  const mergedRuns = groups.some((box) => box.scope === undefined);
  const scopes = new Set(groups.map((box) => box.scope));
  const collapsed = clusterScopes.flatMap((scope, at) => {
    const collapse = mergedRuns ? scopeDepth(scope) === 1 : scopes.has(scope);
    return collapse && clusters[at].box !== null ? [at] : [];
  });
  const { note, totalNodes } = budgeted.graph();
  if (!mergedRuns) return { collapsed, note: note ?? null };
  return { collapsed, note: `Collapsed the top-level scopes: the graph has ${formatCount(totalNodes)} nodes, and even so more boxes than the budget` };
}

let standaloneGraphviz: string | undefined;

/** viz-js's standalone build (the Graphviz WebAssembly inlined as text), read from its package. */
function standaloneGraphvizScript(): string {
  if (standaloneGraphviz !== undefined) return standaloneGraphviz;
  const proc = globalThis.process as Partial<NodeJS.Process> | undefined;
  if (typeof proc?.getBuiltinModule !== "function") throw new Error("toHtml: building the page needs Node.js (it reads Graphviz's browser build from its package)");
  const { createRequire } = proc.getBuiltinModule("node:module");
  const { readFileSync } = proc.getBuiltinModule("node:fs");
  const { dirname, join } = proc.getBuiltinModule("node:path");
  const text = readFileSync(join(dirname(createRequire(import.meta.url).resolve("@viz-js/viz")), "viz-global.js"), "utf8");
  // An inline script ends at the first `</script`; a comment opener changes how the parser reads it.
  if (/<\/script|<!--/i.test(text)) throw new Error("toHtml: this @viz-js/viz build cannot be inlined: it contains '</script' or '<!--'");
  standaloneGraphviz = text;
  return text;
}

async function sha256Base64(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/**
 * The graph of `source` as one self-contained HTML page: the SVG laid out by Graphviz in the
 * page, pan (drag), zoom (wheel, + and − buttons or keys, 0 to fit), scope clusters that collapse
 * on a click and expand when their box is clicked, and each box's op, shape, dtype, scope,
 * attributes and, when the value is already known (never computed for this), its statistics on
 * hover. The page loads nothing: Graphviz is inlined, and its security policy allows no requests.
 * It starts from the picture `toDot(source, options)` draws (scopes the budget collapsed start
 * collapsed).
 */
export async function toHtml(source: GraphSource, options: VizOptions = {}): Promise<string> {
  const model = await buildModel(source, options);
  const graphviz = standaloneGraphvizScript();
  // `<` is escaped so no text from the graph can end the data block or open a tag.
  const data = JSON.stringify(model).replace(/</g, "\\u003c");
  const hashes = await Promise.all([graphviz, PAGE_SCRIPT].map(sha256Base64));
  const policy = [
    "default-src 'none'",
    `script-src ${hashes.map((h) => `'sha256-${h}'`).join(" ")} 'wasm-unsafe-eval'`,
    "style-src 'unsafe-inline'",
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gradgraph</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<div id="toolbar">
<button type="button" id="zoom-in" title="Zoom in (+)">+</button>
<button type="button" id="zoom-out" title="Zoom out (−)">−</button>
<button type="button" id="zoom-fit" title="Fit the picture (0)">fit</button>
<span id="status">Loading Graphviz…</span>
<span id="note"></span>
</div>
<div id="viewport"><div id="canvas"></div></div>
<aside id="details" hidden><h2 id="details-title"></h2><dl id="details-rows"></dl></aside>
<noscript><p>This picture is laid out by a script in the page: allow scripts to see it.</p></noscript>
<script type="application/json" id="model">${data}</script>
<script>${graphviz}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
