import { allocate, type DType, type TypedArray } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { MAX_ELEMENTS, formatShape, sizeOf } from "../basics/shape";
import { type Attrs, attrsKey, noAttrs } from "./attrs";
import { runCanonicalize, runShapeRule } from "./contract";
import { type AnyOpDef, type OpDef, isRegistered } from "./registry";
import { currentScope, isGradEnabled } from "./scope";
import { Tensor } from "./tensor";

/**
 * Interning: building the same (op, inputs, attrs) twice returns the same node, so common
 * subexpressions exist once. A node is remembered by its newest input (the one built last), so
 * it lives exactly as long as that input: per-step nodes of a training loop go with their step,
 * and nothing needs weak references or a global table.
 */
const listLimit = 8;

function sameNode(node: Tensor, def: AnyOpDef, inputs: readonly Tensor[], key: string, requiresGrad: boolean): boolean {
  if (node.def !== def || node.attrsKey !== key || node.requiresGrad !== requiresGrad) return false;
  for (let i = 0; i < inputs.length; i++) if (node.inputs[i] !== inputs[i]) return false;
  return true;
}

function findInterned(newest: Tensor, def: AnyOpDef, inputs: readonly Tensor[], key: string, requiresGrad: boolean): Tensor | undefined {
  const consumers = newest.consumers;
  const candidates = consumers instanceof Map ? consumers.get(`${def.name}|${key}`) : consumers;
  return candidates?.find((node) => sameNode(node, def, inputs, key, requiresGrad));
}

function addToIndex(index: Map<string, Tensor[]>, node: Tensor): void {
  const key = `${node.op}|${node.attrsKey}`;
  const bucket = index.get(key);
  if (bucket === undefined) index.set(key, [node]);
  else bucket.push(node);
}

function remember(newest: Tensor, node: Tensor): void {
  const consumers = newest.consumers;
  if (consumers === undefined) newest.consumers = [node];
  else if (consumers instanceof Map) addToIndex(consumers, node);
  else if (consumers.length < listLimit) consumers.push(node);
  else {
    // Many consumers (the L slices of a sequence): index them so each lookup stays O(1).
    const index = new Map<string, Tensor[]>();
    for (const c of consumers) addToIndex(index, c);
    addToIndex(index, node);
    newest.consumers = index;
  }
}

function checkInputs(def: AnyOpDef, inputs: readonly Tensor[]): void {
  if (!Array.isArray(inputs)) throw new OpError(def.name, `inputs must be an array of Tensors, got ${typeof inputs}`);
  if (def.arity !== "variadic" && inputs.length !== def.arity) {
    throw new OpError(def.name, `expected ${def.arity} input tensor(s), got ${inputs.length}`);
  }
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    if (!(input instanceof Tensor)) {
      throw new OpError(def.name, `input ${i} must be a Tensor, got ${input === null ? "null" : typeof input}`);
    }
    if (input.released) throw new OpError(def.name, `input ${i} was released and can no longer be used`);
  }
}

/**
 * Builds (or finds) the node `def(inputs; attrs)`. Attributes may be written in any form the op
 * accepts (negative dims, defaults left out); they are canonicalized first, and the shape rule
 * runs here, so errors point at the caller.
 */
export function apply(def: AnyOpDef, inputs: readonly Tensor[], attrs: Attrs = noAttrs): Tensor {
  return applyCanonical(def, inputs, canonicalAttrs(def, inputs, attrs));
}

/**
 * The checks of `apply` without building: the op is registered, the inputs are live tensors, and
 * the attributes in their canonical form (as given, for an op that declares no `canonicalize`).
 * Op builders use it to see whether the node would be the identity before building it.
 */
export function canonicalAttrs<A extends Attrs>(def: OpDef<A>, inputs: readonly Tensor[], attrs: Attrs): A {
  if (!isRegistered(def)) throw new Error(`op '${def?.name}' is not registered: call registerOp(def) first`);
  checkInputs(def, inputs);
  return runCanonicalize(def, inputs, attrs);
}

/** `apply` for attributes already in canonical form (from `canonicalAttrs`, or a node being differentiated). */
export function applyCanonical<A extends Attrs>(def: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  let requiresGrad = false;
  let newest: Tensor | undefined;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    requiresGrad ||= input.requiresGrad;
    if (newest === undefined || input.id > newest.id) newest = input;
  }
  requiresGrad &&= def.vjp !== "nondifferentiable" && isGradEnabled();
  const key = attrs === noAttrs ? "" : attrsKey(attrs);
  if (newest !== undefined) {
    const existing = findInterned(newest, def, inputs, key, requiresGrad);
    if (existing !== undefined) return existing;
  }
  const meta = runShapeRule(def, inputs, attrs);
  // Refused here, before any kernel tries to allocate it (matmul or broadcasting can ask for absurd sizes).
  const size = sizeOf(meta.shape);
  if (size > MAX_ELEMENTS) {
    throw new OpError(def.name, `result shape ${formatShape(meta.shape)} has ${size} elements, more than the ${MAX_ELEMENTS} a tensor can hold`);
  }
  const node = new Tensor(def, def.name, inputs, attrs, meta.shape, meta.dtype, currentScope(), requiresGrad, key);
  if (newest !== undefined) remember(newest, node);
  return node;
}

/** Shared scalar constants, bounded so a changing learning rate cannot grow the table forever. */
const scalars = new Map<string, Tensor>();
const maxScalars = 4096;

/** A leaf that holds data: a user tensor, a parameter, or a constant made by an op's gradient. */
export function constantNode(data: TypedArray, shape: readonly number[], dtype: DType, requiresGrad = false): Tensor {
  const node = new Tensor(undefined, "constant", [], noAttrs, shape, dtype, currentScope(), requiresGrad, "");
  node.setLeafData(data);
  return node;
}

/** Scalar constants are immutable and common (0, 1, learning rates), so equal ones are one node. */
export function scalarNode(value: number, dtype: DType): Tensor {
  const key = `${dtype}|${Object.is(value, -0) ? "-0" : String(value)}`;
  const existing = scalars.get(key);
  if (existing !== undefined) return existing;
  const data = allocate(dtype, 1);
  data[0] = value;
  const node = new Tensor(undefined, "constant", [], noAttrs, [], dtype, undefined, false, "");
  node.setLeafData(data);
  node.frozen = true;
  if (scalars.size >= maxScalars) scalars.clear();
  scalars.set(key, node);
  return node;
}

export function placeholderNode(shape: readonly number[], dtype: DType, name?: string): Tensor {
  const node = new Tensor(undefined, "placeholder", [], noAttrs, shape, dtype, currentScope(), false, "");
  node.name = name;
  return node;
}

let walkCount = 0;

/** Every node the outputs depend on, inputs before consumers, found without recursion. */
export function topologicalOrder(outputs: readonly Tensor[], stopAt?: (node: Tensor) => boolean): Tensor[] {
  const walk = ++walkCount;
  const order: Tensor[] = [];
  const stack: Tensor[] = [];
  // A node is pushed once to be expanded and, when met again on top, emitted.
  const expanded: boolean[] = [];
  for (const output of outputs) {
    if (output.visitMark === walk) continue;
    stack.push(output);
    expanded.push(false);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const node = stack[top];
      if (expanded[top]) {
        stack.pop();
        expanded.pop();
        order.push(node);
        continue;
      }
      if (node.visitMark === walk) {
        stack.pop();
        expanded.pop();
        continue;
      }
      node.visitMark = walk;
      expanded[top] = true;
      if (stopAt !== undefined && stopAt(node)) continue;
      for (let i = node.inputs.length - 1; i >= 0; i--) {
        const input = node.inputs[i];
        if (input.visitMark !== walk) {
          stack.push(input);
          expanded.push(false);
        }
      }
    }
  }
  return order;
}
