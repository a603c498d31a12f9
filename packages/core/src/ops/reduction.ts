import { OpError } from "../errors";
import { normalizeDim } from "../shape";
import type { TensorMeta } from "./registry";

export type ReduceAttrs = { dims: readonly number[]; keepdim: boolean };

/** Shared by sum and max: `dims` normalized, sorted and distinct; undefined means every dim. */
export function reduceAttrs(op: string, x: TensorMeta, dim: number | readonly number[] | undefined, keepdim: boolean): ReduceAttrs {
  const rank = x.shape.length;
  const requested = dim === undefined ? x.shape.map((_, i) => i) : typeof dim === "number" ? [dim] : dim;
  const dims = requested.map((d) => normalizeDim(op, d, rank));
  if (new Set(dims).size !== dims.length) throw new OpError(op, `dim ${dims.join(", ")} appears multiple times in the list of dims`);
  return { dims: rank === 0 ? [] : dims.sort((a, b) => a - b), keepdim };
}

export function reducedShape(x: TensorMeta, { dims, keepdim }: ReduceAttrs): number[] {
  return keepdim ? x.shape.map((d, i) => (dims.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !dims.includes(i));
}
