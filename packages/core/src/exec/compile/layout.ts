import type { DType, TypedArray } from "../../basics/dtype";
import { type Shape, sizeOf, stridesOf } from "../../basics/shape";
import { denseWindow, type Window } from "../../basics/window";
import type { Tensor } from "../../ir/tensor";

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
  /** Set when a placement puts this temporary inside its own array, so the producer writes it in place. */
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

/** A value as a window on a storage. */
export interface Ref extends Window {
  readonly storage: Storage;
}

export function wholeRef(storage: Storage, shape: Shape): Ref {
  return { storage, ...denseWindow(shape) };
}

export function refOn(storage: Storage, window: Window): Ref {
  return { storage, offset: window.offset, shape: window.shape, strides: window.strides };
}

/** Whether two windows read the same elements in the same order (size-1 dims aside). */
export function sameElements(a: Window, b: Window): boolean {
  if (a.offset !== b.offset) return false;
  const moving = (w: Window) => w.shape.flatMap((d, i) => (d === 1 ? [] : [[d, w.strides[i]]]));
  const [x, y] = [moving(a), moving(b)];
  return x.length === y.length && x.every(([d, s], i) => d === y[i][0] && s === y[i][1]);
}

/** Per dim of a row-major array: the indices a window touches, as start + step·i for i < count. */
type Box = { start: number; step: number; count: number }[];

/**
 * The window as a box of the row-major array of `shape` it lies in: each of its moving dims walks
 * one dim of the array, without carrying into the next. Undefined for other windows (broadcast,
 * or a change of shape that mixes dims).
 */
function asBox(window: Window, shape: Shape): Box | undefined {
  const strides = stridesOf(shape);
  let rest = window.offset;
  const box: Box = shape.map((size, d) => {
    const start = Math.floor(rest / strides[d]);
    rest -= start * strides[d];
    return { start, step: 1, count: 1 };
  });
  const used = new Set<number>();
  for (let j = 0; j < window.shape.length; j++) {
    const count = window.shape[j];
    if (count === 1) continue;
    if (count === 0) return undefined;
    const stride = window.strides[j];
    const d = strides.findIndex(
      (s, k) => !used.has(k) && stride > 0 && stride % s === 0 && box[k].start + (stride / s) * (count - 1) < shape[k],
    );
    if (d < 0) return undefined;
    used.add(d);
    box[d] = { start: box[d].start, step: stride / strides[d], count };
  }
  return box;
}

/** Whether two windows of the row-major array of `shape` certainly share no element. */
export function disjointWindows(a: Window, b: Window, shape: Shape): boolean {
  if (sizeOf(a.shape) === 0 || sizeOf(b.shape) === 0) return true;
  const [x, y] = [asBox(a, shape), asBox(b, shape)];
  if (x === undefined || y === undefined) return false;
  // Boxes are disjoint when along some dim their index progressions share no index.
  return x.some((p, d) => {
    const q = y[d];
    const [small, large] = p.count <= q.count ? [p, q] : [q, p];
    for (let i = 0; i < small.count; i++) {
      const index = small.start + i * small.step;
      const k = (index - large.start) / large.step;
      if (Number.isInteger(k) && k >= 0 && k < large.count) return false;
    }
    return true;
  });
}
