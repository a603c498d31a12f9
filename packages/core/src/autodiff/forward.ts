/**
 * Forward mode: tangents pushed through a graph node by node, each by its op's JVP rule
 * (`JvpRule` in ir/registry.ts), in one pass from the inputs to the outputs. The tangents are
 * lazy graphs of registered ops like the values, so they can be differentiated, batched and
 * compiled again.
 */
import { isFloat } from "../basics/dtype";
import { describeValue, errorInOp, OpError } from "../basics/errors";
import { formatShape, sameShape } from "../basics/shape";
import type { Attrs } from "../ir/attrs";
import { applyCanonical, topologicalOrder } from "../ir/graph";
import type { AnyOpDef, Vjp } from "../ir/registry";
import { withExactScope } from "../ir/scope";
import { Tensor } from "../ir/tensor";
import { add } from "../ops/add";
import { expand } from "../ops/expand";
import { grad, runVjp } from "./grad";
import { restore, standIn, zerosOf } from "./trace";

/** Tangent nodes are tagged after the node they push through, under `jvp`, as gradient nodes are under `backward`. */
function forwardScope(node: Tensor): string {
  return node.scope === undefined ? "jvp" : `jvp.${node.scope}`;
}

const sum = (parts: readonly Tensor[]): Tensor | null => (parts.length === 0 ? null : parts.reduce((total, part) => add(total, part)));

/**
 * An elementwise op's tangent from its VJP: once an operand is broadcast to the output's shape,
 * the op's Jacobian with respect to it is diagonal, hence its own transpose, so the VJP applied
 * to the (broadcast) tangent is the JVP: exact, and the cost of that VJP.
 */
function diagonalJvp(node: Tensor, vjp: Vjp<Attrs>, tangents: readonly (Tensor | null)[]): Tensor | null {
  const toOutput = (x: Tensor) => (sameShape(x.shape, node.shape) ? x : expand(x, node.shape));
  const parts = tangents.flatMap((t, i) => {
    if (t === null) return [];
    const inputs = node.inputs.map((x, j) => (j === i ? toOutput(x) : x));
    const needs = node.inputs.map((_, j) => j === i);
    const part = vjp(toOutput(t), { inputs, output: node, attrs: node.attrs, needs })[i];
    return part === null ? [] : [part];
  });
  return sum(parts);
}

/**
 * The tangent of an op without a forward rule (a user's, a custom gradient's): its VJP is linear
 * in the cotangent u, so J·t is the gradient of ⟨Jᵀu, t⟩ with respect to u, taken at a stand-in u
 * that is then put back to zeros: exact, about twice the cost of the VJP.
 */
function transposedJvp(node: Tensor, vjp: Vjp<Attrs>, tangents: readonly (Tensor | null)[]): Tensor | null {
  const u = standIn(zerosOf(node));
  const pulled = runVjp(node, vjp, u, tangents.map((t) => t !== null));
  const parts = tangents.flatMap((t, i) => {
    const p = pulled[i];
    return t === null || p === null ? [] : [grad(p, [u], t)[0]];
  });
  const total = sum(parts);
  return total === null ? null : restore([total], [u])[0];
}

/** The tangent of `node`'s output from its inputs' tangents (null for zero), by the op's rule. */
function tangentOf(node: Tensor, def: AnyOpDef, tangents: readonly (Tensor | null)[]): Tensor | null {
  if (def.vjp === "nondifferentiable" || !isFloat(node.dtype)) return null;
  const rule = def.jvp;
  if (typeof rule === "function") return rule(tangents, { inputs: node.inputs, output: node, attrs: node.attrs });
  if (rule === "linear") {
    const inputs = node.inputs.map((x, i) => tangents[i] ?? (isFloat(x.dtype) ? zerosOf(x) : x));
    return applyCanonical(def, inputs, node.attrs);
  }
  if (rule === "multilinear") {
    return sum(tangents.flatMap((t, i) => (t === null ? [] : [applyCanonical(def, node.inputs.map((x, j) => (j === i ? t : x)), node.attrs)])));
  }
  return def.elementwise !== undefined ? diagonalJvp(node, def.vjp, tangents) : transposedJvp(node, def.vjp, tangents);
}

/** The rule's tangent, checked (one Tensor of the output's shape and dtype, or null); errors name the op and the node's module path. */
function runJvp(node: Tensor, def: AnyOpDef, tangents: readonly (Tensor | null)[]): Tensor | null {
  let tangent: unknown;
  try {
    tangent = withExactScope(forwardScope(node), () => tangentOf(node, def, tangents));
  } catch (error) {
    throw errorInOp(node.op, node.scope, "tangent (JVP)", error);
  }
  if (tangent === null) return null;
  const of = `the tangent of '${node.op}'${node.scope === undefined ? "" : ` in '${node.scope}'`}`;
  if (!(tangent instanceof Tensor)) throw new OpError("jvp", `${of} must be a Tensor or null, got ${describeValue(tangent)}`);
  if (!sameShape(tangent.shape, node.shape) || tangent.dtype !== node.dtype) {
    throw new OpError(
      "jvp",
      `${of} has ${tangent.dtype} ${formatShape(tangent.shape)}, but the output is ${node.dtype} ${formatShape(node.shape)}`,
    );
  }
  return tangent;
}

/**
 * J·t: the tangents of `outputs` when each of `inputs` moves along its tangent (undefined for
 * none), by one forward walk over the nodes built from the inputs. Outputs that do not depend on
 * any input get zero tangents.
 */
export function pushForward(outputs: readonly Tensor[], inputs: readonly Tensor[], tangents: readonly (Tensor | undefined)[]): Tensor[] {
  const tangentAt = new Map<Tensor, Tensor>();
  inputs.forEach((x, i) => {
    const t = tangents[i];
    if (t !== undefined) tangentAt.set(x, t);
  });
  if (tangentAt.size === 0) return outputs.map(zerosOf);
  // Nodes are numbered as they are built: one older than every input cannot depend on them.
  const firstId = Math.min(...[...tangentAt.keys()].map((x) => x.id));
  for (const node of topologicalOrder(outputs, (n) => n.id < firstId || tangentAt.has(n))) {
    const def = node.def;
    if (def === undefined || tangentAt.has(node)) continue;
    const inputTangents = node.inputs.map((x) => tangentAt.get(x) ?? null);
    if (inputTangents.every((t) => t === null)) continue;
    const tangent = runJvp(node, def, inputTangents);
    if (tangent !== null) tangentAt.set(node, tangent);
  }
  return outputs.map((y) => tangentAt.get(y) ?? zerosOf(y));
}
