/**
 * Function transforms in the style of JAX and `torch.func`: `grad`, `valueAndGrad`, `vjp`, `jvp`,
 * `linearize`, `jacrev`, `jacfwd`, `jacobian`, `hessian`, `hvp`, `vmap`, `customVjp`, `customJvp`.
 * They take a function of tensors and give a function (or the values) of its derivatives, as lazy
 * graphs of registered ops that can be evaluated, compiled, exported and transformed again.
 *
 * They live in the `func` namespace (`func.grad(loss)(w)`) because the graph-level `grad(y, xs)`
 * and `valueAndGrad(fn)` keep their names and meaning. Reverse mode walks the ops' VJPs
 * (autodiff/grad.ts), forward mode their JVP rules (autodiff/forward.ts), vmap their batching
 * rules (autodiff/vmap.ts).
 */
import { allocate, type DType, isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { formatShape, sameShape } from "../basics/shape";
import { checkFunction, checkOptions, checkTensor, describeValue } from "../ir/args";
import { constantNode } from "../ir/graph";
import { Tensor } from "../ir/tensor";
import { add } from "../ops/add";
import { concat } from "../ops/concat";
import { reshape } from "../ops/reshape";
import { pushForward } from "./forward";
import { grad as gradOfGraph } from "./grad";
import { readOutputs, restore, restoreIn, standIn, substitute, type TracedOutputs, zerosOf, zerosOfShape } from "./trace";

/** A function of tensors returning one tensor or a list of them, as the transforms accept. */
export type TensorFunction = (...args: Tensor[]) => Tensor | readonly Tensor[];

/** Which arguments to differentiate with respect to: one index (results unnested) or a list. */
export type Argnums = number | readonly number[];

/** A Jacobian (or Hessian) as `torch.func` nests it: by output when fn returns a list, then by argument when argnums is a list. */
export type Jacobian = Tensor | Tensor[] | Tensor[][];

interface Traced extends TracedOutputs {
  /** The stand-ins of the differentiated arguments, in argnums order. */
  readonly standIns: Tensor[];
  readonly aux: unknown;
}

function checkArgs(where: string, args: readonly unknown[]): asserts args is Tensor[] {
  args.forEach((a, i) => checkTensor(where, `argument ${i}`, a));
}

/** argnums as a list of distinct argument positions (negative ones count from the end, as in JAX). */
function argumentPositions(where: string, argnums: Argnums, count: number): number[] {
  const list = typeof argnums === "number" ? [argnums] : argnums;
  if (!Array.isArray(list) || list.length === 0) {
    throw new OpError(where, `argnums must be an integer or a non-empty array of integers, got ${describeValue(argnums)}`);
  }
  const positions = list.map((n: unknown) => {
    if (typeof n !== "number" || !Number.isInteger(n)) throw new OpError(where, `argnums must hold integers, got ${describeValue(n)}`);
    if (n < -count || n >= count) throw new OpError(where, `argnums ${n} is out of range for a call with ${count} argument(s)`);
    return n < 0 ? n + count : n;
  });
  if (new Set(positions).size !== positions.length) throw new OpError(where, `argnums must be distinct, got [${list.join(", ")}]`);
  return positions;
}

/** Calls fn with stand-ins for the differentiated arguments and reads what it returned. */
function trace(where: string, fn: unknown, args: readonly unknown[], positions: readonly number[], hasAux: boolean): Traced {
  checkFunction(where, "fn", fn);
  checkArgs(where, args);
  for (const i of positions) {
    const x = args[i];
    if (!isFloat(x.dtype)) throw new OpError(where, `only float tensors can be differentiated, argument ${i} is ${x.dtype} ${formatShape(x.shape)}`);
  }
  const standIns = positions.map((i) => standIn(args[i]));
  const callArgs = [...args];
  positions.forEach((i, k) => (callArgs[i] = standIns[k]));
  let result = (fn as (...a: Tensor[]) => unknown)(...callArgs);
  let aux: unknown;
  if (hasAux) {
    if (!Array.isArray(result) || result.length !== 2) {
      throw new OpError(where, `with hasAux, fn must return [output, aux], got ${describeValue(result)}`);
    }
    [result, aux] = result;
  }
  return { ...readOutputs(where, result), standIns, aux };
}

/** Σₖ Jₖᵀ·uₖ for each input: the cotangents of all outputs pulled back at once. */
function pullBack(outputs: readonly Tensor[], inputs: readonly Tensor[], cotangents: readonly Tensor[]): Tensor[] {
  let totals: Tensor[] | undefined;
  outputs.forEach((y, k) => {
    const parts = gradOfGraph(y, inputs, cotangents[k]);
    totals = totals === undefined ? parts : totals.map((t, i) => add(t, parts[i]));
  });
  return totals!;
}

function checkLike(where: string, what: string, value: unknown, like: Tensor, likeWhat: string): Tensor {
  checkTensor(where, what, value);
  if (!sameShape(value.shape, like.shape) || value.dtype !== like.dtype) {
    throw new OpError(
      where,
      `${what} has ${value.dtype} ${formatShape(value.shape)}, but ${likeWhat} is ${like.dtype} ${formatShape(like.shape)}`,
    );
  }
  return value;
}

/** One Tensor or a list of them, matching how many outputs fn gave. */
function shaped(single: boolean, tensors: Tensor[]): Tensor | Tensor[] {
  return single ? tensors[0] : tensors;
}

/** The result of `func.vjp`: fn's outputs, and the function that pulls cotangents back to its arguments. */
export interface VjpResult {
  readonly outputs: Tensor | Tensor[];
  /** Jᵀ·cotangents for each argument; the cotangents are shaped as the outputs (one Tensor or a list). */
  readonly pullback: (cotangents: Tensor | readonly Tensor[]) => Tensor[];
}

/**
 * `torch.func.vjp` / `jax.vjp`: fn's outputs at `primals`, and a pullback that maps cotangents
 * (one per output, shaped as it) to one gradient per primal. The pullback is linear in its
 * argument and can be called many times; each call builds its graph anew.
 */
export function vjp(fn: TensorFunction, ...primals: Tensor[]): VjpResult {
  const where = "func.vjp";
  const traced = trace(where, fn, primals, primals.map((_, i) => i), false);
  const outputs = shaped(traced.single, restore(traced.outputs, traced.standIns));
  const pullback = (cotangents: Tensor | readonly Tensor[]): Tensor[] => {
    const list = traced.single ? [cotangents] : cotangents;
    if (!Array.isArray(list) || list.length !== traced.outputs.length) {
      const expected = traced.single ? "one Tensor" : `an array of ${traced.outputs.length} Tensors`;
      throw new OpError(where, `the pullback expects ${expected}, one per output, got ${describeValue(cotangents)}`);
    }
    const checked = list.map((u, k) => checkLike(where, `cotangent ${k}`, u, traced.outputs[k], `output ${k}`));
    return restore(pullBack(traced.outputs, traced.standIns, checked), traced.standIns);
  };
  return { outputs, pullback };
}

/** The result of `func.jvp`: fn's outputs and their tangents, each one Tensor or a list as fn returned. */
export interface JvpResult {
  readonly outputs: Tensor | Tensor[];
  readonly tangents: Tensor | Tensor[];
}

/**
 * `torch.func.jvp` / `jax.jvp`: fn's outputs at `primals` and J·tangents, the directional
 * derivative along `tangents` (one per primal, shaped as it), in one forward pass.
 */
export function jvp(fn: TensorFunction, primals: readonly Tensor[], tangents: readonly Tensor[]): JvpResult {
  const where = "func.jvp";
  if (!Array.isArray(primals)) throw new OpError(where, `primals must be an array of Tensors, got ${describeValue(primals)}`);
  if (!Array.isArray(tangents) || tangents.length !== primals.length) {
    throw new OpError(where, `tangents must be an array of ${primals.length} Tensors, one per primal, got ${describeValue(tangents)}`);
  }
  const traced = trace(where, fn, primals, primals.map((_, i) => i), false);
  const checked = tangents.map((t, i) => checkLike(where, `tangent ${i}`, t, primals[i], `primal ${i}`));
  const pushed = pushForward(traced.outputs, traced.standIns, checked);
  const restored = restore([...traced.outputs, ...pushed], traced.standIns);
  const count = traced.outputs.length;
  return { outputs: shaped(traced.single, restored.slice(0, count)), tangents: shaped(traced.single, restored.slice(count)) };
}

/** The result of `func.linearize`: fn's outputs, and the linear map t ↦ J·t at the primals. */
export interface LinearizeResult {
  readonly outputs: Tensor | Tensor[];
  /** J·tangents, one tangent per primal (shaped as it); shaped as fn's outputs. Can be called many times. */
  readonly jvp: (...tangents: Tensor[]) => Tensor | Tensor[];
}

/**
 * `jax.linearize`: fn's outputs at `primals` and its Jacobian-vector product there as a function,
 * for pushing many tangents through one linearization: the tangents' graph is built once, on
 * stand-in tangents, and each call puts the given ones in their place.
 */
export function linearize(fn: TensorFunction, ...primals: Tensor[]): LinearizeResult {
  const where = "func.linearize";
  const traced = trace(where, fn, primals, primals.map((_, i) => i), false);
  const tangentStandIns = primals.map((x) => standIn(zerosOf(x)));
  const linear = restore(pushForward(traced.outputs, traced.standIns, tangentStandIns), traced.standIns);
  const jvpAt = (...tangents: Tensor[]) => {
    if (tangents.length !== primals.length) throw new OpError(where, `expected ${primals.length} tangents, one per primal, got ${tangents.length}`);
    const checked = tangents.map((t, i) => checkLike(where, `tangent ${i}`, t, primals[i], `primal ${i}`));
    return shaped(traced.single, substitute(linear, new Map(tangentStandIns.map((s, i) => [s, checked[i]]))));
  };
  return { outputs: shaped(traced.single, restore(traced.outputs, traced.standIns)), jvp: jvpAt };
}

/** A one-hot constant: 1 at flat position `index`, 0 elsewhere. */
function basisVector(like: Tensor, index: number): Tensor {
  const data = allocate(like.dtype, like.size);
  data[index] = 1;
  return constantNode(data, like.shape, like.dtype);
}

/** Pieces of one shape stacked along a new dim at `dim` and reshaped to `resultShape`; zeros when there are none. */
function stackInto(pieces: readonly Tensor[], dim: number, resultShape: readonly number[], dtype: DType): Tensor {
  if (pieces.length === 0) return zerosOfShape(resultShape, dtype);
  const unsqueezed = pieces.map((p) => reshape(p, [...p.shape.slice(0, dim), 1, ...p.shape.slice(dim)]));
  return reshape(concat(unsqueezed, dim), resultShape);
}

/** J[k][j] by rows: one pullback per output element, each row the gradient of that element. */
function jacobianByRows(outputs: readonly Tensor[], inputs: readonly Tensor[]): Tensor[][] {
  return outputs.map((y) => {
    const rows = Array.from({ length: y.size }, (_, r) => gradOfGraph(y, inputs, basisVector(y, r)));
    return inputs.map((x, j) => {
      return stackInto(rows.map((row) => row[j]), 0, [...y.shape, ...x.shape], x.dtype);
    });
  });
}

/** J[k][j] by columns: one forward pass of each input element's basis tangent. */
function jacobianByColumns(outputs: readonly Tensor[], inputs: readonly Tensor[]): Tensor[][] {
  const byInput = inputs.map((x, j) =>
    Array.from({ length: x.size }, (_, c) => pushForward(outputs, inputs, inputs.map((_, i) => (i === j ? basisVector(x, c) : undefined)))),
  );
  return outputs.map((y, k) =>
    inputs.map((x, j) => {
      const columns = byInput[j].map((column) => column[k]);
      return stackInto(columns, y.shape.length, [...y.shape, ...x.shape], y.dtype);
    }),
  );
}

type JacobianMode = "reverse" | "forward" | "auto";

function jacobianTransform(where: string, fn: TensorFunction, options: { argnums?: Argnums } | undefined, mode: JacobianMode) {
  checkFunction(where, "fn", fn);
  const { argnums = 0 } = checkOptions(where, options, ["argnums"]);
  return (...args: Tensor[]): Jacobian => {
    const positions = argumentPositions(where, argnums, args.length);
    const traced = trace(where, fn, args, positions, false);
    const inputSize = traced.standIns.reduce((n, x) => n + x.size, 0);
    const outputSize = traced.outputs.reduce((n, y) => n + y.size, 0);
    // A row costs one reverse pass, a column one forward pass: build the fewer.
    const forward = mode === "forward" || (mode === "auto" && inputSize < outputSize);
    const byOutput = (forward ? jacobianByColumns : jacobianByRows)(traced.outputs, traced.standIns);
    const restored = restore(byOutput.flat(), traced.standIns);
    const nested = traced.outputs.map((_, k) => restored.slice(k * positions.length, (k + 1) * positions.length));
    const perOutput = nested.map((row) => (typeof argnums === "number" ? row[0] : row));
    return (traced.single ? perOutput[0] : perOutput) as Jacobian;
  };
}

/**
 * `torch.func.jacrev`: a function giving fn's Jacobian by reverse mode, one pullback per output
 * element. Each block has shape `[...output.shape, ...argument.shape]`, nested by output (when fn
 * returns a list), then by argument (when argnums is a list), as `torch.autograd.functional.jacobian`.
 */
export function jacrev(fn: TensorFunction, options?: { argnums?: Argnums }): (...args: Tensor[]) => Jacobian {
  return jacobianTransform("func.jacrev", fn, options, "reverse");
}

/** `torch.func.jacfwd`: `jacrev`'s result, built by columns: one JVP per argument element. */
export function jacfwd(fn: TensorFunction, options?: { argnums?: Argnums }): (...args: Tensor[]) => Jacobian {
  return jacobianTransform("func.jacfwd", fn, options, "forward");
}

/**
 * The Jacobian by whichever mode builds fewer passes for these shapes: by rows (reverse) unless
 * the differentiated arguments have fewer elements than the outputs, then by columns (forward).
 */
export function jacobian(fn: TensorFunction, options?: { argnums?: Argnums }): (...args: Tensor[]) => Jacobian {
  return jacobianTransform("func.jacobian", fn, options, "auto");
}

/**
 * `torch.func.hessian` for a function returning one Tensor: the Jacobian of its Jacobian, blocks of
 * shape `[...output.shape, ...argument i, ...argument j]` nested [i][j] when argnums is a list.
 * Forward over reverse, as `torch.func.hessian`: the gradient's graph by one reverse pass, its
 * Jacobian by one forward pass per argument element.
 */
export function hessian(fn: (...args: Tensor[]) => Tensor, options?: { argnums?: Argnums }): (...args: Tensor[]) => Jacobian {
  const where = "func.hessian";
  checkFunction(where, "fn", fn);
  const singleOutput = (...args: Tensor[]): Tensor => {
    const result: unknown = fn(...args);
    if (!(result instanceof Tensor)) throw new OpError(where, `fn must return one Tensor, got ${describeValue(result)}`);
    return result;
  };
  const gradient = jacobianTransform(where, singleOutput, options, "reverse");
  return jacobianTransform(where, (...args) => gradient(...args) as Tensor | Tensor[], options, "forward");
}

function checkScalar(where: string, output: Tensor): void {
  if (output.size !== 1) {
    throw new OpError(where, `expected fn to return a scalar Tensor, got shape ${formatShape(output.shape)}; for other outputs use func.vjp or func.jacrev`);
  }
}

/** The result of `func.hvp`: fn's value and H·v, one per primal. */
export interface HvpResult {
  readonly output: Tensor;
  readonly hvp: Tensor[];
}

/**
 * `torch.autograd.functional.hvp`: the value of a scalar fn and the Hessian times `tangents` (one
 * per primal): the gradient's graph pushed forward along them (forward over reverse, as
 * `torch.func` writes hvp), one reverse and one forward pass.
 */
export function hvp(fn: (...args: Tensor[]) => Tensor, primals: readonly Tensor[], tangents: readonly Tensor[]): HvpResult {
  const where = "func.hvp";
  if (!Array.isArray(primals)) throw new OpError(where, `primals must be an array of Tensors, got ${describeValue(primals)}`);
  if (!Array.isArray(tangents) || tangents.length !== primals.length) {
    throw new OpError(where, `tangents must be an array of ${primals.length} Tensors, one per primal, got ${describeValue(tangents)}`);
  }
  const traced = trace(where, fn, primals, primals.map((_, i) => i), false);
  if (!traced.single) throw new OpError(where, "fn must return one scalar Tensor, got an array");
  const output = traced.outputs[0];
  checkScalar(where, output);
  const checked = tangents.map((t, i) => checkLike(where, `tangent ${i}`, t, primals[i], `primal ${i}`));
  const gradient = gradOfGraph(output, traced.standIns);
  const products = pushForward(gradient, traced.standIns, checked);
  const [value, ...restored] = restore([output, ...products], traced.standIns);
  return { output: value, hvp: restored };
}

/** Options of `func.grad` and `func.valueAndGrad`. */
export interface GradOptions {
  /** The argument(s) to differentiate with respect to (default 0); a list gives a list of gradients. */
  readonly argnums?: Argnums;
  /** fn returns `[output, aux]`: aux is passed through, not differentiated. */
  readonly hasAux?: boolean;
}

function valueAndGradient(where: string, fn: TensorFunction, options: GradOptions | undefined) {
  checkFunction(where, "fn", fn);
  const { argnums = 0, hasAux = false } = checkOptions(where, options, ["argnums", "hasAux"]);
  if (typeof hasAux !== "boolean") throw new OpError(where, `hasAux must be a boolean, got ${describeValue(hasAux)}`);
  return (args: Tensor[]) => {
    const positions = argumentPositions(where, argnums, args.length);
    const traced = trace(where, fn, args, positions, hasAux);
    if (!traced.single) throw new OpError(where, "fn must return one scalar Tensor, got an array");
    checkScalar(where, traced.outputs[0]);
    const [value, ...gradients] = restore([traced.outputs[0], ...gradOfGraph(traced.outputs[0], traced.standIns)], traced.standIns);
    return {
      value,
      gradient: typeof argnums === "number" ? gradients[0] : gradients,
      aux: hasAux ? restoreIn(traced.aux, traced.standIns) : undefined,
    };
  };
}

/**
 * `torch.func.grad` / `jax.grad`: a function giving the gradient of scalar fn with respect to the
 * argument(s) in `argnums` (one Tensor, or a list for a list); with `hasAux`, `[gradient, aux]`.
 */
export function grad(fn: TensorFunction, options?: GradOptions & { readonly hasAux?: false }): (...args: Tensor[]) => Tensor | Tensor[];
export function grad(fn: TensorFunction, options: GradOptions & { readonly hasAux: true }): (...args: Tensor[]) => [Tensor | Tensor[], unknown];
export function grad(fn: TensorFunction, options?: GradOptions): (...args: Tensor[]) => Tensor | Tensor[] | [Tensor | Tensor[], unknown];
export function grad(fn: TensorFunction, options?: GradOptions): (...args: Tensor[]) => Tensor | Tensor[] | [Tensor | Tensor[], unknown] {
  const run = valueAndGradient("func.grad", fn, options);
  return (...args) => {
    const { gradient, aux } = run(args);
    return options?.hasAux === true ? [gradient, aux] : gradient;
  };
}

/**
 * `jax.value_and_grad`: `[value, gradient]`, or with `hasAux` `[[value, aux], gradient]`; the
 * gradient as `func.grad` gives it.
 */
export function valueAndGrad(
  fn: TensorFunction,
  options?: GradOptions,
): (...args: Tensor[]) => [Tensor, Tensor | Tensor[]] | [[Tensor, unknown], Tensor | Tensor[]] {
  const run = valueAndGradient("func.valueAndGrad", fn, options);
  return (...args) => {
    const { value, gradient, aux } = run(args);
    return options?.hasAux === true ? [[value, aux], gradient] : [value, gradient];
  };
}

export { customVjp, customJvp, checkpoint, type CustomVjpContext, type CustomJvpContext } from "./customGradients";
export { vmap, type VmapOptions } from "./vmap";
