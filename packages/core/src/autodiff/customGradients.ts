/**
 * Derivatives other than the ones the ops' rules give: `customVjp` (PyTorch's autograd.Function,
 * JAX's custom_vjp), `customJvp` (JAX's custom_jvp), `checkpoint` (torch.utils.checkpoint:
 * recompute instead of keep) and `stopGradient`.
 *
 * All three wrap fn's output in a node whose value is that output (its kernel passes the array
 * through) and whose VJP gives nothing to the output itself: the gradient reaches fn's arguments
 * only through the wrapper's own rule, so fn's graph stays as fn built it (drawn, fused and
 * compiled like any other) and is never differentiated.
 */
import { isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { formatShape, sameShape } from "../basics/shape";
import { checkFunction, checkOptions, checkTensor, describeValue } from "../ir/args";
import { apply, topologicalOrder } from "../ir/graph";
import { type Jvp, type OpDef, registerOp, type Value, type Vjp } from "../ir/registry";
import { Tensor } from "../ir/tensor";
import { concat } from "../ops/concat";
import { detach } from "../ops/detach";
import { reshape } from "../ops/reshape";
import { slice } from "../ops/slice";
import { grad } from "./grad";
import { readOutputs, restore, standIn, substitute, zerosOf } from "./trace";

const passThrough = ([output]: readonly Value[]) => output.data;

type NoAttrs = Record<string, never>;

/**
 * A wrapper op over inputs `[fn's output, ...sources]`: the output's value, with `vjp` for the
 * sources, and `jvp` when given (else forward mode transposes the VJP).
 */
function wrapperOp(name: string, sourcesVjp: Vjp<NoAttrs>, jvp?: Jvp<NoAttrs>): OpDef<NoAttrs> {
  return registerOp({
    name,
    arity: "variadic",
    infer: ([output]) => output,
    kernel: passThrough,
    vjp: sourcesVjp,
    ...(jvp === undefined ? {} : { jvp }),
  });
}

/** A custom rule's result for an argument checked: null, or a Tensor of the argument's shape and dtype. */
function checkShapedLike(where: string, what: string, value: unknown, like: Tensor, likeWhat: string): void {
  if (value === null) return;
  if (!(value instanceof Tensor)) throw new OpError(where, `${what} must be a Tensor or null, got ${describeValue(value)}`);
  if (!sameShape(value.shape, like.shape) || value.dtype !== like.dtype) {
    throw new OpError(where, `${what} has ${value.dtype} ${formatShape(value.shape)}, but ${likeWhat} is ${like.dtype} ${formatShape(like.shape)}`);
  }
}

/** The function that calls fn and wraps its output in `op`'s node; the op registered under `opName`, refused when the name is taken. */
function customFunction(
  where: string,
  fn: (...args: Tensor[]) => Tensor,
  opName: string,
  makeOp: () => OpDef<NoAttrs>,
): (...args: Tensor[]) => Tensor {
  let op: OpDef<NoAttrs>;
  try {
    op = makeOp();
  } catch (error) {
    throw new OpError(where, `an op named '${opName}' is already registered: give this custom rule another name`, { cause: error });
  }
  return (...args: Tensor[]) => {
    args.forEach((a, i) => checkTensor(opName, `argument ${i}`, a));
    const output: unknown = fn(...args);
    if (!(output instanceof Tensor)) throw new OpError(opName, `fn must return one Tensor, got ${describeValue(output)}`);
    return apply(op, [output, ...args]);
  };
}

/** A custom rule's name (options.name, else fn's) and its op's, `<kind>.<name>`. */
function customNames(where: string, kind: string, fn: { name: string }, options: { name?: string } | undefined) {
  const { name = fn.name } = checkOptions(where, options, ["name"]);
  if (typeof name !== "string" || name === "") {
    throw new OpError(where, `fn has no name: pass options.name, the name its op is registered and exported under`);
  }
  return { name, opName: `${kind}.${name}` };
}

/** What a custom backward is given besides the output's gradient. */
export interface CustomVjpContext {
  /** The arguments fn was called with. */
  readonly inputs: readonly Tensor[];
  /** fn's output. */
  readonly output: Tensor;
}

/**
 * PyTorch's `torch.autograd.Function` (JAX's `custom_vjp`): a function whose value is fn's and
 * whose gradient is what `bwd(g, { inputs, output })` returns, one Tensor (shaped as its argument)
 * or null per argument. bwd builds its gradients from tensor ops, so they can be differentiated
 * again. Tensors fn reads from its closure get no gradient through it, as in PyTorch, where
 * forward runs without grad.
 *
 * Each customVjp registers one op, `customVjp.<name>` (name: `options.name`, else fn's own name),
 * so two with one name are refused. Its nodes are interned like any (same arguments, same node),
 * export to JSON under that name (a file loads where the same customVjp was made first), and
 * compile as an op with a kernel of its own, fn's graph beneath them compiled as usual.
 */
export function customVjp(
  fn: (...args: Tensor[]) => Tensor,
  bwd: (g: Tensor, ctx: CustomVjpContext) => readonly (Tensor | null)[],
  options?: { name?: string },
): (...args: Tensor[]) => Tensor {
  const where = "func.customVjp";
  checkFunction(where, "fn", fn);
  checkFunction(where, "bwd", bwd);
  const { name, opName } = customNames(where, "customVjp", fn, options);
  const sourcesVjp: Vjp<NoAttrs> = (g, { inputs: [output, ...args] }) => {
    const grads: unknown = bwd(g, { inputs: args, output });
    const of = `the custom gradient '${name}'`;
    if (!Array.isArray(grads) || grads.length !== args.length) {
      const got = Array.isArray(grads) ? `${grads.length} entries` : describeValue(grads);
      throw new OpError(where, `${of} must return a list of ${args.length} entries, one per argument (null for none), got ${got}`);
    }
    grads.forEach((gradient: unknown, i) => checkShapedLike(where, `${of} for argument ${i}`, gradient, args[i], "the argument"));
    return [null, ...(grads as (Tensor | null)[])];
  };
  return customFunction(where, fn, opName, () => wrapperOp(opName, sourcesVjp));
}

/** What a custom JVP rule is given besides the arguments' tangents: what a custom VJP is given. */
export type CustomJvpContext = CustomVjpContext;

/**
 * JAX's `custom_jvp` (PyTorch: `autograd.Function.jvp`): a function whose value is fn's and whose
 * tangent is what `jvp(tangents, { inputs, output })` returns, from one tangent per argument
 * (null for a zero one or an integer argument), shaped as the output (or null for zero). The rule
 * must be linear in the tangents, as JAX requires: reverse mode transposes it, so the gradient is
 * the custom one too (the gradient of ⟨jvp(t), g⟩ with respect to t).
 *
 * Registered, exported and compiled as `customJvp.<name>`, as `customVjp` is.
 */
export function customJvp(
  fn: (...args: Tensor[]) => Tensor,
  jvp: (tangents: readonly (Tensor | null)[], ctx: CustomJvpContext) => Tensor | null,
  options?: { name?: string },
): (...args: Tensor[]) => Tensor {
  const where = "func.customJvp";
  checkFunction(where, "fn", fn);
  checkFunction(where, "jvp", jvp);
  const { name, opName } = customNames(where, "customJvp", fn, options);
  const tangentOf = (tangents: readonly (Tensor | null)[], args: readonly Tensor[], output: Tensor): Tensor | null => {
    const tangent: unknown = jvp(tangents, { inputs: args, output });
    checkShapedLike(where, `the custom tangent '${name}'`, tangent, output, "the output");
    return tangent as Tensor | null;
  };
  const sourcesJvp: Jvp<NoAttrs> = ([, ...tangents], { inputs: [output, ...args] }) => tangentOf(tangents, args, output);
  const transposedVjp: Vjp<NoAttrs> = (g, { inputs: [output, ...args], needs }) => {
    const variables = args.map((a, i) => (needs[i + 1] && isFloat(a.dtype) ? standIn(zerosOf(a)) : null));
    const wanted = variables.filter((v): v is Tensor => v !== null);
    const tangent = wanted.length === 0 ? null : tangentOf(variables, args, output);
    if (tangent === null) return [null, ...args.map(() => null)];
    const gradients = restore(grad(tangent, wanted, g), wanted);
    return [null, ...variables.map((v) => (v === null ? null : gradients[wanted.indexOf(v)]))];
  };
  return customFunction(where, fn, opName, () => wrapperOp(opName, transposedVjp, sourcesJvp));
}

/**
 * The recomputation's variables, shared by the outputs of one `checkpoint` call, so their replays
 * are interned into one recomputation of fn rather than one per output.
 */
const recomputedSources = new WeakMap<Tensor, Map<Tensor, Tensor>>();

// Forward mode needs no recomputation: the checkpoint's value is fn's output, whose tangent the
// forward walk has already pushed through fn's nodes.
const checkpointJvp: Jvp<NoAttrs> = ([outputTangent]) => outputTangent;

const checkpointOp = wrapperOp("checkpoint", (g, { inputs: [output, ...sources], output: node, needs }) => {
  let variables = recomputedSources.get(node);
  if (variables === undefined) recomputedSources.set(node, (variables = new Map()));
  for (const s of sources) if (isFloat(s.dtype) && !variables.has(s)) variables.set(s, standIn(s));
  // Replayed on stand-ins, fn's nodes are new ones that the evaluator computes when the gradient
  // needs them. Every source is a replacement (integer ones by themselves), so the walk stays inside fn.
  const replacements = new Map(sources.map((s) => [s, variables.get(s) ?? s]));
  const [recomputed] = substitute([output], replacements);
  const wanted = sources.filter((s, i) => needs[i + 1] && variables.has(s));
  const gradients = new Map(wanted.map((s, i) => [s, i] as const));
  const values = computedTogether(grad(recomputed, wanted.map((s) => variables.get(s)!), g));
  return [null, ...sources.map((s) => (gradients.has(s) ? values[gradients.get(s)!] : null))];
}, checkpointJvp);

/**
 * The gradients as slices of one node that holds them all (one per dtype). Whichever of them the
 * evaluator needs first, it then computes the whole segment's backward while the recomputed values
 * are live; as separate nodes, the gradient of one weight over all segments would come first, and
 * every segment's recomputed values and per-step gradients would wait for the next weight's sum.
 */
function computedTogether(gradients: readonly Tensor[]): Tensor[] {
  const result = [...gradients];
  for (const indices of indicesByDtype(gradients)) {
    if (indices.length < 2) continue;
    splitInto(result, concat(indices.map((i) => reshape(gradients[i], [gradients[i].size])), 0), indices, gradients);
  }
  return result;
}

/**
 * `torch.utils.checkpoint`: fn's outputs at `args`, whose gradients recompute fn's intermediates
 * from its inputs instead of keeping them from the forward pass: memory for time. Tensors fn reads
 * from its closure (weights) are inputs as much as args are and get their gradients.
 */
export function checkpoint(fn: (...args: Tensor[]) => Tensor | readonly Tensor[], ...args: Tensor[]): Tensor | Tensor[] {
  const where = "func.checkpoint";
  checkFunction(where, "fn", fn);
  if (args.length === 0) throw new OpError(where, "expected at least one tensor argument after fn, got none");
  args.forEach((a, i) => checkTensor(where, `argument ${i}`, a));
  const standIns = args.map(standIn);
  const { outputs, single } = readOutputs(where, fn(...standIns));
  const sources = segmentSources(outputs, standIns);
  const restored = restore(outputs, standIns);
  // One checkpoint node per dtype, over fn's outputs flattened and joined: one backward of fn for
  // all of them, as PyTorch runs it, where a node per output would differentiate fn once for each.
  const sharedVariables = new Map<Tensor, Tensor>();
  const wrapped = [...restored];
  for (const indices of indicesByDtype(restored)) {
    const joined = indices.length === 1 ? restored[indices[0]] : concat(indices.map((i) => reshape(restored[i], [restored[i].size])), 0);
    const node = apply(checkpointOp, [joined, ...sources]);
    if (!recomputedSources.has(node)) recomputedSources.set(node, sharedVariables);
    if (indices.length === 1) wrapped[indices[0]] = node;
    else splitInto(wrapped, node, indices, restored);
  }
  return single ? wrapped[0] : wrapped;
}

/** The positions of the tensors of each dtype, in order. */
function indicesByDtype(tensors: readonly Tensor[]): number[][] {
  const groups = new Map<string, number[]>();
  tensors.forEach((t, i) => groups.set(t.dtype, [...(groups.get(t.dtype) ?? []), i]));
  return [...groups.values()];
}

/** `target[i]` for each of `indices`: its slice of the flat `joined`, shaped as `shapes[i]`. */
function splitInto(target: Tensor[], joined: Tensor, indices: readonly number[], shapes: readonly Tensor[]): void {
  let offset = 0;
  for (const i of indices) {
    const { size, shape } = shapes[i];
    target[i] = reshape(slice(joined, 0, offset, offset + size), shape);
    offset += size;
  }
}

/**
 * What fn's outputs are computed from: every tensor that a node fn built reads and fn did not
 * build (the arguments, weights from its closure, constants), shared scalars aside. The nodes fn
 * built are those newer than the stand-ins (nodes are numbered as they are built); an older node
 * it met again by interning is kept from the forward pass like any source.
 */
function segmentSources(outputs: readonly Tensor[], standIns: readonly Tensor[]): Tensor[] {
  const firstId = standIns[0].id;
  const builtByFn = (n: Tensor) => n.id >= firstId && n.def !== undefined && !standIns.includes(n);
  const sources = new Set<Tensor>(standIns.map((s) => s.inputs[0]));
  for (const node of topologicalOrder(outputs, (n) => !builtByFn(n))) {
    if (!builtByFn(node)) continue;
    for (const input of node.inputs) if (!builtByFn(input) && !input.frozen && !standIns.includes(input)) sources.add(input);
  }
  return [...sources];
}

/**
 * `jax.lax.stop_gradient`: the same node as `detach(x)`, the identity through which no gradient
 * flows. gradgraph's `detach` never copies (it is a view, and values never change after they are
 * computed), so the two names are one op.
 */
export function stopGradient(x: Tensor): Tensor {
  checkTensor("stopGradient", "x", x);
  return detach(x);
}
