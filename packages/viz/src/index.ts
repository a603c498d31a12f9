export { toDot, graphToDot } from "./dot";
export {
  toGraphlib,
  DEFAULT_MAX_NODES,
  DEFAULT_MAX_FAN_OUT,
  type VizOptions,
  type Rankdir,
  type VizGraph,
  type VizGraphLabel,
  type VizNode,
  type VizNodeKind,
  type VizEdge,
} from "./graph";
export { toSvg, writeGraph } from "./render";
export type { GraphSource } from "./source";
