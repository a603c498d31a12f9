import { scalarNode } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { expand } from "./expand";
import type { ScanAttrs } from "./scan";
import { slice } from "./slice";
import { sliceBackward } from "./sliceBackward";

/**
 * Each element replaced by the one before it in scan order (`reverse`: the one after it), with
 * `fill` at the scan's first position: what a recurrence's step reads as its previous value.
 */
export function shifted(t: Tensor, { dim, reverse }: ScanAttrs, fill: number): Tensor {
  const fillValue = scalarNode(fill, t.dtype);
  if (t.shape.length === 0) return fillValue;
  const n = t.shape[dim];
  if (n === 0) return t;
  const first = reverse ? n - 1 : 0;
  const moved = sliceBackward(reverse ? slice(t, dim, 1, n) : slice(t, dim, 0, n - 1), dim, reverse ? 0 : 1, 1, n);
  if (fill === 0) return moved;
  const oneSlot = expand(fillValue, t.shape.map((d, i) => (i === dim ? 1 : d)));
  return add(moved, sliceBackward(oneSlot, dim, first, 1, n));
}
