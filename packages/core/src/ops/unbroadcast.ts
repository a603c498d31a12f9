import { type Shape, sameShape } from "../basics/shape";
import type { Tensor } from "../ir/tensor";
import { reshape } from "./reshape";
import { sum } from "./sum";

/**
 * Sums a gradient of the broadcast result back to an operand's shape: over the leading dims the
 * operand lacked and over the dims where it had size 1.
 */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  return reshape(sum(g, dims, false), shape);
}
