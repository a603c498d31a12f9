import { broadcastStrides, type Shape, sizeOf, stridesOf } from "./shape";

/**
 * A strided view of a flat array: element [i0, i1, ...] sits at `offset + Σ i_d·strides[d]`.
 * View ops state their meaning as a map from their input's window to their output's; the
 * evaluator copies through it and the compiler reads through it without copying.
 */
export interface Window {
  readonly offset: number;
  readonly shape: Shape;
  readonly strides: readonly number[];
}

/** The whole of a row-major array of `shape`. */
export function denseWindow(shape: Shape): Window {
  return { offset: 0, shape, strides: stridesOf(shape) };
}

/** Row-major and dense (from its offset on); strides of size-1 dims do not matter. */
export function isContiguous(window: Window): boolean {
  const row = stridesOf(window.shape);
  return window.shape.every((d, i) => d === 1 || window.strides[i] === row[i]);
}

/** Whether the window is exactly the whole of an array of `size` elements, in order. */
export function coversWhole(window: Window, size: number): boolean {
  return window.offset === 0 && sizeOf(window.shape) === size && isContiguous(window);
}

/** The same elements read as if broadcast to `target`. */
export function broadcastWindow(window: Window, target: Shape): Window {
  return { offset: window.offset, shape: target, strides: broadcastStrides(window.shape, target, window.strides) };
}

/**
 * How a matrix product can read the matrix part (last two dims) of a window in place: row-major,
 * or stored transposed (a `transpose(-1, -2)` of a row-major matrix). Batch dims may have any strides.
 */
export function matrixLayout(window: Window): "rowMajor" | "transposed" | undefined {
  const rank = window.shape.length;
  const [rows, cols] = [window.shape[rank - 2], window.shape[rank - 1]];
  const [rowStride, colStride] = [window.strides[rank - 2], window.strides[rank - 1]];
  if ((rows === 1 || rowStride === cols) && (cols === 1 || colStride === 1)) return "rowMajor";
  if ((rows === 1 || rowStride === 1) && (cols === 1 || colStride === rows)) return "transposed";
  return undefined;
}

/** The offset of each matrix of a batch broadcast to `batchShape`, row-major over the batch. */
export function batchOffsets(window: Window, batchShape: Shape): number[] {
  const rank = window.shape.length;
  const strides = broadcastStrides(window.shape.slice(0, rank - 2), batchShape, window.strides.slice(0, rank - 2));
  const count = sizeOf(batchShape);
  const offsets = new Array<number>(count);
  for (let batch = 0; batch < count; batch++) {
    let offset = window.offset;
    for (let d = batchShape.length - 1, rest = batch; d >= 0; d--) {
      const coord = rest % batchShape[d];
      offset += coord * strides[d];
      rest = (rest - coord) / batchShape[d];
    }
    offsets[batch] = offset;
  }
  return offsets;
}
