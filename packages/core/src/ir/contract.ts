import { dtypes } from "../basics/dtype";
import { describeValue, errorInOp, OpError } from "../basics/errors";
import { isShapeList } from "../basics/shape";
import { type Attrs, checkAttrValues } from "./attrs";
import type { OpDef, TensorMeta } from "./registry";
import { currentScope } from "./scope";

/**
 * The OpDef contract, enforced where an op's rules run while a node is built: a user's op that
 * breaks it fails there, with an error naming the op, rather than later somewhere inside.
 */

/** The op's canonical attributes; a throw names the op and the module path being built. */
export function runCanonicalize<A extends Attrs>(def: OpDef<A>, inputs: readonly TensorMeta[], attrs: Attrs): A {
  try {
    checkAttrValues(def.name, attrs);
    return def.canonicalize === undefined ? (attrs as A) : def.canonicalize(inputs, attrs);
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
