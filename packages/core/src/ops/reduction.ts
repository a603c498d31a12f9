import { OpError } from "../basics/errors";
import { normalizeDim } from "../basics/shape";
import { type Attrs, checkAttrNames } from "../ir/attrs";
import type { BatchRule, ReductionRule, TensorMeta } from "../ir/registry";
import { dimsAfterBatch } from "./batching";

export type ReduceAttrs = { readonly dims: readonly number[]; readonly keepdim: boolean };

/**
 * Shared by sum and max. `dims` is a dim or a list of dims, every dim when left out; the canonical
 * form is normalized, distinct and sorted, with `keepdim` false unless given.
 */
export function reduceAttrs(op: string, x: TensorMeta, dims: unknown, keepdim: unknown = false): ReduceAttrs {
  const rank = x.shape.length;
  const list = dims === undefined ? x.shape.map((_, i) => i) : typeof dims === "number" ? [dims] : dims;
  if (!Array.isArray(list) || !list.every((d) => Number.isSafeInteger(d))) {
    throw new OpError(op, `attribute 'dims' must be a dim or a list of dims, got ${JSON.stringify(dims)}`);
  }
  if (typeof keepdim !== "boolean") throw new OpError(op, `attribute 'keepdim' must be true or false, got ${JSON.stringify(keepdim)}`);
  const normalized = list.map((d: number) => normalizeDim(op, d, rank));
  if (new Set(normalized).size !== normalized.length) {
    throw new OpError(op, `dim ${normalized.join(", ")} appears multiple times in the list of dims`);
  }
  return { dims: rank === 0 ? [] : normalized.sort((a, b) => a - b), keepdim };
}

export function canonicalizeReduction(op: string): (inputs: readonly TensorMeta[], attrs: Attrs) => ReduceAttrs {
  return ([x], attrs) => {
    checkAttrNames(op, attrs, ["dims", "keepdim"]);
    return reduceAttrs(op, x, Object.hasOwn(attrs, "dims") ? attrs.dims : undefined, Object.hasOwn(attrs, "keepdim") ? attrs.keepdim : false);
  };
}

export function reducedShape(x: TensorMeta, { dims, keepdim }: ReduceAttrs): number[] {
  return keepdim ? x.shape.map((d, i) => (dims.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !dims.includes(i));
}

export function reductionRule(identity: number, combine: string): ReductionRule<ReduceAttrs> {
  return { dims: (attrs) => attrs.dims, identity, combine };
}

/** vmap of a reduction: the same dims of every sample, numbered after the batch (a 0-d sample reduces over none). */
export const batchReduction: BatchRule<ReduceAttrs> = ({ inputs: [x], node, rebuild }) =>
  rebuild([x], { ...node.attrs, dims: dimsAfterBatch(node.attrs.dims) });
