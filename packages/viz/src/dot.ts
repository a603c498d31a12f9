import type { Edge } from "@dagrejs/graphlib";
import { buildVizGraph, type VizEdge, type VizGraph, type VizNode, type VizNodeKind, type VizOptions } from "./graph";
import type { GraphSource } from "./source";

const FONT = "Helvetica,Arial,sans-serif";

interface Look {
  readonly shape: string;
  readonly fill: string;
  readonly border: string;
}

const LOOKS: Record<Exclude<VizNodeKind, "cluster">, Look> = {
  op: { shape: "box", fill: "#ffffff", border: "#495057" },
  parameter: { shape: "box", fill: "#d0ebff", border: "#1864ab" },
  input: { shape: "ellipse", fill: "#fff3bf", border: "#e67700" },
  placeholder: { shape: "ellipse", fill: "#ffe8cc", border: "#d9480f" },
  constant: { shape: "box", fill: "#f1f3f5", border: "#adb5bd" },
  group: { shape: "box3d", fill: "#e9ecef", border: "#495057" },
  summary: { shape: "note", fill: "#f8f9fa", border: "#868e96" },
};
const GRADIENT = { fill: "#ffe3e3", border: "#c92a2a" };
const CLUSTER_BORDER = "#868e96";
const REFERENCE_TEXT = "#868e96";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/g;

/**
 * A DOT quoted string for label text. Graphviz reads `\n`, `\l`, `\N`, `\G`... inside labels, so
 * every backslash is doubled; quotes are escaped; line breaks become `\n`; characters that cannot
 * travel in UTF-8 or would cut a C string are spelled out.
 */
function dotString(text: string): string {
  const printable = text
    .replace(LONE_SURROGATE, "\uFFFD")
    .replace(/\r\n?/g, "\n")
    .replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  // Graphviz reads entities (`&amp;`) in labels and writes them into its SVG as such: an `&` of the
  // user's own is written as `&amp;`, so the picture shows the text as it was.
  return `"${printable.replace(/&/g, "&amp;").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function attributeList(attributes: Record<string, string | number | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) parts.push(`${key}=${typeof value === "number" ? value : dotString(value)}`);
  }
  return `[${parts.join(", ")}]`;
}

function nodeAttributes(node: VizNode): Record<string, string | number | undefined> {
  const look = LOOKS[node.kind as Exclude<VizNodeKind, "cluster">];
  const colors = node.gradient ? GRADIENT : look;
  const style = ["filled"];
  if (node.kind === "op") style.push("rounded");
  if (node.kind === "placeholder" || node.kind === "summary" || node.reference) style.push("dashed");
  return {
    label: node.label,
    shape: look.shape,
    style: style.join(","),
    fillcolor: colors.fill,
    color: colors.border,
    fontcolor: node.reference ? REFERENCE_TEXT : undefined,
    peripheries: node.output ? 2 : undefined,
  };
}

/**
 * A gradient reading a forward value is drawn faint and does not rank the gradient graph (Graphviz's
 * `constraint=false`): otherwise each of those edges pulls the gradient of step t below step t of
 * the forward graph, and forward and backward interleave into one tall tangle.
 */
function edgeAttributes(edge: VizEdge): Record<string, string | number | undefined> {
  const faint = edge.readsForward ? { style: "dashed", penwidth: 0.5, constraint: "false" } : {};
  return { color: GRADIENT.border, ...faint };
}

function clusterAttributes(cluster: VizNode): Record<string, string> {
  return {
    label: cluster.label,
    style: cluster.gradient ? "rounded,dashed" : "rounded",
    color: cluster.gradient ? GRADIENT.border : CLUSTER_BORDER,
    fontcolor: cluster.gradient ? GRADIENT.border : CLUSTER_BORDER,
    labeljust: "l",
  };
}

/**
 * Writes a graph from `toGraphlib` (possibly edited) as DOT. Boxes and clusters follow their
 * topological order and edges their consumer's, so equal graphs give byte-identical text.
 */
export function graphToDot(graph: VizGraph): string {
  const { rankdir, note } = graph.graph();
  const lines = ["digraph gradgraph {"];
  const graphAttributes: Record<string, string | number | undefined> = { rankdir, fontname: FONT, fontsize: 11 };
  if (note !== undefined) Object.assign(graphAttributes, { label: note, labelloc: "t" });
  lines.push(`  graph ${attributeList(graphAttributes)};`);
  lines.push(`  node ${attributeList({ fontname: FONT, fontsize: 10, height: 0.3 })};`);
  lines.push(`  edge ${attributeList({ color: "#495057", arrowsize: 0.6 })};`);

  const byOrder = (a: string, b: string) => graph.node(a).order - graph.node(b).order;
  const writeChildren = (parent: string | undefined, indent: string): void => {
    for (const id of [...graph.children(parent)].sort(byOrder)) {
      const node = graph.node(id);
      if (node.kind !== "cluster") {
        lines.push(`${indent}${id} ${attributeList(nodeAttributes(node))};`);
        continue;
      }
      lines.push(`${indent}subgraph ${id} {`);
      lines.push(`${indent}  graph ${attributeList(clusterAttributes(node))};`);
      writeChildren(id, `${indent}  `);
      lines.push(`${indent}}`);
    }
  };
  writeChildren(undefined, "  ");

  const edgeKey = (e: Edge): [number, number, number] => [graph.node(e.w).order, graph.edge(e).slot, graph.node(e.v).order];
  const edges = graph.edges().map((e) => ({ e, key: edgeKey(e) }));
  edges.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2]);
  for (const { e } of edges) {
    const edge = graph.edge(e);
    const attributes = edge.readsForward || edge.gradient ? ` ${attributeList(edgeAttributes(edge))}` : "";
    lines.push(`  ${e.v} -> ${e.w}${attributes};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/**
 * The graph of `source` (tensors, or a saved `toJSON` graph) as Graphviz DOT: ops with output
 * shapes, named parameters and inputs, scope clusters, gradient nodes in red.
 */
export function toDot(source: GraphSource, options: VizOptions = {}): string {
  return graphToDot(buildVizGraph(source, options, "toDot"));
}
