import { linesAlong, type Shape } from "../basics/shape";
import { type Attrs, booleanAttr, checkAttrNames, dimAttr } from "../ir/attrs";
import type { TensorMeta } from "../ir/registry";

/** A scan's attributes: along `dim`, from the last element back when `reverse` (TensorFlow's cumsum option). */
export type ScanAttrs = { readonly dim: number; readonly reverse: boolean };

export function canonicalizeScan(op: string, extra: readonly string[] = []): (inputs: readonly TensorMeta[], attrs: Attrs) => ScanAttrs {
  return ([x], attrs) => {
    checkAttrNames(op, attrs, ["dim", "reverse", ...extra]);
    return { dim: dimAttr(op, attrs, "dim", Math.max(x.shape.length, 1)), reverse: booleanAttr(op, attrs, "reverse", false) };
  };
}

/**
 * Calls `visit(position, step, index)` for every element in scan order: line by line, each line
 * from its first element (its last when `reverse`); `step` counts the line's elements in scan
 * order, `index` is the element's own index along `dim`. A 0-d tensor is one line of one element.
 */
export function scanOrder(shape: Shape, { dim, reverse }: ScanAttrs, visit: (position: number, step: number, index: number) => void): void {
  const { outer, size, inner } = shape.length === 0 ? { outer: 1, size: 1, inner: 1 } : linesAlong(shape, dim);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      const base = o * size * inner + r;
      for (let step = 0; step < size; step++) {
        const index = reverse ? size - 1 - step : step;
        visit(base + index * inner, step, index);
      }
    }
  }
}
