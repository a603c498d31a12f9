/**
 * Two independent readers of the DOT the exporter writes: dotparser (the syntax tree) and Graphviz
 * itself through viz-js (what actually gets drawn: node and cluster membership, rendered text).
 */
import { createRequire } from "node:module";
import parse, { type Attr, type Stmt } from "dotparser";
import { expect } from "vitest";

export interface DotNode {
  id: string;
  attrs: Record<string, string>;
  /** Enclosing cluster ids, outermost first. */
  clusters: string[];
}

export interface DotCluster {
  id: string;
  attrs: Record<string, string>;
  parent: string | undefined;
}

export interface DotEdge {
  from: string;
  to: string;
  attrs: Record<string, string>;
}

export interface ParsedDot {
  graphAttrs: Record<string, string>;
  nodes: Map<string, DotNode>;
  clusters: Map<string, DotCluster>;
  edges: DotEdge[];
}

function attrMap(list: Attr[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const attr of list) {
    // Unquoted numbers come back as numbers; HTML labels (which the exporter never writes) as objects.
    if (typeof attr.eq === "object") throw new Error(`unexpected HTML attribute ${String(attr.id)}`);
    result[String(attr.id)] = String(attr.eq);
  }
  return result;
}

/** Parses DOT with dotparser; fails the test on anything but one digraph of nodes, edges and clusters. */
export function parseDot(dot: string): ParsedDot {
  const graphs = parse(dot);
  expect(graphs).toHaveLength(1);
  expect(graphs[0].type).toBe("digraph");
  const parsed: ParsedDot = { graphAttrs: {}, nodes: new Map(), clusters: new Map(), edges: [] };
  const walk = (statements: Stmt[], path: string[]): void => {
    for (const statement of statements) {
      switch (statement.type) {
        case "attr_stmt":
          if (statement.target !== "graph") break;
          Object.assign(path.length === 0 ? parsed.graphAttrs : parsed.clusters.get(path[path.length - 1])!.attrs, attrMap(statement.attr_list));
          break;
        case "node_stmt": {
          const id = String(statement.node_id.id);
          expect(parsed.nodes.has(id), `node ${id} declared twice`).toBe(false);
          parsed.nodes.set(id, { id, attrs: attrMap(statement.attr_list), clusters: [...path] });
          break;
        }
        case "edge_stmt": {
          const [from, to] = statement.edge_list;
          expect(statement.edge_list).toHaveLength(2);
          if (from.type !== "node_id" || to.type !== "node_id") throw new Error("edges between subgraphs are not expected");
          parsed.edges.push({ from: String(from.id), to: String(to.id), attrs: attrMap(statement.attr_list) });
          break;
        }
        case "subgraph": {
          const id = String(statement.id);
          expect(id.startsWith("cluster")).toBe(true);
          parsed.clusters.set(id, { id, attrs: {}, parent: path[path.length - 1] });
          walk(statement.children, [...path, id]);
          break;
        }
      }
    }
  };
  walk(graphs[0].children, []);
  for (const edge of parsed.edges) {
    expect(parsed.nodes.has(edge.from), `edge from undeclared ${edge.from}`).toBe(true);
    expect(parsed.nodes.has(edge.to), `edge to undeclared ${edge.to}`).toBe(true);
  }
  return parsed;
}

/**
 * The text Graphviz shows for a label attribute as dotparser returns it (which already turned `\"`
 * into `"`): `\\` is a backslash, `\n`, `\l`, `\r` end lines.
 */
export function labelText(raw: string): string {
  let text = "";
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== "\\" || i + 1 === raw.length) {
      text += raw[i];
      continue;
    }
    const next = raw[++i];
    text += next === "n" || next === "l" || next === "r" ? "\n" : next;
  }
  return text;
}

export function labelOf(parsed: ParsedDot, id: string): string {
  const node = parsed.nodes.get(id) ?? parsed.clusters.get(id);
  if (node === undefined) throw new Error(`no node or cluster ${id}`);
  return labelText(node.attrs.label);
}

/** Cluster ids by their label, for graphs whose cluster labels are unique. */
export function clustersByLabel(parsed: ParsedDot): Map<string, DotCluster> {
  const result = new Map<string, DotCluster>();
  for (const cluster of parsed.clusters.values()) result.set(labelText(cluster.attrs.label), cluster);
  return result;
}

export interface GraphvizView {
  /** Node name → the lines of text Graphviz drew in it (read from the SVG). */
  nodes: Map<string, string[]>;
  /** Cluster name → its drawn title and every node inside it (nested clusters included). */
  clusters: Map<string, { title: string[]; nodes: Set<string> }>;
  edges: [string, string][];
}

interface Graphviz {
  renderFormats(
    dot: string,
    formats: string[],
  ): { status: "success" | "failure"; output?: Record<string, string>; errors: { message: string }[] };
}

// viz-js is a dependency of the viz package, not of the workspace root: resolve it from there.
const { instance } = createRequire(new URL("../../packages/viz/package.json", import.meta.url))("@viz-js/viz") as {
  instance(): Promise<Graphviz>;
};
let graphviz: Promise<Graphviz> | undefined;

function decodeXml(text: string): string {
  const named: Record<string, string> = { quot: '"', amp: "&", lt: "<", gt: ">", apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, body: string) => {
    if (body[0] !== "#") return named[body] ?? entity;
    return String.fromCodePoint(body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : Number(body.slice(1)));
  });
}

/** Title → text lines of every node and cluster group in Graphviz's SVG: what a reader actually sees. */
function svgTexts(svg: string): Map<string, string[]> {
  const texts = new Map<string, string[]>();
  for (const group of svg.split(/<g id="/).slice(1)) {
    const title = /<title>([^<]*)<\/title>/.exec(group);
    if (title === null) continue;
    const lines = [...group.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decodeXml(m[1]));
    texts.set(decodeXml(title[1]), lines);
  }
  return texts;
}

interface GraphvizObject {
  _gvid: number;
  name: string;
  nodes?: number[];
}

/**
 * Lays the graph out with Graphviz and reads back what it drew: structure from its JSON output,
 * text from its SVG (its JSON doubles backslashes in text). Small graphs only: layout is slow.
 */
export async function graphvizView(dot: string): Promise<GraphvizView> {
  graphviz ??= instance();
  const result = (await graphviz).renderFormats(dot, ["json", "svg"]);
  if (result.status !== "success") throw new Error(result.errors.map((e) => e.message).join("; "));
  const json = JSON.parse(result.output!.json) as { objects?: GraphvizObject[]; edges?: { tail: number; head: number }[] };
  const texts = svgTexts(result.output!.svg);
  const objects = json.objects ?? [];
  const byId = new Map(objects.map((o) => [o._gvid, o]));
  const view: GraphvizView = { nodes: new Map(), clusters: new Map(), edges: [] };
  for (const o of objects) {
    if (o.nodes !== undefined || o.name.startsWith("cluster")) {
      view.clusters.set(o.name, { title: texts.get(o.name) ?? [], nodes: new Set((o.nodes ?? []).map((id) => byId.get(id)!.name)) });
    } else {
      view.nodes.set(o.name, texts.get(o.name) ?? []);
    }
  }
  for (const e of json.edges ?? []) view.edges.push([byId.get(e.tail)!.name, byId.get(e.head)!.name]);
  return view;
}

/** Counts of equal items, to compare edge lists as multisets. */
export function tally(items: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}
