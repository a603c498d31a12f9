import { allocate, assertDType, type DType } from "../basics/dtype";
import { formatShape, sameShape, sizeOf } from "../basics/shape";
import type { Attrs } from "../ir/attrs";
import { apply, constantNode, placeholderNode, topologicalOrder } from "../ir/graph";
import { getOp } from "../ir/registry";
import { withExactScope } from "../ir/scope";
import type { Tensor } from "../ir/tensor";
// Graphs name built-in ops, so they must be registered before any file is read.
import "../ops";

/** JSON has no NaN, infinities or negative zero; they travel as strings so values round-trip exactly. */
type JsonNumber = number | "NaN" | "Infinity" | "-Infinity" | "-0";

export interface NodeJSON {
  op: string;
  inputs: number[];
  attrs: Attrs;
  shape: number[];
  dtype: DType;
  scope?: string;
  name?: string;
  requiresGrad?: boolean;
  /** Constants only: row-major values. */
  data?: JsonNumber[];
}

export interface GraphJSON {
  format: "gradgraph-graph/1";
  nodes: NodeJSON[];
  /** Indices into `nodes`. */
  outputs: number[];
}

function encodeNumber(v: number): JsonNumber {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (Object.is(v, -0)) return "-0";
  return v;
}

function decodeNumber(v: JsonNumber): number {
  return typeof v === "number" ? v : v === "-0" ? -0 : Number(v);
}

/** The subgraph the outputs depend on, as plain data: ops, attributes, shapes, dtypes and constants. */
export function toJSON(outputs: readonly Tensor[]): GraphJSON {
  const order = topologicalOrder(outputs);
  const index = new Map(order.map((node, i) => [node, i]));
  const nodes = order.map((node): NodeJSON => {
    const json: NodeJSON = { op: node.op, inputs: node.inputs.map((i) => index.get(i)!), attrs: node.attrs, shape: [...node.shape], dtype: node.dtype };
    if (node.scope !== undefined) json.scope = node.scope;
    if (node.name !== undefined) json.name = node.name;
    if (node.requiresGrad) json.requiresGrad = true;
    if (node.op === "constant") json.data = Array.from(node.leafValue!, encodeNumber);
    return json;
  });
  return { format: "gradgraph-graph/1", nodes, outputs: outputs.map((o) => index.get(o)!) };
}

function invalid(at: number, message: string): Error {
  return new Error(`fromJSON: node ${at}: ${message}`);
}

/**
 * Rebuilds a graph saved by `toJSON`. Ops are looked up in the registry (user ops must be registered
 * first) and every shape rule runs again; a recorded shape that disagrees is an error.
 */
export function fromJSON(json: GraphJSON): { outputs: Tensor[]; nodes: Tensor[] } {
  if (json === null || typeof json !== "object" || json.format !== "gradgraph-graph/1" || !Array.isArray(json.nodes)) {
    throw new Error('fromJSON: expected an object with format "gradgraph-graph/1" and a nodes array');
  }
  const nodes: Tensor[] = [];
  json.nodes.forEach((spec, at) => {
    const dtype = assertDType(spec.dtype, `fromJSON: node ${at}`);
    if (!Array.isArray(spec.shape) || !Array.isArray(spec.inputs)) throw invalid(at, "shape and inputs must be arrays");
    const inputs = spec.inputs.map((i) => {
      if (!Number.isInteger(i) || i < 0 || i >= at) throw invalid(at, `input ${i} must refer to an earlier node`);
      return nodes[i];
    });
    let node: Tensor;
    if (spec.op === "constant") {
      if (!Array.isArray(spec.data) || spec.data.length !== sizeOf(spec.shape)) {
        throw invalid(at, `constant needs ${sizeOf(spec.shape)} values for shape ${formatShape(spec.shape)}`);
      }
      const data = allocate(dtype, spec.data.length);
      spec.data.forEach((v, i) => (data[i] = decodeNumber(v)));
      node = withExactScope(spec.scope, () => constantNode(data, spec.shape, dtype, spec.requiresGrad ?? false));
    } else if (spec.op === "placeholder") {
      node = withExactScope(spec.scope, () => placeholderNode(spec.shape, dtype));
    } else {
      node = withExactScope(spec.scope, () => apply(getOp(spec.op), inputs, spec.attrs ?? {}));
      if (!sameShape(node.shape, spec.shape) || node.dtype !== dtype) {
        throw invalid(at, `'${spec.op}' gives ${node.dtype} ${formatShape(node.shape)} but the file says ${dtype} ${formatShape(spec.shape)}`);
      }
    }
    if (spec.name !== undefined) node.name = spec.name;
    nodes.push(node);
  });
  const outputs = (json.outputs ?? []).map((i) => {
    if (nodes[i] === undefined) throw new Error(`fromJSON: output ${i} is not a node`);
    return nodes[i];
  });
  return { outputs, nodes };
}
