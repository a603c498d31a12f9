import { describeValue, OpError } from "./errors";

/** The sizes of a tensor's dims, outermost first; `[]` for a 0-d tensor. */
export type Shape = readonly number[];

/** Above this many elements a request is refused before anything is allocated (2^31 - 1, the typed-array limit). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** The number of elements of a tensor of `shape`. */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** A shape as error messages write it: `[2, 3]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Row-major strides. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/** Whether the two shapes are equal. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A list of dimension sizes: non-negative integers small enough to compute with exactly. */
export function isShapeList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** Validates a user-given shape: non-negative integers, and not absurdly large. */
export function checkShape(op: string, shape: Shape): number[] {
  if (!Array.isArray(shape)) throw new OpError(op, `shape must be an array of integers, got ${describeValue(shape)}`);
  if (!isShapeList(shape)) throw new OpError(op, `shape ${describeValue(shape)} must hold non-negative integers`);
  const size = sizeOf(shape);
  if (size > MAX_ELEMENTS) {
    throw new OpError(op, `shape ${formatShape(shape)} has ${size} elements, more than the ${MAX_ELEMENTS} a tensor can hold`);
  }
  return [...shape];
}

/** Wraps a possibly negative dim into [0, rank), PyTorch's "Dimension out of range" otherwise. */
export function normalizeDim(op: string, dim: number, rank: number): number {
  const lo = Math.min(-rank, -1);
  const hi = Math.max(rank - 1, 0);
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new OpError(op, `dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${dim})`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

/** NumPy broadcasting; the error names the first mismatching dimension (counted in the result) and both sizes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new OpError(
        op,
        `the size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i} ` +
          `(shapes ${formatShape(a)} and ${formatShape(b)})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides for reading an array of `shape` laid out with `strides` (row-major unless given) as if
 * broadcast to `target` (NumPy rules): 0 along new leading dims and along size-1 dims.
 */
export function broadcastStrides(shape: Shape, target: Shape, strides: readonly number[] = stridesOf(shape)): number[] {
  const lead = target.length - shape.length;
  return target.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : strides[i - lead]));
}

/**
 * A tensor seen as lines along `dim`, for scans and per-line kernels (sort, argmax): `outer`
 * lines before it, each of `size` elements `inner` apart; element (o, i, r) sits at
 * (o·size + i)·inner + r.
 */
export function linesAlong(shape: Shape, dim: number): { outer: number; size: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, dim)), size: shape[dim], inner: sizeOf(shape.slice(dim + 1)) };
}
