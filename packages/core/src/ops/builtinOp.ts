import type { Attrs } from "../ir/attrs";
import { type BatchRule, type ElementwiseRule, type JvpRule, type OpDef, registerOp } from "../ir/registry";

/**
 * What a built-in op states beyond the OpDef contract, so that a missing rule is a compile-time
 * error: its batching rule and its forward-mode rule, unless its formula gives both (elementwise
 * ops) or no tangent flows through it (nondifferentiable ops still state how to batch).
 */
type StatedRules<A extends Attrs> =
  | { readonly elementwise: ElementwiseRule }
  | ({ readonly batch: BatchRule<A> } & ({ readonly vjp: "nondifferentiable" } | { readonly jvp: JvpRule<A> }));

export type BuiltinOpDef<A extends Attrs = Attrs> = OpDef<A> & StatedRules<A>;

/** registerOp for the built-in ops: the same registration, with their rules required by the type. */
export function registerBuiltinOp<A extends Attrs>(def: BuiltinOpDef<A>): BuiltinOpDef<A> {
  registerOp(def);
  return def;
}
