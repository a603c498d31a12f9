import { dtypes } from "../basics/dtype";
import { describeValue, errorInOp, OpError } from "../basics/errors";
import { isShapeList } from "../basics/shape";
import { type Attrs, checkAttrValues, noAttrs } from "./attrs";
import type { AnyOpDef, ElementwiseRule, OpDef, TensorMeta } from "./registry";
import { currentScope } from "./scope";

/**
 * The OpDef contract, enforced where a definition enters (`registerOp`) and where its rules run
 * while a node is built: a user's op that breaks it fails there, with an error naming the op and
 * the field, rather than later as "kernel is not a function" somewhere inside the evaluator.
 */

const compiledMeanings = ["elementwise", "view", "reduction", "placement", "matrixProduct"] as const;
const fields: readonly string[] = ["name", "arity", "canonicalize", "infer", "kernel", "vjp", "jvp", "batch", ...compiledMeanings, "onnx"];
/** Node kinds that files and the evaluator treat as leaves: an op under either name would be loaded as one. */
const leafNames = ["constant", "placeholder"];

function checkName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !/^[A-Za-z_][\w.]*$/.test(name)) {
    throw new Error(`registerOp: op name ${describeValue(name)} must be an identifier (letters, digits, '_' and '.', not starting with a digit)`);
  }
  if (leafNames.includes(name)) throw new Error(`registerOp: '${name}' is the name of a leaf kind and cannot name an op`);
}

/** Refuses a definition of the wrong shape, naming the op and the field. */
export function checkOpDef(def: unknown): asserts def is AnyOpDef {
  if (def === null || typeof def !== "object") throw new Error(`registerOp: expected an op definition object, got ${describeValue(def)}`);
  const d = def as Record<string, unknown>;
  checkName(d.name);
  const fail = (field: string, expected: string, got: unknown) =>
    new Error(`registerOp: '${d.name}' ${field} must be ${expected}, got ${describeValue(got)}`);
  const isFunction = (value: unknown) => typeof value === "function";
  const optional = (field: string, expected: string, ok: (value: unknown) => boolean) => {
    if (d[field] !== undefined && !ok(d[field])) throw fail(field, expected, d[field]);
  };

  for (const key of Object.keys(d)) {
    if (!fields.includes(key)) throw new Error(`registerOp: '${d.name}' has an unknown field '${key}' (expected ${fields.join(", ")})`);
  }
  if (d.arity !== "variadic" && !(Number.isSafeInteger(d.arity) && (d.arity as number) >= 0)) {
    throw fail("arity", 'a non-negative integer or "variadic"', d.arity);
  }
  if (!isFunction(d.infer)) throw fail("infer", "a function (the shape rule)", d.infer);
  if (!isFunction(d.kernel)) throw fail("kernel", "a function", d.kernel);
  if (!isFunction(d.vjp) && d.vjp !== "nondifferentiable") throw fail("vjp", 'a function or "nondifferentiable"', d.vjp);
  optional("canonicalize", "a function", isFunction);
  optional("jvp", 'a function, "linear" or "multilinear"', (j) => isFunction(j) || j === "linear" || j === "multilinear");
  optional("batch", 'a function or "loop"', (b) => isFunction(b) || b === "loop");
  optional("elementwise", "{ expr: string, params?: names }", (e) => {
    const rule = e as { expr?: unknown; params?: unknown } | null;
    const names = (p: unknown) => p === undefined || (Array.isArray(p) && p.every((n) => typeof n === "string" && /^[A-Za-z_]\w*$/.test(n)));
    return typeof rule?.expr === "string" && names(rule.params);
  });
  optional("view", "a function", isFunction);
  optional("placement", "a function", isFunction);
  optional("reduction", "{ dims: function, identity: number, combine: string }", (r) => {
    const rule = r as { dims?: unknown; identity?: unknown; combine?: unknown } | null;
    return isFunction(rule?.dims) && typeof rule?.identity === "number" && typeof rule?.combine === "string";
  });
  optional("matrixProduct", "true", (m) => m === true);
  optional("onnx", "a function (the ONNX mapping)", isFunction);
  const meanings = compiledMeanings.filter((field) => d[field] !== undefined);
  if (meanings.length > 1) throw new Error(`registerOp: '${d.name}' may have at most one compiled meaning, got ${meanings.join(" and ")}`);
}

/** Each rule's param names over all its formulas, gathered once: this runs for every elementwise node built. */
const paramNames = new WeakMap<ElementwiseRule, readonly string[]>();

/** A formula's params are read as numbers from the canonical attributes: anything else would compute NaN. */
function checkFormulaParams(rule: ElementwiseRule, attrs: Attrs): void {
  let names = paramNames.get(rule);
  if (names === undefined) paramNames.set(rule, (names = [rule, ...dtypes.map((dtype) => rule[dtype])].flatMap((formula) => formula?.params ?? [])));
  for (const name of names) {
    if (typeof attrs[name] !== "number") throw new Error(`the formula reads attribute '${name}' as a number, got ${describeValue(attrs[name])}`);
  }
}

/** The op's canonical attributes; a throw names the op and the module path being built. */
export function runCanonicalize<A extends Attrs>(def: OpDef<A>, inputs: readonly TensorMeta[], attrs: Attrs): A {
  try {
    // A canonicalize reads what it takes with the readers of ir/attrs.ts, which check it (all the
    // built-ins do); attributes taken as given are checked here.
    const canonical = def.canonicalize !== undefined ? def.canonicalize(inputs, attrs) : attrs;
    if (def.canonicalize === undefined && attrs !== noAttrs) checkAttrValues(def.name, attrs);
    if (def.elementwise !== undefined) checkFormulaParams(def.elementwise, canonical);
    return canonical as A;
  } catch (error) {
    throw errorInOp(def.name, currentScope(), "canonicalize", error);
  }
}

/** The op's shape rule; a throw names the op and the module path being built, and so does a result that is no shape and dtype. */
export function runShapeRule<A extends Attrs>(def: OpDef<A>, inputs: readonly TensorMeta[], attrs: A): TensorMeta {
  let meta: Partial<TensorMeta> | undefined;
  try {
    meta = def.infer(inputs, attrs);
  } catch (error) {
    throw errorInOp(def.name, currentScope(), "shape rule", error);
  }
  if (!isShapeList(meta?.shape) || !dtypes.includes(meta!.dtype!)) {
    const got = meta === null || typeof meta !== "object" ? describeValue(meta) : `shape ${describeValue(meta.shape)}, dtype ${describeValue(meta.dtype)}`;
    throw new OpError(def.name, `the shape rule must return a shape of non-negative integers and a dtype (${dtypes.join(", ")}), got ${got}`, {
      scope: currentScope(),
    });
  }
  return meta as TensorMeta;
}
