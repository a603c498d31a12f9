import { type Attrs, type GraphJSON, gradientTargets, Tensor, topologicalOrder } from "@gradgraph/core";

/** What the exporters accept: live tensors (the graph they depend on) or a graph saved with core's `toJSON`. */
export type GraphSource = Tensor | readonly Tensor[] | GraphJSON;

/** One node of the internal form both sources are converted to. Its index is its topological position. */
export interface FlatNode {
  readonly op: string;
  /** Indices of earlier nodes. */
  readonly inputs: readonly number[];
  readonly attrs: Attrs;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly scope: string | undefined;
  readonly name: string | undefined;
  readonly requiresGrad: boolean;
  /** The value of a one-element constant, worth printing instead of "constant". */
  readonly scalarValue: number | string | undefined;
  /** What `grad` returned this node as the gradient of, as labels: `∂loss/∂rnn.weight_ih_l0`. */
  readonly gradientOf: readonly string[];
}

export interface FlatGraph {
  readonly nodes: readonly FlatNode[];
  readonly outputs: readonly number[];
}

/** Converts either source to the same form, so the tensors and their saved JSON draw identically. */
export function flattenSource(source: GraphSource, caller: string): FlatGraph {
  if (source instanceof Tensor) return flattenTensors([source]);
  // A list holding any tensor is a tensor list (and must hold only tensors); other lists are not graphs.
  if (Array.isArray(source) && (source.length === 0 || source.some((t) => t instanceof Tensor))) {
    source.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`${caller}: element ${i} of the tensor list is not a Tensor`);
    });
    return flattenTensors(source as readonly Tensor[]);
  }
  return flattenJSON(source as GraphJSON, caller);
}

/** How a gradient's label names what was differentiated: an unnamed scalar is what users call the loss. */
function outputName(output: Tensor): string {
  return output.name ?? (output.size === 1 ? "loss" : "output");
}

/** How a gradient's label names the input: by name, else by op and position if it is drawn too. */
function inputName(input: Tensor, index: ReadonlyMap<Tensor, number>): string {
  if (input.name !== undefined) return input.name;
  const at = index.get(input);
  return at === undefined ? input.op : `${input.op} #${at}`;
}

function flattenTensors(outputs: readonly Tensor[]): FlatGraph {
  // The same order `toJSON` uses, so node numbers agree between a live graph and its saved file.
  const order = topologicalOrder(outputs);
  const index = new Map(order.map((node, i) => [node, i]));
  const nodes = order.map(
    (node): FlatNode => ({
      op: node.op,
      inputs: node.inputs.map((input) => index.get(input)!),
      attrs: node.attrs,
      shape: node.shape,
      dtype: node.dtype,
      scope: node.scope,
      name: node.name,
      requiresGrad: node.requiresGrad,
      scalarValue: node.op === "constant" && node.size === 1 ? node.leafValue?.[0] : undefined,
      gradientOf: gradientTargets(node).map(({ output, input }) => `∂${outputName(output)}/∂${inputName(input, index)}`),
    }),
  );
  return { nodes, outputs: outputs.map((o) => index.get(o)!) };
}

function flattenJSON(json: GraphJSON, caller: string): FlatGraph {
  const fail = (message: string) => new Error(`${caller}: not a valid gradgraph graph: ${message}`);
  if (json === null || typeof json !== "object" || json.format !== "gradgraph-graph/1") {
    throw fail('expected an object with format "gradgraph-graph/1" (as written by toJSON)');
  }
  if (!Array.isArray(json.nodes)) throw fail("nodes must be an array");
  const nodes = json.nodes.map((spec, at): FlatNode => {
    if (spec === null || typeof spec !== "object") throw fail(`node ${at} is not an object`);
    if (typeof spec.op !== "string") throw fail(`node ${at} has no op name`);
    if (!Array.isArray(spec.inputs) || !spec.inputs.every((i) => Number.isInteger(i) && i >= 0 && i < at)) {
      throw fail(`node ${at} ('${spec.op}') must list its inputs as indices of earlier nodes`);
    }
    if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw fail(`node ${at} ('${spec.op}') has no valid shape`);
    }
    for (const field of ["scope", "name", "dtype"] as const) {
      if (spec[field] !== undefined && typeof spec[field] !== "string") throw fail(`node ${at} ('${spec.op}'): ${field} must be a string`);
    }
    const data = spec.data;
    return {
      op: spec.op,
      inputs: spec.inputs,
      attrs: spec.attrs ?? {},
      shape: spec.shape,
      dtype: spec.dtype,
      scope: spec.scope,
      name: spec.name,
      requiresGrad: spec.requiresGrad === true,
      scalarValue: spec.op === "constant" && Array.isArray(data) && data.length === 1 ? data[0] : undefined,
      gradientOf: [],
    };
  });
  const outputs = json.outputs ?? [];
  if (!Array.isArray(outputs) || !outputs.every((i) => Number.isInteger(i) && i >= 0 && i < nodes.length)) {
    throw fail("outputs must be indices of nodes");
  }
  return { nodes, outputs };
}
