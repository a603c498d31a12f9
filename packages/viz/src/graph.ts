import * as graphlib from "@dagrejs/graphlib";
import { type AttrValue, formatShape } from "@gradgraph/core";
import { isGradientScope, lastSegment, parentScope } from "./scopes";
import { type FlatGraph, type FlatNode, flattenSource, type GraphSource } from "./source";
import { formatCount, groupNodes, type Unit } from "./summarize";

/** The direction the graph is drawn in (Graphviz's `rankdir`). */
export type Rankdir = "TB" | "LR" | "BT" | "RL";

/**
 * How a graph is drawn: direction, what labels show, backward-only, and the limits past which it is
 * collapsed.
 */
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
  /**
   * A box fed by more boxes than this (the concat of every step's output) gets one edge from a
   * summary box that names them: Graphviz's layout of a chain whose every step sends a long edge
   * to one node grows steeply with its length (its network simplex: 100 steps 5 s, 150 over a
   * minute, 300 over ten).
   */
  maxFanIn?: number;
  /**
   * Past this many edges (after the fan-out and fan-in limits) the export collapses by itself, as
   * for `maxNodes`; twice `maxNodes` unless given.
   */
  maxEdges?: number;
}

/** Boxes drawn at most before scopes are collapsed. */
export const DEFAULT_MAX_NODES = 2000;
/** Boxes one node feeds with edges at most; past this, the boxes it feeds name it instead (see `maxFanOut`). */
export const DEFAULT_MAX_FAN_OUT = 16;
/** Boxes feeding one box drawn at most before their edges are summarized. */
export const DEFAULT_MAX_FAN_IN = 16;

/** What a box of the picture stands for. */
export type VizNodeKind = "op" | "parameter" | "placeholder" | "input" | "constant" | "group" | "summary" | "cluster";

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
  /**
   * Boxes this box reaches through a `summary` box instead of edges: those fed by more boxes than
   * `maxFanIn` it feeds, and those it feeds when it feeds more boxes than `maxFanOut`.
   */
  summarizedConsumers: string[];
  /** Boxes feeding this box through a `summary` box instead of edges (the mirror of `summarizedConsumers`). */
  summarizedProducers: string[];
}

/** An edge of the picture: a tensor flowing from one box into another. */
export interface VizEdge {
  /** Data flows into a gradient node. */
  gradient: boolean;
  /** Graph edges this edge stands for (more than one between collapsed groups). */
  count: number;
  /** Input position at the consumer (the first one, for merged edges). */
  slot: number;
  /**
   * A gradient box reading a forward value that is drawn too: such edges do not rank the gradient
   * graph below the forward one, so the two sit side by side instead of in one long column.
   */
  readsForward: boolean;
}

/** What the picture says about itself: its direction, and when and why it was collapsed. */
export interface VizGraphLabel {
  rankdir: Rankdir;
  /** Says when and why the export collapsed or summarized the graph on its own. */
  note: string | undefined;
  /** Nodes in the exported graph before any collapsing. */
  totalNodes: number;
}

/** The graph of a picture, as graphlib holds it: what `toDot` and `toSvg` draw. */
export type VizGraph = graphlib.Graph<VizGraphLabel, VizNode, VizEdge>;

const RANKDIRS: readonly Rankdir[] = ["TB", "LR", "BT", "RL"];

type Limits = Required<Pick<VizOptions, "maxNodes" | "maxEdges" | "maxFanOut" | "maxFanIn">>;

function checkOptions(options: VizOptions, caller: string): Limits & { rankdir: Rankdir } {
  const { rankdir = "TB", collapseDepth } = options;
  const { maxNodes = DEFAULT_MAX_NODES, maxFanOut = DEFAULT_MAX_FAN_OUT, maxFanIn = DEFAULT_MAX_FAN_IN } = options;
  // A graph of chained ops has about as many edges as nodes, a bit more: the node budget's scale.
  const { maxEdges = 2 * maxNodes } = options;
  if (!RANKDIRS.includes(rankdir)) throw new Error(`${caller}: rankdir must be one of ${RANKDIRS.join(", ")}, got ${JSON.stringify(rankdir)}`);
  const positive = { maxNodes, maxEdges, maxFanOut, maxFanIn, collapseDepth };
  for (const [key, value] of Object.entries(positive)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new Error(`${caller}: ${key} must be a positive integer, got ${value}`);
  }
  return { rankdir, maxNodes, maxEdges, maxFanOut, maxFanIn };
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
      // A user's name wins; else a gradient says what it is the gradient of.
      if (node.name !== undefined) lines.push(node.name);
      else lines.push(...node.gradientOf);
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

/** One edge to draw: the graph edges between two boxes merged (one per input position between single nodes). */
interface PlannedEdge {
  producer: string;
  consumer: string;
  slot: number;
  gradient: boolean;
  count: number;
}

/**
 * Which edges are drawn. Hundreds of long edges make a picture unreadable, and Graphviz's layout
 * of a chain whose every link gets an edge from one box (or sends one to one box) grows steeply
 * with its length (see `maxFanIn`). So edges are left out: those of a node feeding more than
 * `maxFanOut` boxes (a weight shared by every step; the boxes it feeds name it); then those of a
 * box still feeding more than `maxFanOut` boxes, and those into a box fed by more than `maxFanIn`
 * boxes (the concat of every step's output), each set drawn as one edge through a summary box.
 */
interface EdgePlan {
  edges: PlannedEdge[];
  /** Links of nodes past the fan-out limit, with how many boxes the node feeds. */
  fannedOut: { link: Connection; boxes: number }[];
  /** Per producer box past the fan-out limit, the links its summary box stands for. */
  fanOutSummaries: Map<string, Connection[]>;
  /** Per consumer box past the fan-in limit, the links its summary box stands for. */
  fanInSummaries: Map<string, Connection[]>;
}

function groupBy<T>(items: readonly T[], key: (item: T) => number | string): Map<number | string, T[]> {
  const groups = new Map<number | string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

function distinctCount(links: readonly Connection[], end: "producer" | "consumer"): number {
  return new Set(links.map((l) => l[end])).size;
}

/** Splits off the groups of links whose key has more than `limit` distinct other ends. */
function splitCrowded(links: readonly Connection[], by: "producer" | "consumer", limit: number): { crowded: Map<string, Connection[]>; rest: Connection[] } {
  const other = by === "producer" ? "consumer" : "producer";
  const crowded = new Map<string, Connection[]>();
  const rest: Connection[] = [];
  for (const [key, group] of groupBy(links, (l) => l[by])) {
    if (distinctCount(group, other) > limit) crowded.set(key as string, group);
    else rest.push(...group);
  }
  return { crowded, rest };
}

function planEdges(links: readonly Connection[], maxFanOut: number, maxFanIn: number): EdgePlan {
  const fannedOut: EdgePlan["fannedOut"] = [];
  const kept: Connection[] = [];
  for (const [, group] of groupBy(links, (l) => l.input)) {
    const boxes = distinctCount(group, "consumer");
    if (boxes > maxFanOut) fannedOut.push(...group.map((link) => ({ link, boxes })));
    else kept.push(...group);
  }
  const fanOut = splitCrowded(kept, "producer", maxFanOut);
  const fanIn = splitCrowded(fanOut.rest, "consumer", maxFanIn);
  const merged = new Map<string, PlannedEdge>();
  for (const { producer, consumer, slot, gradient } of fanIn.rest) {
    // Between single nodes one edge per input position, so `x.mul(x)` shows two; else one per pair of boxes.
    const key = producer.startsWith("n") && consumer.startsWith("n") ? `${producer}>${consumer}>${slot}` : `${producer}>${consumer}`;
    const existing = merged.get(key);
    if (existing === undefined) merged.set(key, { producer, consumer, slot, gradient, count: 1 });
    else {
      existing.count++;
      existing.gradient ||= gradient;
    }
  }
  return { edges: [...merged.values()], fannedOut, fanOutSummaries: fanOut.crowded, fanInSummaries: fanIn.crowded };
}

/** How many edges the picture of these boxes has, summary edges included: what the edge budget counts. */
function edgeCount(plan: EdgePlan): number {
  return plan.edges.length + plan.fanOutSummaries.size + plan.fanInSummaries.size;
}

/** Adds the planned edges, the summary boxes, and the notes that name what the left-out edges connected. */
function addEdges(g: VizGraph, plan: EdgePlan, nodes: readonly FlatNode[], boxName: (id: string) => string): void {
  const readsForward = (producer: VizNode, consumer: VizNode) => consumer.gradient && !producer.gradient && !producer.reference;
  for (const { producer, consumer, slot, gradient, count } of plan.edges) {
    const edge: VizEdge = { gradient, count, slot, readsForward: readsForward(g.node(producer), g.node(consumer)) };
    g.setEdge(producer, consumer, edge, producer.startsWith("n") && consumer.startsWith("n") ? String(slot) : undefined);
  }
  for (const { link, boxes } of plan.fannedOut) {
    const { omittedOutputs } = g.node(link.producer);
    if (!omittedOutputs.some((o) => o.node === link.input)) omittedOutputs.push({ node: link.input, boxes });
    const { omittedInputs } = g.node(link.consumer);
    if (!omittedInputs.includes(link.input)) omittedInputs.push(link.input);
  }
  // A summary box sits beside the crowded box, in its cluster, and names the first and last box at the other end.
  const addSummary = (id: string, crowded: string, others: readonly string[], links: readonly Connection[], into: boolean) => {
    const anchor = g.node(crowded);
    const label = `${boxName(others[0])} … ${boxName(others[others.length - 1])}\n${counted(others.length, "box", "boxes")}`;
    const gradient = links.some((l) => l.gradient);
    g.setNode(id, box({ kind: "summary", label, order: anchor.order, nodeCount: 0, scope: anchor.scope, gradient, reference: false, output: false }));
    g.setParent(id, g.parent(crowded));
    const edge: VizEdge = { gradient, count: links.length, slot: links[0].slot, readsForward: false };
    if (into) g.setEdge(id, crowded, edge);
    else g.setEdge(crowded, id, edge);
  };
  for (const [producer, links] of plan.fanOutSummaries) {
    const consumers = [...new Set(links.map((l) => l.consumer))];
    addSummary(`fanout_${producer}`, producer, consumers, links, false);
    for (const consumer of consumers) g.node(consumer).summarizedProducers.push(producer);
  }
  for (const [consumer, links] of plan.fanInSummaries) {
    const producers = [...new Set(links.map((l) => l.producer))];
    addSummary(`fanin_${consumer}`, consumer, producers, links, true);
    for (const producer of producers) g.node(producer).summarizedConsumers.push(consumer);
  }
  for (const id of g.nodes()) {
    const box = g.node(id);
    const notes = box.omittedOutputs.map(({ node, boxes }) => {
      // A single node's label already shows what it is; say only how to refer to it if needed.
      const who = box.kind === "group" ? `${nodeName(nodes, node)} ` : selfNamed(nodes[node]) ? "" : `#${node} `;
      return `${who}→ ${counted(boxes, "box", "boxes")}`;
    });
    if (box.summarizedConsumers.length > 0) notes.push(`→ ${listNames(box.summarizedConsumers.map(boxName))}`);
    const omitted = [...box.omittedInputs.sort((a, b) => a - b).map((i) => nodeName(nodes, i)), ...box.summarizedProducers.map(boxName)];
    if (omitted.length > 0) notes.push(`← ${listNames(omitted)}`);
    if (notes.length > 0) box.label = [box.label, ...notes].join("\n");
  }
}

type BoxFields = Omit<VizNode, "omittedInputs" | "omittedOutputs" | "summarizedConsumers" | "summarizedProducers">;

function box(fields: BoxFields): VizNode {
  return { ...fields, omittedInputs: [], omittedOutputs: [], summarizedConsumers: [], summarizedProducers: [] };
}

function singleBox(node: FlatNode, order: number, reference: boolean, output: boolean, options: VizOptions): VizNode {
  const kind = kindOf(node);
  const label = singleLabel(node, kind, options);
  return box({ kind, label, order, nodeCount: 1, scope: node.scope, gradient: isGradientScope(node.scope), reference, output });
}

function groupBox(unit: Unit, nodes: readonly FlatNode[], reference: readonly boolean[], isOutput: ReadonlySet<number>): VizNode {
  const { members, merged } = unit;
  const heading = merged === undefined ? unitName(unit, nodes) : `${unitName(merged[0], nodes)} … ${unitName(merged[merged.length - 1], nodes)}`;
  // Gradients `grad` returned stay findable when their scope is collapsed.
  const gradients = members.flatMap((i) => (nodes[i].name === undefined ? nodes[i].gradientOf : []));
  const lines = [heading, counted(members.length, "node", "nodes")];
  if (gradients.length > 0) lines.push(listNames(gradients));
  return box({
    kind: "group",
    label: lines.join("\n"),
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
  const { rankdir, maxNodes, maxEdges, maxFanOut, maxFanIn } = checkOptions(options, caller);
  const graph = flattenSource(source, caller);
  const { nodes, outputs } = graph;
  const { drawn, reference } = selectNodes(graph, options.backwardOnly ?? false);
  const planFor = (candidate: readonly Unit[]): EdgePlan => {
    const boxOf = new Map<number, string>();
    for (const unit of candidate) for (const i of unit.members) boxOf.set(i, unitId(unit));
    return planEdges(connections(nodes, drawn, reference, boxOf), maxFanOut, maxFanIn);
  };
  const countEdges = (candidate: readonly Unit[]) => edgeCount(planFor(candidate));
  const { units, note } = groupNodes(nodes, drawn, { collapseDepth: options.collapseDepth, maxNodes, maxEdges, countEdges });

  const g: VizGraph = new graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir, note, totalNodes: drawn.length });
  const isOutput = new Set(outputs);
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

  const unitById = new Map(units.map((unit) => [unitId(unit), unit]));
  addEdges(g, planFor(units), nodes, (id) => unitName(unitById.get(id)!, nodes));
  return g;
}

/** The graphlib graph the DOT export draws: boxes, scope clusters (as compound parents) and edges. */
export function toGraphlib(source: GraphSource, options: VizOptions = {}): VizGraph {
  return buildVizGraph(source, options, "toGraphlib");
}
