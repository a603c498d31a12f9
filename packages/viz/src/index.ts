/**
 * Pictures of gradgraph graphs: a graphlib graph with one cluster per module scope, DOT, and SVG
 * through Graphviz in WebAssembly (no install needed).
 *
 * @module @gradgraph/viz
 */
export { toDot, graphToDot } from "./dot";
export {
  toGraphlib,
  DEFAULT_MAX_NODES,
  DEFAULT_MAX_FAN_OUT,
  DEFAULT_MAX_FAN_IN,
  type VizOptions,
  type Rankdir,
  type VizGraph,
  type VizGraphLabel,
  type VizNode,
  type VizNodeKind,
  type VizEdge,
} from "./graph";
export { toSvg, writeGraph } from "./render";
export { toHtml } from "./html";
export type { GraphSource } from "./source";
