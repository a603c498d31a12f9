import { allocate, type DType, isFloat, type TypedArray } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { MAX_ELEMENTS, formatShape, sizeOf } from "../basics/shape";
import { type Attrs, type AttrValue, noAttrs } from "./attrs";
import { runCanonicalize, runShapeRule } from "./contract";
import { type AnyOpDef, type OpDef, isRegistered, opNumber } from "./registry";
import { currentScope, isGradEnabled } from "./scope";
import { Tensor } from "./tensor";

/**
 * Interning: building the same (op, inputs, attrs) twice returns the same node, so common
 * subexpressions exist once. A node is remembered by its anchor, its newest input (the one built
 * last) other than the shared scalar constants, so it lives exactly as long as that input:
 * per-step nodes of a training loop go with their step, and no global table holds any. (A shared
 * scalar lives for ever; nodes remembered by one would pile up, and a gradient's `1 - s` for
 * every step of a sequence would make each lookup slower.) A node that kept an old version of a
 * leaf input can never be found again: a new version drops the leaf's list, and lookups drop the
 * others they meet.
 */
const listLimit = 8;

/** Counters that let tests (and curious users) see what building did: interning must stay O(1) per node. */
export const buildStats = { nodes: 0, internProbes: 0 };

/** Mixes 32-bit words (the multiply-xorshift of murmur3's finalizer), for intern keys. */
function mix(hash: number, word: number): number {
  let h = Math.imul(hash ^ word, 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) ^ (h >>> 16);
}

/** Strings met as attribute names and values (a few dozen), hashed once. */
const stringHashes = new Map<string, number>();

function hashString(value: string): number {
  let h = stringHashes.get(value);
  if (h !== undefined) return h;
  h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
  if (stringHashes.size < 4096) stringHashes.set(value, h);
  return h;
}

function hashValue(value: AttrValue): number {
  if (typeof value === "number") return mix(value | 0, Math.round((value % 1) * 0x7fffffff));
  if (typeof value === "string") return hashString(value);
  if (typeof value === "boolean") return value ? 0x1b873593 : 0x2c1b3c6d;
  if (value === null) return 0x3c6ef372;
  let h = 0x6a09e667;
  for (const v of value) h = mix(h, hashValue(v));
  return h;
}

/** Does not depend on key order, so attributes spelled in any order share a key. */
function attrsHash(attrs: Attrs): number {
  let h = 0;
  for (const key in attrs) h = (h + mix(hashString(key), hashValue(attrs[key]))) | 0;
  return h;
}

function sameValue(a: AttrValue, b: AttrValue): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sameAttrs(a: Attrs, b: Attrs): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && sameValue(a[key], b[key]));
}

/** Some data-leaf input has a newer version than the node kept. */
function keptOldVersion(node: Tensor): boolean {
  const versions = node.leafVersions;
  if (versions === undefined) return false;
  for (let i = 0; i < versions.length; i++) {
    if (versions[i] !== undefined && versions[i] !== node.inputs[i].currentVersion) return true;
  }
  return false;
}

function sameNode(node: Tensor, def: AnyOpDef, inputs: readonly Tensor[], attrs: Attrs, requiresGrad: boolean): boolean {
  // An integer result never requires gradients (it is piecewise constant), whatever its inputs.
  if (node.def !== def || node.requiresGrad !== (requiresGrad && isFloat(node.dtype)) || node.inputs.length !== inputs.length) return false;
  for (let i = 0; i < inputs.length; i++) if (node.inputs[i] !== inputs[i]) return false;
  return sameAttrs(node.attrs, attrs);
}

/** The node this one is remembered by: the newest input that is not a shared scalar. */
function anchorOf(inputs: readonly Tensor[]): Tensor | undefined {
  let anchor: Tensor | undefined;
  for (const input of inputs) if (!input.frozen && (anchor === undefined || input.id > anchor.id)) anchor = input;
  return anchor;
}

/** Finds the node among `candidates`, dropping those that kept an old leaf version on the way. */
function findIn(candidates: Tensor[], key: number, def: AnyOpDef, inputs: readonly Tensor[], attrs: Attrs, requiresGrad: boolean): Tensor | undefined {
  for (let i = 0; i < candidates.length; i++) {
    const node = candidates[i];
    buildStats.internProbes++;
    if (node.internKey !== key) continue;
    if (keptOldVersion(node)) {
      candidates.splice(i--, 1);
      continue;
    }
    if (sameNode(node, def, inputs, attrs, requiresGrad)) return node;
  }
  return undefined;
}

function findInterned(anchor: Tensor, key: number, def: AnyOpDef, inputs: readonly Tensor[], attrs: Attrs, requiresGrad: boolean): Tensor | undefined {
  const consumers = anchor.consumers;
  if (consumers === undefined) return undefined;
  const candidates = consumers instanceof Map ? consumers.get(key) : consumers;
  return candidates === undefined ? undefined : findIn(candidates, key, def, inputs, attrs, requiresGrad);
}

function addToIndex(index: Map<number, Tensor[]>, node: Tensor): void {
  const bucket = index.get(node.internKey);
  if (bucket === undefined) index.set(node.internKey, [node]);
  else bucket.push(node);
}

function remember(anchor: Tensor, node: Tensor): void {
  const consumers = anchor.consumers;
  if (consumers === undefined) anchor.consumers = [node];
  else if (consumers instanceof Map) addToIndex(consumers, node);
  else if (consumers.length < listLimit) consumers.push(node);
  else {
    // Many consumers (the L slices of a sequence): index them so each lookup stays O(1).
    const index = new Map<number, Tensor[]>();
    for (const c of consumers) addToIndex(index, c);
    addToIndex(index, node);
    anchor.consumers = index;
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
  for (let i = 0; i < inputs.length; i++) requiresGrad ||= inputs[i].requiresGrad;
  requiresGrad &&= def.vjp !== "nondifferentiable" && isGradEnabled();
  let key = mix(opNumber(def), attrs === noAttrs ? 0 : attrsHash(attrs));
  for (let i = 0; i < inputs.length; i++) key = mix(key, inputs[i].id);
  const anchor = anchorOf(inputs);
  if (anchor !== undefined) {
    const existing = findInterned(anchor, key, def, inputs, attrs, requiresGrad);
    if (existing !== undefined) return existing;
  }
  const meta = runShapeRule(def, inputs, attrs);
  // Refused here, before any kernel tries to allocate it (matmul or broadcasting can ask for absurd sizes).
  const size = sizeOf(meta.shape);
  if (size > MAX_ELEMENTS) {
    throw new OpError(def.name, `result shape ${formatShape(meta.shape)} has ${size} elements, more than the ${MAX_ELEMENTS} a tensor can hold`);
  }
  const node = new Tensor(def, def.name, inputs, attrs, meta.shape, meta.dtype, currentScope(), requiresGrad && isFloat(meta.dtype), key);
  buildStats.nodes++;
  if (anchor !== undefined) remember(anchor, node);
  return node;
}

/** Shared scalar constants, bounded so a changing learning rate cannot grow the table forever. */
const scalars = new Map<string, Tensor>();
const maxScalars = 4096;

/** A leaf that holds data: a user tensor, a parameter, or a constant made by an op's gradient. */
export function constantNode(data: TypedArray, shape: readonly number[], dtype: DType, requiresGrad = false): Tensor {
  const node = new Tensor(undefined, "constant", [], noAttrs, shape, dtype, currentScope(), requiresGrad, 0);
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
  const node = new Tensor(undefined, "constant", [], noAttrs, [], dtype, undefined, false, 0);
  node.setLeafData(data);
  node.frozen = true;
  if (scalars.size >= maxScalars) scalars.clear();
  scalars.set(key, node);
  return node;
}

export function placeholderNode(shape: readonly number[], dtype: DType, name?: string): Tensor {
  const node = new Tensor(undefined, "placeholder", [], noAttrs, shape, dtype, currentScope(), false, 0);
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
