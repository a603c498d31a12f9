import { allocate, type DType, type TypedArray } from "../../basics/dtype";
import { formatShape, sameShape, type Shape, sizeOf } from "../../basics/shape";
import { denseWindow } from "../../basics/window";
import { type Attrs, attrsKey, noAttrs } from "../../ir/attrs";
import { topologicalOrder } from "../../ir/graph";
import type { AnyOpDef } from "../../ir/registry";
import type { Tensor } from "../../ir/tensor";
import { runKernel } from "../runKernel";
import { disjointWindows, sameElements } from "./layout";

/**
 * The compiler's own copy of the graph: plain records in topological order, so passes can
 * rewrite freely without touching the user's tensors.
 * - `input`: fed by `run()` into a buffer the program owns.
 * - `leaf`: a parameter or constant read in place from the tensor's array (which updates write).
 * - `const`: a value that can never change (frozen scalars, folded subgraphs). A one-element
 *   value of a larger shape is that element broadcast (a literal in loops, never stored).
 */
export type FlowKind = "input" | "leaf" | "const" | "op";

export interface FlowNode {
  readonly index: number;
  readonly kind: FlowKind;
  /** The op of an `op` node. */
  readonly def?: AnyOpDef;
  readonly inputs: readonly FlowNode[];
  readonly attrs: Attrs;
  readonly shape: Shape;
  readonly dtype: DType;
  /** The user's tensor, for inputs and leaves. */
  readonly tensor?: Tensor;
  /** The value of a `const`. */
  readonly value?: TypedArray;
  /** The module path of the tensor this node copies, named in errors. */
  readonly scope?: string;
  readonly consumers: FlowNode[];
}

export interface Dataflow {
  readonly nodes: readonly FlowNode[];
  readonly nodeOf: ReadonlyMap<Tensor, FlowNode>;
  /** How many distinct tensors the outputs reach, before merging and folding. */
  readonly tensorCount: number;
  readonly mergedCount: number;
  readonly foldedCount: number;
}

/**
 * Copies the graph the roots need, merging nodes equal in (op, inputs, attrs) (interning already
 * merges most; this catches copies built with and without gradients, or loaded from JSON), and
 * folding ops whose inputs are all immutable constants by running their kernel once, now.
 * Views stay unfolded: consumers read through them (a broadcast scalar inlines into loops).
 */
export function buildDataflow(roots: readonly Tensor[], inputs: readonly Tensor[]): Dataflow {
  const inputSet = new Set(inputs);
  const order = topologicalOrder(roots, (t) => inputSet.has(t));
  const nodes: FlowNode[] = [];
  const nodeOf = new Map<Tensor, FlowNode>();
  const interned = new Map<string, FlowNode>();
  let merged = 0;
  let folded = 0;
  const add = (fields: Omit<FlowNode, "index" | "consumers">): FlowNode => {
    const node: FlowNode = { ...fields, index: nodes.length, consumers: [] };
    nodes.push(node);
    return node;
  };
  const zeros = new Map<string, FlowNode>();
  const zerosOf = (shape: Shape, dtype: DType): FlowNode => {
    const key = `${dtype}${formatShape(shape)}`;
    let zero = zeros.get(key);
    if (zero === undefined) zeros.set(key, (zero = add({ kind: "const", inputs: [], attrs: noAttrs, shape, dtype, value: allocate(dtype, 1) })));
    return zero;
  };
  for (const t of order) {
    const base = { attrs: t.attrs, shape: t.shape, dtype: t.dtype, scope: t.scope };
    if (inputSet.has(t)) {
      nodeOf.set(t, add({ ...base, kind: "input", inputs: [], tensor: t }));
      continue;
    }
    const def = t.def;
    if (def === undefined) {
      const value = t.leafValue;
      if (value === undefined) {
        const name = t.name === undefined ? "" : ` '${t.name}'`;
        throw new Error(`compile: ${t.op}${name} ${formatShape(t.shape)} ${t.dtype} has no value: list it in inputs to feed it per run`);
      }
      nodeOf.set(t, t.frozen ? add({ ...base, kind: "const", inputs: [], value }) : add({ ...base, kind: "leaf", inputs: [], tensor: t }));
      continue;
    }
    const ins = t.inputs.map((x) => nodeOf.get(x)!);
    const simpler = windowOfPlacement(t, ins, zerosOf);
    if (simpler !== undefined) {
      nodeOf.set(t, simpler);
      continue;
    }
    const key = `${def.name}|${ins.map((x) => x.index).join(",")}|${attrsKey(t.attrs)}`;
    const existing = interned.get(key);
    if (existing !== undefined) {
      merged++;
      nodeOf.set(t, existing);
      continue;
    }
    let node: FlowNode;
    // A broadcast constant is one element standing for many: kernels need it stored whole.
    if (def.view === undefined && ins.every((x) => x.kind === "const" && x.value!.length === sizeOf(x.shape))) {
      const values = ins.map((x) => ({ data: x.value!, shape: x.shape, dtype: x.dtype }));
      node = add({ ...base, kind: "const", inputs: [], value: runKernel(t, values) });
      folded++;
    } else {
      node = add({ ...base, kind: "op", def, inputs: ins });
    }
    interned.set(key, node);
    nodeOf.set(t, node);
  }
  for (const node of nodes) for (const input of new Set(node.inputs)) input.consumers.push(node);
  return { nodes, nodeOf, tensorCount: order.length, mergedCount: merged, foldedCount: folded };
}

/**
 * A view of a placement's result (one block of a concatenation, or of a slice's gradient) is the placed
 * input itself when it reads exactly that input's window, and zeros when the rest is zero-filled
 * and it misses every placed window. The gradient of an unrolled sequence reads each step's rows
 * this way; the rewrite leaves the zero-filled buffer dead.
 */
function windowOfPlacement(t: Tensor, ins: readonly FlowNode[], zerosOf: (shape: Shape, dtype: DType) => FlowNode): FlowNode | undefined {
  const placed = ins[0];
  const view = t.def!.view;
  const placement = placed?.def?.placement;
  if (view === undefined || placement === undefined || placed.kind !== "op") return undefined;
  const window = view(denseWindow(placed.shape), t.attrs, t);
  if (window === undefined) return undefined;
  const { zeroFill, windows } = placement(placed.inputs, placed.attrs, placed);
  const exact = windows.findIndex((w, i) => sameShape(placed.inputs[i].shape, t.shape) && sameElements(window, w));
  if (exact >= 0) return placed.inputs[exact];
  if (zeroFill && windows.every((w) => disjointWindows(window, w, placed.shape))) return zerosOf(t.shape, t.dtype);
  return undefined;
}
