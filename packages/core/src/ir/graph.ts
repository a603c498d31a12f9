import { type DType, type TypedArray } from "../dtype";
import { OpError } from "../errors";
import { type OpDef, isRegistered } from "../ops/registry";
import { Tensor } from "../tensor";
import { type Attrs, attrsKey, noAttrs } from "./attrs";
import { currentScope, isGradEnabled } from "./scope";

/**
 * Interning: building the same (op, inputs, attrs) twice returns the same node, so common
 * subexpressions exist once. Weak references let unused graphs be collected; dead entries are
 * swept whenever the table has doubled.
 */
const interned = new Map<string, WeakRef<Tensor>>();
let sweepAt = 1 << 14;

function sweep(): void {
  for (const [key, ref] of interned) if (ref.deref() === undefined) interned.delete(key);
  sweepAt = Math.max(1 << 14, interned.size * 2);
}

/** Builds (or finds) the node `def(inputs; attrs)`. The shape rule runs here, so errors point at the caller. */
export function apply<A extends Attrs>(def: OpDef<A>, inputs: readonly Tensor[], attrs: A = noAttrs as A): Tensor {
  if (!isRegistered(def)) throw new Error(`op '${def.name}' is not registered: call registerOp(def) first`);
  if (def.arity !== "variadic" && inputs.length !== def.arity) {
    throw new OpError(def.name, `expected ${def.arity} input tensor(s), got ${inputs.length}`);
  }
  let requiresGrad = false;
  let key = def.name;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    if (!(input instanceof Tensor)) {
      throw new OpError(def.name, `input ${i} must be a Tensor, got ${input === null ? "null" : typeof input}`);
    }
    if (input.released) throw new OpError(def.name, `input ${i} was released and can no longer be used`);
    requiresGrad ||= input.requiresGrad;
    key += `|${input.id}`;
  }
  requiresGrad &&= def.vjp !== "nondifferentiable" && isGradEnabled();
  key += `|${attrsKey(attrs)}${requiresGrad ? "|g" : ""}`;
  const existing = interned.get(key)?.deref();
  if (existing !== undefined) return existing;

  const meta = def.infer(inputs, attrs);
  const node = new Tensor(def.name, inputs, attrs, meta.shape, meta.dtype, currentScope(), requiresGrad);
  interned.set(key, new WeakRef(node));
  if (interned.size > sweepAt) sweep();
  return node;
}

/** A leaf that holds data: a user tensor, a parameter, or a constant made by an op's gradient. */
export function constantNode(data: TypedArray, shape: readonly number[], dtype: DType, requiresGrad = false): Tensor {
  const node = new Tensor("constant", [], noAttrs, shape, dtype, currentScope(), requiresGrad);
  node.setLeafData(data);
  return node;
}

/** Scalar constants are immutable and common (0, 1, learning rates), so equal ones are one node. */
export function scalarNode(value: number, dtype: DType): Tensor {
  const key = `scalar|${dtype}|${Object.is(value, -0) ? "-0" : String(value)}`;
  const existing = interned.get(key)?.deref();
  if (existing !== undefined) return existing;
  const data = dtype === "float32" ? new Float32Array([value]) : dtype === "float64" ? new Float64Array([value]) : new Int32Array([value]);
  const node = new Tensor("constant", [], noAttrs, [], dtype, undefined, false);
  node.setLeafData(data);
  node.frozen = true;
  interned.set(key, new WeakRef(node));
  return node;
}

export function placeholderNode(shape: readonly number[], dtype: DType, name?: string): Tensor {
  const node = new Tensor("placeholder", [], noAttrs, shape, dtype, currentScope(), false);
  node.name = name;
  return node;
}

/** Every node the outputs depend on, inputs before consumers, found without recursion. */
export function topologicalOrder(outputs: readonly Tensor[], stopAt?: (node: Tensor) => boolean): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: Tensor[] = [];
  const expanded: boolean[] = [];
  for (const output of outputs) {
    if (visited.has(output)) continue;
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
      if (visited.has(node)) {
        stack.pop();
        expanded.pop();
        continue;
      }
      visited.add(node);
      expanded[top] = true;
      if (stopAt !== undefined && stopAt(node)) continue;
      for (let i = node.inputs.length - 1; i >= 0; i--) {
        const input = node.inputs[i];
        if (!visited.has(input)) {
          stack.push(input);
          expanded.push(false);
        }
      }
    }
  }
  return order;
}
