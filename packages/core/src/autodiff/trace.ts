/**
 * What the function transforms share: calling a user's function on fresh stand-ins for its
 * arguments, and putting the arguments back into what it built.
 *
 * A transform differentiates with respect to the stand-ins, never the arguments themselves, so
 * nested transforms cannot confuse their variables: in `grad(x => grad(y => x * y)(x0))(x0)` the
 * inner derivative is d/dy with x held fixed, although x and y are both x0. Afterwards the
 * stand-ins are replaced by the arguments, so the graphs a transform returns hold no trace of it
 * and are interned, compiled and cached like any graph built directly.
 */
import { type DType, isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { describeValue } from "../ir/args";
import { noAttrs } from "../ir/attrs";
import { applyCanonical, scalarNode, topologicalOrder } from "../ir/graph";
import { registerOp } from "../ir/registry";
import { currentScope, withExactScope } from "../ir/scope";
import { Tensor } from "../ir/tensor";
import { expand } from "../ops/expand";
import { viewKernel } from "../ops/ruleKernels";

const sameWindow = <W>(input: W) => input;

/** The identity with the identity gradient: the node a transform differentiates with respect to. */
const standInOp = registerOp({
  name: "standIn",
  arity: 1,
  infer: ([x]) => x,
  kernel: viewKernel(sameWindow),
  vjp: (g) => [g],
  jvp: ([t]) => t,
  // A stand-in of a batch stays a variable of its own, as `substitute` keeps it.
  batch: ({ inputs: [x] }) => standIn(x),
  view: sameWindow,
});

/**
 * A node equal to `x` that no other node is: built without interning (it is never remembered by
 * `x`, so `apply` can never return it), because two transforms of one argument need two variables.
 */
export function standIn(x: Tensor): Tensor {
  return new Tensor(standInOp, standInOp.name, [x], noAttrs, x.shape, x.dtype, currentScope(), x.requiresGrad, 0);
}

/** Zeros of `like`'s shape and dtype, as the gradient code writes them (one shared scalar, expanded). */
export function zerosOf(like: Tensor): Tensor {
  return zerosOfShape(like.shape, like.dtype);
}

export function zerosOfShape(shape: readonly number[], dtype: DType): Tensor {
  return expand(scalarNode(0, dtype), shape);
}

/**
 * `roots` rebuilt with each stand-in replaced by what it stands for: every node on a path from a
 * stand-in is applied again to the new inputs (so it is interned with any equal node), the rest
 * are kept. Stand-ins of other transforms, still running, are left as they are.
 */
export function restore(roots: readonly Tensor[], standIns: readonly Tensor[]): Tensor[] {
  // Nodes are numbered as they are built: one older than every stand-in cannot depend on them.
  const firstId = Math.min(...standIns.map((s) => s.id));
  return substitute(roots, new Map(standIns.map((s) => [s, s.inputs[0]])), (n) => n.id < firstId);
}

/**
 * `roots` with the nodes in `replacements` replaced, and every node on a path from one of them
 * applied again to its new inputs. The walk stops at the replaced nodes and at those `isOutside`
 * says no replaced node can reach. A stand-in met on the way is made again as a stand-in, so it
 * stays a variable of its own.
 */
export function substitute(
  roots: readonly Tensor[],
  replacements: ReadonlyMap<Tensor, Tensor>,
  isOutside: (node: Tensor) => boolean = () => false,
): Tensor[] {
  const replaced = new Map(replacements);
  for (const node of topologicalOrder(roots, (n) => replacements.has(n) || isOutside(n))) {
    const def = node.def;
    if (def === undefined || replaced.has(node)) continue;
    let changed = false;
    const inputs = node.inputs.map((input) => {
      const replacement = replaced.get(input);
      if (replacement === undefined) return input;
      changed = true;
      return replacement;
    });
    if (!changed) continue;
    const rebuilt = def === standInOp ? standIn(inputs[0]) : withExactScope(node.scope, () => applyCanonical(def, inputs, node.attrs));
    replaced.set(node, rebuilt);
  }
  return roots.map((root) => replaced.get(root) ?? root);
}

/** Tensors anywhere in `value` (arrays and plain objects, as an aux result may hold them) restored. */
export function restoreIn(value: unknown, standIns: readonly Tensor[]): unknown {
  const found: Tensor[] = [];
  const collect = (v: unknown): void => {
    if (v instanceof Tensor) found.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (isPlainObject(v)) Object.values(v).forEach(collect);
  };
  collect(value);
  const restoredFound = restore(found, standIns);
  const restored = new Map(found.map((t, i) => [t, restoredFound[i]] as const));
  const rebuild = (v: unknown): unknown => {
    if (v instanceof Tensor) return restored.get(v);
    if (Array.isArray(v)) return v.map(rebuild);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rebuild(x)]));
    return v;
  };
  return rebuild(value);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;
}

/** What a traced call gave: its outputs as a list, and whether `fn` returned one Tensor or a list. */
export interface TracedOutputs {
  readonly outputs: Tensor[];
  readonly single: boolean;
}

/** fn's result as a list of float tensors, or an error naming the transform and what came. */
export function readOutputs(where: string, result: unknown): TracedOutputs {
  const what = "the function's result";
  if (result instanceof Tensor) return { outputs: [checkFloatOutput(where, `${what}`, result)], single: true };
  if (!Array.isArray(result) || result.length === 0) {
    throw new OpError(where, `${what} must be a Tensor or a non-empty array of Tensors, got ${describeValue(result)}`);
  }
  return { outputs: result.map((r, k) => checkFloatOutput(where, `${what}[${k}]`, r)), single: false };
}

function checkFloatOutput(where: string, what: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new OpError(where, `${what} must be a Tensor, got ${describeValue(value)}`);
  if (!isFloat(value.dtype)) {
    throw new OpError(where, `only float outputs can be differentiated, ${what} is ${value.dtype} ${formatShape(value.shape)}`);
  }
  return value;
}
