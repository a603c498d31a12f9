import type { DType, TypedArray } from "../../dtype";
import type { Attrs } from "../../ir/attrs";
import { type Shape, sizeOf, stridesOf } from "../../shape";
import type { Tensor } from "../../tensor";

/**
 * An array the program reads or writes. `temp` arrays come from the memory plan; the others
 * exist before the plan (fed inputs, leaves' own arrays, constants).
 */
export interface Storage {
  readonly id: number;
  readonly kind: "temp" | "input" | "leaf" | "const";
  readonly size: number;
  readonly dtype: DType;
  readonly tensor?: Tensor;
  readonly value?: TypedArray;
  /** Set when a concat places this temporary inside its own array, so the producer writes it in place. */
  window?: { readonly of: Storage; readonly offset: number };
}

/** The storage that owns the memory of `s` (itself unless it is a window), and where `s` starts in it. */
export function rootOf(s: Storage): { root: Storage; offset: number } {
  let offset = 0;
  while (s.window !== undefined) {
    offset += s.window.offset;
    s = s.window.of;
  }
  return { root: s, offset };
}

/** A value as a strided window on a storage: element [i0, i1, ...] is at offset + Σ i_d·strides[d]. */
export interface Ref {
  readonly storage: Storage;
  readonly offset: number;
  readonly shape: Shape;
  readonly strides: readonly number[];
}

export function wholeRef(storage: Storage, shape: Shape): Ref {
  return { storage, offset: 0, shape, strides: stridesOf(shape) };
}

/** Row-major and dense; strides of size-1 dims do not matter. */
export function isContiguous(ref: Ref): boolean {
  const row = stridesOf(ref.shape);
  return ref.shape.every((d, i) => d === 1 || ref.strides[i] === row[i]);
}

/**
 * The window a movement op makes of its input's window, so consumers read through it and it
 * never runs. Undefined when the result is not a window (a reshape of a non-dense view).
 */
export function viewThrough(op: string, attrs: Attrs, shape: Shape, input: Ref): Ref | undefined {
  const strides = [...input.strides];
  switch (op) {
    case "detach":
      return input;
    case "reshape":
      if (isContiguous(input)) return { storage: input.storage, offset: input.offset, shape, strides: stridesOf(shape) };
      return withoutUnitDims(input.shape, shape) ? { ...input, shape, strides: reshapeUnitDims(input, shape) } : undefined;
    case "transpose": {
      const { dim0, dim1 } = attrs as { dim0: number; dim1: number };
      [strides[dim0], strides[dim1]] = [strides[dim1], strides[dim0]];
      return { ...input, shape, strides };
    }
    case "permute":
      return { ...input, shape, strides: (attrs.dims as readonly number[]).map((d) => input.strides[d]) };
    case "slice": {
      const { dim, start, step } = attrs as { dim: number; start: number; step: number };
      return { ...input, offset: input.offset + start * strides[dim], shape, strides: strides.map((s, d) => (d === dim ? s * step : s)) };
    }
    case "expand":
      return { ...input, shape, strides: broadcastStridesOf(input, shape) };
    default:
      throw new Error(`viewThrough: '${op}' is not a view op`);
  }
}

/** Whether two shapes differ only in size-1 dims (squeeze/unsqueeze), which any strided window survives. */
function withoutUnitDims(a: Shape, b: Shape): boolean {
  const kept = (shape: Shape) => shape.filter((d) => d !== 1);
  const [x, y] = [kept(a), kept(b)];
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

/** The strides of `shape` over `ref` when only size-1 dims were added or removed. */
function reshapeUnitDims(ref: Ref, shape: Shape): number[] {
  const strides = ref.strides.filter((_, i) => ref.shape[i] !== 1);
  let next = 0;
  return shape.map((d) => (d === 1 ? 0 : strides[next++]));
}

/** Strides that read `ref` as if broadcast to `target` (NumPy rules): 0 along new and size-1 dims. */
export function broadcastStridesOf(ref: Ref, target: Shape): number[] {
  const lead = target.length - ref.shape.length;
  return target.map((_, i) => (i < lead || ref.shape[i - lead] === 1 ? 0 : ref.strides[i - lead]));
}

/**
 * How gemm can read the matrix part (last two dims) of `ref` in place: row-major, or stored
 * transposed (a `transpose(-1, -2)` of a row-major matrix). Batch dims may have any strides.
 */
export function matrixLayout(ref: Ref): "rowMajor" | "transposed" | undefined {
  const rank = ref.shape.length;
  const [rows, cols] = [ref.shape[rank - 2], ref.shape[rank - 1]];
  const [rowStride, colStride] = [ref.strides[rank - 2], ref.strides[rank - 1]];
  if ((rows === 1 || rowStride === cols) && (cols === 1 || colStride === 1)) return "rowMajor";
  if ((rows === 1 || rowStride === 1) && (cols === 1 || colStride === rows)) return "transposed";
  return undefined;
}

export function refSize(ref: Ref): number {
  return sizeOf(ref.shape);
}
