import { type Shape, sizeOf } from "./shape";

/** What users write for a tensor's values: a number, or arrays of arrays of numbers. */
export type NestedArray = number | NestedArray[];

/** Flattens nested number arrays, checking that they are rectangular. */
export function flattenNested(value: NestedArray | ArrayLike<number>, where: string): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  if (typeof value === "number") return { values: [value], shape: [] };
  const values: number[] = [];
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (depth === shape.length) {
      if (typeof item !== "number") throw new TypeError(`${where}: expected a number at depth ${depth}, got ${typeof item}`);
      values.push(item);
      continue;
    }
    if (!Array.isArray(item) || item.length !== shape[depth]) {
      throw new TypeError(`${where}: nested arrays must be rectangular; expected length ${shape[depth]} at depth ${depth}`);
    }
    for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], depth + 1]);
  }
  return { values, shape };
}

/** The inverse of flattening: row-major data into nested arrays of `shape`. */
export function nest(data: ArrayLike<number>, shape: Shape): NestedArray {
  if (shape.length === 0) return data[0];
  const build = (offset: number, depth: number): NestedArray[] => {
    const stride = sizeOf(shape.slice(depth + 1));
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[depth]; i++) {
      out.push(depth === shape.length - 1 ? data[offset + i] : build(offset + i * stride, depth + 1));
    }
    return out;
  };
  return build(0, 0);
}
