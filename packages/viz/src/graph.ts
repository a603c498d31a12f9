import * as graphlib from "@dagrejs/graphlib";
import { type AttrValue, formatShape } from "@gradgraph/core";
import { isGradientScope, lastSegment, parentScope } from "./scopes";
import { type FlatGraph, type FlatNode, flattenSource, type GraphSource } from "./source";
import { formatCount, groupNodes, type Unit } from "./summarize";

export type Rankdir = "TB" | "LR" | "BT" | "RL";

export interface VizOptions {
  /** Graphviz layout direction: "TB" (inputs on top, the default), "LR", "BT" or "RL". */
  rankdir?: Rankdir;
  /** Add the dtype to each node's shape line. */
  showDtype?: boolean;
  /** List op attributes (dims, keepdim, ...) under the shape. */
  showAttrs?: boolean;
  /**
   * Draw only the gradient graph that `grad` built (nodes scoped `backward...`, plus the outputs);
   * the forward values it reads are shown as dashed reference boxes without their own inputs.
   */
  backwardOnly?: boolean;
  /** Collapse every scope this many levels deep into one box (1 = top-level scopes such as `rnn`). */
  collapseDepth?: number;
  /** Past this many boxes the export collapses scopes (or merges runs of boxes) by itself and says so. */
  maxNodes?: number;
  /**
   * A node feeding more boxes than this (a weight shared by every step of a long sequence) is drawn
   * without those edges, and the boxes it feeds name it in their labels: hundreds of long edges
   * make the picture unreadable and Graphviz's layout run for minutes.
   */
  maxFanOut?: number;
}

export const DEFAULT_MAX_NODES = 2000;
export const DEFAULT_MAX_FAN_OUT = 16;

export type VizNodeKind = "op" | "parameter" | "placeholder" | "input" | "constant" | "group" | "cluster";

/** The label graphlib holds for every box and cluster. */
export interface VizNode {
  kind: VizNodeKind;
  /** The text drawn, lines separated by "\n". */
  label: string;
  /** Topological position of the first graph node it stands for; the drawing order. */
  order: number;
  /** How many graph nodes it stands for (members of a group or cluster). */
  nodeCount: number;
  /** The node's scope, or the path of a cluster or collapsed group. */
  scope: string | undefined;
  /** Part of the gradient graph that `grad` built. */
  gradient: boolean;
  /** With `backwardOnly`: a forward value the gradient graph reads, shown without its inputs. */
  reference: boolean;
  /** One of the tensors (or JSON outputs) the export was asked for. */
  output: boolean;
  /** Graph nodes (by topological position) feeding this box whose edges are left out (see `maxFanOut`). */
  omittedInputs: number[];
  /** Graph nodes in this box that feed more than `maxFanOut` boxes, drawn without those edges. */
  omittedOutputs: { node: number; boxes: number }[];
}

export interface VizEdge {
  /** Data flows into a gradient node. */
  gradient: boolean;
  /** Graph edges this edge stands for (more than one between collapsed groups). */
  count: number;
  /** Input position at the consumer (the first one, for merged edges). */
  slot: number;
}

export interface VizGraphLabel {
  rankdir: Rankdir;
  /** Says when and why the export collapsed or summarized the graph on its own. */
  note: string | undefined;
  /** Nodes in the exported graph before any collapsing. */
  totalNodes: number;
}

export type VizGraph = graphlib.Graph<VizGraphLabel, VizNode, VizEdge>;

const RANKDIRS: readonly Rankdir[] = ["TB", "LR", "BT", "RL"];

function checkOptions(options: VizOptions, caller: string): Required<Pick<VizOptions, "rankdir" | "maxNodes" | "maxFanOut">> {
  const { rankdir = "TB", maxNodes = DEFAULT_MAX_NODES, maxFanOut = DEFAULT_MAX_FAN_OUT, collapseDepth } = options;
  if (!RANKDIRS.includes(rankdir)) throw new Error(`${caller}: rankdir must be one of ${RANKDIRS.join(", ")}, got ${JSON.stringify(rankdir)}`);
  const positive = { maxNodes, maxFanOut, collapseDepth };
  for (const [key, value] of Object.entries(positive)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new Error(`${caller}: ${key} must be a positive integer, got ${value}`);
  }
  return { rankdir, maxNodes, maxFanOut };
}

function formatAttr(value: AttrValue): string {
  return Array.isArray(value) ? `[${value.join(", ")}]` : String(value);
}

function formatScalar(value: number | string): string {
  if (typeof value === "string") return value; // JSON spells NaN, infinities and -0 as strings
  if (Object.is(value, -0)) return "-0";
  return Number.isInteger(value) || !Number.isFinite(value) ? String(value) : String(Number(value.toPrecision(6)));
}

function kindOf(node: FlatNode): VizNodeKind {
  if (node.op === "placeholder") return "placeholder";
  if (node.op !== "constant") return "op";
  if (node.requiresGrad) return "parameter";
  return node.name === undefined ? "constant" : "input";
}

function singleLabel(node: FlatNode, kind: VizNodeKind, options: VizOptions): string {
  const type = options.showDtype ? ` ${node.dtype}` : "";
  const lines: string[] = [];
  if (kind === "constant" && node.scalarValue !== undefined && node.shape.length === 0) {
    lines.push(`${formatScalar(node.scalarValue)}${type}`);
  } else {
    if (kind === "op") {
      if (node.name !== undefined) lines.push(node.name);
      lines.push(node.op);
    } else {
      lines.push(node.name ?? kind);
    }
    lines.push(`${formatShape(node.shape)}${type}`);
  }
  if (options.showAttrs) {
    for (const key of Object.keys(node.attrs).sort()) lines.push(`${key}=${formatAttr(node.attrs[key])}`);
  }
  return lines.join("\n");
}

function counted(count: number, one: string, many: string): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

function unitId(unit: Unit): string {
  return unit.members.length === 1 && unit.merged === undefined && unit.scope === undefined ? `n${unit.members[0]}` : `g${unit.members[0]}`;
}

/** Which nodes are drawn, and which of those only as references (backwardOnly). */
function selectNodes(graph: FlatGraph, backwardOnly: boolean): { drawn: number[]; reference: boolean[] } {
  const { nodes, outputs } = graph;
  const reference = new Array<boolean>(nodes.length).fill(false);
  if (!backwardOnly) return { drawn: nodes.map((_, i) => i), reference };
  const full = nodes.map((node) => isGradientScope(node.scope));
  for (const o of outputs) full[o] = true;
  const shown = [...full];
  nodes.forEach((node, i) => {
    if (!full[i]) return;
    for (const input of node.inputs) {
      if (!full[input]) reference[input] = shown[input] = true;
    }
  });
  return { drawn: nodes.flatMap((_, i) => (shown[i] ? [i] : [])), reference };
}

interface Connection {
  /** The graph node feeding the consumer. */
  input: number;
  producer: string;
  consumer: string;
  slot: number;
  gradient: boolean;
}

/** Every drawn input edge, between boxes; reference boxes stand alone, their inputs belong to the forward graph. */
function connections(nodes: readonly FlatNode[], drawn: readonly number[], reference: readonly boolean[], unitOf: Map<number, string>): Connection[] {
  const result: Connection[] = [];
  for (const i of drawn) {
    if (reference[i]) continue;
    const consumer = unitOf.get(i)!;
    const gradient = isGradientScope(nodes[i].scope);
    nodes[i].inputs.forEach((input, slot) => {
      const producer = unitOf.get(input)!;
      if (producer !== consumer) result.push({ input, producer, consumer, slot, gradient });
    });
  }
  return result;
}

/** Whether a node's label already identifies it: a name, or a scalar constant's value. */
function selfNamed(node: FlatNode): boolean {
  return node.name !== undefined || (node.scalarValue !== undefined && node.shape.length === 0);
}

/** How labels refer to a node whose edges are left out: its name or value, else op and position. */
function nodeName(nodes: readonly FlatNode[], i: number): string {
  const node = nodes[i];
  if (node.name !== undefined) return node.name;
  return selfNamed(node) ? formatScalar(node.scalarValue!) : `${node.op} #${i}`;
}

/** How a run's label names the boxes it merged. */
function unitName(unit: Unit, nodes: readonly FlatNode[]): string {
  return unit.scope ?? nodeName(nodes, unit.members[0]);
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 3).join(", ");
  return names.length > 3 ? `${shown} +${names.length - 3} more` : shown;
}

/**
 * Adds the edges. A node feeding more than `maxFanOut` boxes (a weight shared by every step of a
 * long loop) gets none: hundreds of long edges make Graphviz's layout blow up, so the boxes it
 * feeds name it instead.
 */
function addEdges(g: VizGraph, links: readonly Connection[], maxFanOut: number, nodes: readonly FlatNode[]): void {
  const consumersOf = new Map<number, Set<string>>();
  for (const { input, consumer } of links) {
    let consumers = consumersOf.get(input);
    if (consumers === undefined) consumersOf.set(input, (consumers = new Set()));
    consumers.add(consumer);
  }
  for (const { input, producer, consumer, slot, gradient } of links) {
    const fanOut = consumersOf.get(input)!.size;
    if (fanOut > maxFanOut) {
      const { omittedOutputs } = g.node(producer);
      if (!omittedOutputs.some((o) => o.node === input)) omittedOutputs.push({ node: input, boxes: fanOut });
      const { omittedInputs } = g.node(consumer);
      if (!omittedInputs.includes(input)) omittedInputs.push(input);
    } else if (producer.startsWith("n") && consumer.startsWith("n")) {
      // Both ends are single nodes: one edge per input position, so `x.mul(x)` shows two.
      g.setEdge(producer, consumer, { gradient, count: 1, slot }, String(slot));
    } else {
      const existing = g.edge(producer, consumer);
      if (existing === undefined) g.setEdge(producer, consumer, { gradient, count: 1, slot });
      else {
        existing.count++;
        existing.gradient ||= gradient;
      }
    }
  }
  for (const id of g.nodes()) {
    const box = g.node(id);
    const notes = box.omittedOutputs.map(({ node, boxes }) => {
      // A single node's label already shows what it is; say only how to refer to it if needed.
      const who = box.kind === "group" ? `${nodeName(nodes, node)} ` : selfNamed(nodes[node]) ? "" : `#${node} `;
      return `${who}→ ${counted(boxes, "box", "boxes")}`;
    });
    if (box.omittedInputs.length > 0) notes.push(`← ${listNames(box.omittedInputs.sort((a, b) => a - b).map((i) => nodeName(nodes, i)))}`);
    if (notes.length > 0) box.label = [box.label, ...notes].join("\n");
  }
}

type BoxFields = Omit<VizNode, "omittedInputs" | "omittedOutputs">;

function box(fields: BoxFields): VizNode {
  return { ...fields, omittedInputs: [], omittedOutputs: [] };
}

function singleBox(node: FlatNode, order: number, reference: boolean, output: boolean, options: VizOptions): VizNode {
  const kind = kindOf(node);
  const label = singleLabel(node, kind, options);
  return box({ kind, label, order, nodeCount: 1, scope: node.scope, gradient: isGradientScope(node.scope), reference, output });
}

function groupBox(unit: Unit, nodes: readonly FlatNode[], reference: readonly boolean[], isOutput: ReadonlySet<number>): VizNode {
  const { members, merged } = unit;
  const heading = merged === undefined ? unitName(unit, nodes) : `${unitName(merged[0], nodes)} … ${unitName(merged[merged.length - 1], nodes)}`;
  return box({
    kind: "group",
    label: `${heading}\n${counted(members.length, "node", "nodes")}`,
    order: members[0],
    nodeCount: members.length,
    scope: unit.scope,
    gradient: members.some((i) => isGradientScope(nodes[i].scope)),
    reference: members.every((i) => reference[i]),
    output: members.some((i) => isOutput.has(i)),
  });
}

/** @internal `toGraphlib` under the caller's name, so `toDot`'s errors say `toDot`. */
export function buildVizGraph(source: GraphSource, options: VizOptions, caller: string): VizGraph {
  const { rankdir, maxNodes, maxFanOut } = checkOptions(options, caller);
  const graph = flattenSource(source, caller);
  const { nodes, outputs } = graph;
  const { drawn, reference } = selectNodes(graph, options.backwardOnly ?? false);
  const { units, note } = groupNodes(nodes, drawn, { collapseDepth: options.collapseDepth, maxNodes });

  const g: VizGraph = new graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir, note, totalNodes: drawn.length });
  const isOutput = new Set(outputs);
  const unitOf = new Map<number, string>();
  const clusters = new Map<string, string>();
  // Clusters are numbered in order of first appearance, so ids depend only on the graph's structure.
  const clusterFor = (path: string, order: number): string => {
    const known = clusters.get(path);
    if (known !== undefined) return known;
    const parent = parentScope(path);
    const parentId = parent === undefined ? undefined : clusterFor(parent, order);
    const id = `cluster_${clusters.size}`;
    clusters.set(path, id);
    const gradient = isGradientScope(path);
    g.setNode(id, box({ kind: "cluster", label: lastSegment(path), order, nodeCount: 0, scope: path, gradient, reference: false, output: false }));
    g.setParent(id, parentId);
    return id;
  };

  for (const unit of units) {
    const id = unitId(unit);
    const order = unit.members[0];
    for (const i of unit.members) unitOf.set(i, id);
    const single = id.startsWith("n");
    g.setNode(id, single ? singleBox(nodes[order], order, reference[order], isOutput.has(order), options) : groupBox(unit, nodes, reference, isOutput));
    // A collapsed scope sits in the cluster of its parent scope; runs of boxes sit at the top.
    const enclosing = single ? nodes[order].scope : unit.scope === undefined ? undefined : parentScope(unit.scope);
    if (enclosing === undefined) continue;
    for (let cluster: string | undefined = clusterFor(enclosing, order); cluster !== undefined; cluster = g.parent(cluster)) {
      g.node(cluster).nodeCount += unit.members.length;
    }
    g.setParent(id, clusters.get(enclosing));
  }

  addEdges(g, connections(nodes, drawn, reference, unitOf), maxFanOut, nodes);
  return g;
}

/** The graphlib graph the DOT export draws: boxes, scope clusters (as compound parents) and edges. */
export function toGraphlib(source: GraphSource, options: VizOptions = {}): VizGraph {
  return buildVizGraph(source, options, "toGraphlib");
}
