import type { Formula } from "../../basics/formula";
import { sameShape, type Shape, sizeOf, stridesOf } from "../../basics/shape";
import { formulaFor } from "../../ir/registry";
import type { FlowNode } from "./dataflow";

/**
 * A fusion group: elementwise ops evaluated together, per element, in one loop over `loopShape`,
 * ending in `root` (an elementwise op, or a reduction that folds the chain's values as they come).
 * Only the root's value is stored; `members` never exist as arrays.
 */
export interface Group {
  readonly root: FlowNode;
  /** The elementwise ops of the loop (the root too when it is elementwise), in reverse topological order. */
  readonly members: FlowNode[];
  readonly loopShape: Shape;
  /** Values the loop reads from arrays: inputs of members that are not members. */
  readonly externals: Set<FlowNode>;
}

/**
 * Above this many arrays read per element a longer chain stops paying: each operand is a stream
 * through the cache, and all of them must be alive at once (a gradient summed over 50 time steps
 * would otherwise keep 50 matrix products around for one 50-input loop).
 */
const maxStreams = 8;
/** Keeps each generated function small enough for V8 to optimize. */
const maxTerms = 256;

/** The scalar formula of an elementwise op, for the node's dtype. */
export function elementwiseFormula(node: FlowNode): Formula | undefined {
  const rule = node.def?.elementwise;
  return rule === undefined ? undefined : formulaFor(rule, node.dtype);
}

export function isReduction(node: FlowNode): boolean {
  return node.def?.reduction !== undefined;
}

/** A scalar constant is inlined into the loop as a literal, so it costs no stream. */
function streams(externals: ReadonlySet<FlowNode>): number {
  let count = 0;
  for (const x of externals) if (!(x.kind === "const" && x.value!.length === 1)) count++;
  return count;
}

export interface Fusion {
  readonly groupOf: ReadonlyMap<FlowNode, Group>;
  /**
   * Elementwise nodes read only through views by loops, each loop reading a window of its own:
   * those loops compute their window of the node (the views pushed through to its inputs), so
   * the whole result is never stored. The RNN's `x W_ihᵀ + b_ih` over the sequence, read one
   * step at a time, is one.
   */
  readonly distributed: ReadonlySet<FlowNode>;
}

/**
 * Greedy fusion, consumers first (but for the nodes `computedElsewhere`, such as sums of matrix
 * products, which gemm computes): an elementwise node joins its consumers' group when all of them
 * are in that one group, its shape is the loop's (no recomputation under broadcasting), its value
 * is not needed outside (`pinned`: outputs and update values), and the loop stays within bounds.
 */
export function groupNodes(nodes: readonly FlowNode[], pinned: ReadonlySet<FlowNode>, computedElsewhere: ReadonlySet<FlowNode>): Fusion {
  const groupOf = new Map<FlowNode, Group>();
  const distributed = new Set<FlowNode>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (isReduction(node)) {
      const group: Group = { root: node, members: [], loopShape: node.inputs[0].shape, externals: new Set(node.inputs) };
      groupOf.set(node, group);
      continue;
    }
    if (elementwiseFormula(node) === undefined || computedElsewhere.has(node)) continue;
    if (readThroughWindows(node, groupOf, pinned)) {
      distributed.add(node);
      continue;
    }
    const joined = joinableGroup(node, groupOf, pinned);
    if (joined !== undefined) {
      joined.externals.delete(node);
      for (const input of node.inputs) joined.externals.add(input);
      joined.members.push(node);
      groupOf.set(node, joined);
    } else {
      groupOf.set(node, { root: node, members: [node], loopShape: node.shape, externals: new Set(node.inputs) });
    }
  }
  return { groupOf, distributed };
}

/**
 * Views that any strided window survives (a change of shape only if it adds or drops size-1 dims): the
 * view rule is asked about a window of its input that is contiguous nowhere.
 */
function windowView(view: FlowNode): boolean {
  const rule = view.def?.view;
  if (rule === undefined) return false;
  const shape = view.inputs[0].shape;
  const scattered = { offset: 0, shape, strides: stridesOf(shape.map((d) => d + 1)).map((s) => 2 * s) };
  return rule(scattered, view.attrs, view) !== undefined;
}

/**
 * Whether every use of `node` is a chain of window views ending in loops that read the view at
 * their own loop shape, with the windows together no larger than the node (no recomputation),
 * and neither the node nor any of the views is needed as a value of its own (`pinned`).
 */
function readThroughWindows(node: FlowNode, groupOf: ReadonlyMap<FlowNode, Group>, pinned: ReadonlySet<FlowNode>): boolean {
  let read = 0;
  const stack = [...node.consumers];
  if (stack.length === 0 || pinned.has(node)) return false;
  while (stack.length > 0) {
    const view = stack.pop()!;
    if (!windowView(view) || pinned.has(view)) return false;
    for (const consumer of view.consumers) {
      if (windowView(consumer)) {
        stack.push(consumer);
        continue;
      }
      const group = groupOf.get(consumer);
      if (group === undefined || !sameShape(view.shape, group.loopShape)) return false;
      read += sizeOf(view.shape);
    }
  }
  return read <= sizeOf(node.shape);
}

function joinableGroup(node: FlowNode, groupOf: ReadonlyMap<FlowNode, Group>, pinned: ReadonlySet<FlowNode>): Group | undefined {
  if (pinned.has(node) || node.consumers.length === 0) return undefined;
  const group = groupOf.get(node.consumers[0]);
  if (group === undefined || !node.consumers.every((c) => groupOf.get(c) === group)) return undefined;
  if (!sameShape(node.shape, group.loopShape) || group.members.length >= maxTerms) return undefined;
  const externals = new Set(group.externals);
  externals.delete(node);
  for (const input of node.inputs) externals.add(input);
  return streams(externals) <= maxStreams ? group : undefined;
}
