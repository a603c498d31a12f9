import { allocate } from "../dtype";
import { OpError } from "../errors";
import { apply } from "../ir/graph";
import { formatShape, normalizeDim, sizeOf } from "../shape";
import type { Tensor } from "../tensor";
import { checkSameDType } from "./elementwise";
import { slice } from "./slice";
import { registerOp } from "./registry";

export const concatOp = registerOp<{ dim: number }>({
  name: "concat",
  arity: "variadic",
  infer(inputs, { dim }) {
    if (inputs.length === 0) throw new OpError("concat", "expected a non-empty list of tensors");
    checkSameDType("concat", inputs);
    const first = inputs[0].shape;
    const d = normalizeDim("concat", dim, first.length);
    let total = 0;
    inputs.forEach((x, n) => {
      if (x.shape.length !== first.length) {
        throw new OpError(
          "concat",
          `tensors must have the same number of dimensions: got ${first.length} ${formatShape(first)} and ${x.shape.length} ${formatShape(x.shape)} for tensor number ${n}`,
        );
      }
      x.shape.forEach((size, i) => {
        if (i !== d && size !== first[i]) {
          throw new OpError(
            "concat",
            `sizes of tensors must match except in dimension ${d}. Expected size ${first[i]} but got size ${size} for tensor number ${n} in the list`,
          );
        }
      });
      total += x.shape[d];
    });
    const shape = [...first];
    shape[d] = total;
    return { shape, dtype: inputs[0].dtype };
  },
  kernel(inputs, { dim }, out) {
    const result = allocate(out.dtype, sizeOf(out.shape));
    const outer = sizeOf(out.shape.slice(0, dim));
    const inner = sizeOf(out.shape.slice(dim + 1));
    const rowLength = out.shape[dim] * inner;
    let offset = 0;
    for (const x of inputs) {
      const block = x.shape[dim] * inner;
      for (let o = 0; o < outer; o++) result.set(x.data.subarray(o * block, (o + 1) * block), o * rowLength + offset);
      offset += block;
    }
    return result;
  },
  vjp(g, { inputs, attrs: { dim }, needs }) {
    let start = 0;
    return inputs.map((x, i) => {
      const begin = start;
      start += x.shape[dim];
      return needs[i] ? slice(g, dim, begin, start) : null;
    });
  },
});

export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 1) return tensors[0];
  const rank = tensors[0]?.shape.length ?? 0;
  return apply(concatOp, tensors, { dim: normalizeDim("concat", dim, rank) });
}
