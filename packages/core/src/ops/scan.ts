import { linesAlong, type Shape } from "../basics/shape";
import { type Attrs, booleanAttr, checkAttrNames, dimAttr } from "../ir/attrs";
import type { OnnxBuilder, OnnxDType, OnnxTensor, OnnxValue } from "../ir/onnx";
import type { BatchContext, TensorMeta } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { afterBatch, withBatch } from "./batching";
import { reshape } from "./reshape";

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

/**
 * vmap of an op along one `dim` of same-shaped inputs (the scans, argsort): every input given the
 * batch, the dim moved one up. A 0-d sample is one line of one element, so it scans as shape [1].
 */
export function batchAlongDim<A extends { readonly dim: number }>({ inputs, batched, size, node, rebuild }: BatchContext<A>): Tensor {
  const all = inputs.map((x, i) => withBatch(x, batched[i], size));
  if (node.shape.length > 0) return rebuild(all, { ...node.attrs, dim: afterBatch(node.attrs.dim) });
  return reshape(rebuild(all.map((x) => reshape(x, [size, 1])), { ...node.attrs, dim: 1 }), [size]);
}

/** What a scan's ONNX form is built from: values of the line shape `shape`, scanned along `dim`. */
interface OnnxScanLayout {
  readonly shape: readonly number[];
  readonly dim: number;
  readonly reverse: boolean;
}

/**
 * A scan in ONNX, which has no scan operator gradgraph's builder can write (Scan and Loop take
 * subgraphs): `body` builds it on inputs of rank 1 or more, as a 0-d input is one line of one element.
 */
export function onnxScan(b: OnnxBuilder, inputs: readonly OnnxTensor[], attrs: ScanAttrs, body: (xs: readonly OnnxValue[], layout: OnnxScanLayout) => OnnxValue): OnnxValue {
  const { shape } = inputs[0];
  if (shape.length > 0) return body(inputs, { shape, dim: attrs.dim, reverse: attrs.reverse });
  const result = body(inputs.map((x) => b.op("Reshape", [x, b.int64s([1])])), { shape: [1], dim: 0, reverse: attrs.reverse });
  return b.op("Reshape", [result, b.int64s([])]);
}

/**
 * The step sizes 1, 2, 4, ... below the line's length: a scan of an associative step is log2(n)
 * rounds, each combining every element with the one `shift` earlier in scan order (Hillis and Steele).
 */
export function doublingShifts(n: number): number[] {
  const shifts: number[] = [];
  for (let shift = 1; shift < n; shift *= 2) shifts.push(shift);
  return shifts;
}

/** Each element replaced by the one `shift` earlier in scan order, `fill` where there is none. */
export function onnxShifted(b: OnnxBuilder, v: OnnxValue, { shape, dim, reverse }: OnnxScanLayout, shift: number, fill: number, dtype: OnnxDType): OnnxValue {
  const n = shape[dim];
  const kept = b.op("Slice", [v, b.int64s([reverse ? shift : 0]), b.int64s([reverse ? n : n - shift]), b.int64s([dim])]);
  const pads = Array<number>(2 * shape.length).fill(0);
  pads[reverse ? shape.length + dim : dim] = shift;
  return b.op("Pad", [kept, b.int64s(pads), b.scalar(fill, dtype)]);
}

/** Each element's own index along the scan's dim, int32, in the line shape. */
export function onnxIndicesAlong(b: OnnxBuilder, { shape, dim }: OnnxScanLayout): OnnxValue {
  const n = shape[dim];
  const along = b.constant(Array.from({ length: n }, (_, i) => i), shape.map((d, i) => (i === dim ? n : 1)), "int32");
  return b.op("Expand", [along, b.int64s(shape)]);
}
