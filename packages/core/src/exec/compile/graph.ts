import { allocate, type DType, type TypedArray } from "../../dtype";
import { type Attrs, attrsKey, noAttrs } from "../../ir/attrs";
import { topologicalOrder } from "../../ir/graph";
import { getOp } from "../../ops/registry";
import { formatShape, type Shape } from "../../shape";
import type { Tensor } from "../../tensor";

/**
 * The compiler's own copy of the graph: plain records in topological order, so passes can
 * rewrite freely without touching the user's tensors.
 * - `input`: fed by `run()` into a buffer the program owns.
 * - `leaf`: a parameter or constant read in place from the tensor's array (which updates write).
 * - `const`: a value that can never change (frozen scalars, folded subgraphs).
 */
export type NodeKind = "input" | "leaf" | "const" | "op";

export interface Node {
  readonly index: number;
  readonly kind: NodeKind;
  readonly op: string;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  readonly shape: Shape;
  readonly dtype: DType;
  /** The user's tensor, for inputs and leaves. */
  readonly tensor?: Tensor;
  /** The value of a `const`. */
  readonly value?: TypedArray;
  readonly consumers: Node[];
}

export interface Graph {
  readonly nodes: readonly Node[];
  readonly nodeOf: ReadonlyMap<Tensor, Node>;
  /** How many distinct tensors the outputs reach, before merging and folding. */
  readonly tensorCount: number;
  readonly mergedCount: number;
  readonly foldedCount: number;
}

/** Ops whose kernel only moves or aliases data; the compiler reads through them instead of running them. */
export const viewOps: ReadonlySet<string> = new Set(["reshape", "detach", "expand", "transpose", "permute", "slice"]);

/**
 * Copies the graph the roots need, merging nodes equal in (op, inputs, attrs) (interning already
 * merges most; this catches copies built with and without gradients, or loaded from JSON), and
 * folding ops whose inputs are all immutable constants by running their kernel once, now.
 * Expand stays unfolded: read through as a broadcast, a scalar inlines into the fused loop.
 */
export function buildGraph(roots: readonly Tensor[], inputs: readonly Tensor[]): Graph {
  const inputSet = new Set(inputs);
  const order = topologicalOrder(roots, (t) => inputSet.has(t));
  const nodes: Node[] = [];
  const nodeOf = new Map<Tensor, Node>();
  const interned = new Map<string, Node>();
  let merged = 0;
  let folded = 0;
  const add = (fields: Omit<Node, "index" | "consumers">): Node => {
    const node: Node = { ...fields, index: nodes.length, consumers: [] };
    nodes.push(node);
    return node;
  };
  const zeroScalars = new Map<DType, Node>();
  /** A broadcast 0 of `shape`: read as a literal by loops, never stored. */
  const zerosOf = (shape: Shape, dtype: DType): Node => {
    let zero = zeroScalars.get(dtype);
    if (zero === undefined) {
      zero = add({ kind: "const", op: "constant", inputs: [], attrs: noAttrs, shape: [], dtype, value: allocate(dtype, 1) });
      zeroScalars.set(dtype, zero);
    }
    return shape.length === 0 ? zero : add({ kind: "op", op: "expand", inputs: [zero], attrs: { shape }, shape, dtype });
  };
  for (const t of order) {
    const base = { op: t.op, attrs: t.attrs, shape: t.shape, dtype: t.dtype };
    if (inputSet.has(t)) {
      nodeOf.set(t, add({ ...base, kind: "input", inputs: [], tensor: t }));
      continue;
    }
    if (t.isLeaf) {
      const value = t.leafValue;
      if (value === undefined) {
        const name = t.name === undefined ? "" : ` '${t.name}'`;
        throw new Error(`compile: ${t.op}${name} ${formatShape(t.shape)} ${t.dtype} has no value: list it in inputs to feed it per run`);
      }
      nodeOf.set(t, t.frozen ? add({ ...base, kind: "const", inputs: [], value }) : add({ ...base, kind: "leaf", inputs: [], tensor: t }));
      continue;
    }
    const ins = t.inputs.map((x) => nodeOf.get(x)!);
    const simpler = sliceOfSliceGradient(t, ins, zerosOf);
    if (simpler !== undefined) {
      nodeOf.set(t, simpler);
      continue;
    }
    const key = `${t.op}|${ins.map((x) => x.index).join(",")}|${attrsKey(t.attrs)}`;
    const existing = interned.get(key);
    if (existing !== undefined) {
      merged++;
      nodeOf.set(t, existing);
      continue;
    }
    let node: Node;
    if (t.op !== "expand" && ins.every((x) => x.kind === "const")) {
      const values = ins.map((x) => ({ data: x.value!, shape: x.shape, dtype: x.dtype }));
      node = add({ ...base, kind: "const", inputs: [], value: getOp(t.op).kernel(values, t.attrs, t) });
      folded++;
    } else {
      node = add({ ...base, kind: "op", inputs: ins });
    }
    interned.set(key, node);
    nodeOf.set(t, node);
  }
  for (const node of nodes) for (const input of new Set(node.inputs)) input.consumers.push(node);
  return { nodes, nodeOf, tensorCount: order.length, mergedCount: merged, foldedCount: folded };
}

/**
 * A slice of a slice's gradient (`sliceBackward` puts `g` into zeros) along the same dim: exactly
 * `g` when the windows coincide, zeros when the slice misses every placed row. The gradient of an
 * unrolled sequence reads each step's rows this way; the rewrite leaves the zero-filled buffer dead.
 */
function sliceOfSliceGradient(t: Tensor, ins: readonly Node[], zerosOf: (shape: Shape, dtype: DType) => Node): Node | undefined {
  const placedInto = ins[0];
  if (t.op !== "slice" || placedInto.op !== "sliceBackward" || placedInto.kind !== "op") return undefined;
  const placed = placedInto.attrs as { dim: number; start: number; step: number };
  const window = t.attrs as { dim: number; start: number; end: number; step: number };
  const g = placedInto.inputs[0];
  const rows = g.shape[placed.dim];
  if (window.dim !== placed.dim || window.step !== 1) return undefined;
  if (placed.step === 1 && window.start === placed.start && window.end === placed.start + rows) return g;
  for (let i = 0; i < rows; i++) {
    const row = placed.start + i * placed.step;
    if (row >= window.start && row < window.end) return undefined;
  }
  return zerosOf(t.shape, t.dtype);
}
