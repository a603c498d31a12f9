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

/** The inverse of flattening: row-major data into nested arrays of `shape`, without recursion (any rank). */
export function nest(data: ArrayLike<number>, shape: Shape): NestedArray {
  if (shape.length === 0) return data[0];
  // Innermost rows first, then each level groups the one below it.
  const innermost = shape[shape.length - 1];
  let level: NestedArray[] = [];
  for (let offset = 0; offset < sizeOf(shape); offset += innermost) level.push(Array.from({ length: innermost }, (_, i) => data[offset + i]));
  if (innermost === 0) level = Array.from({ length: sizeOf(shape.slice(0, -1)) }, () => []);
  for (let d = shape.length - 2; d >= 0; d--) {
    const size = shape[d];
    const grouped: NestedArray[] = [];
    for (let i = 0; i < level.length; i += size) grouped.push(level.slice(i, i + size));
    if (size === 0) for (let i = sizeOf(shape.slice(0, d)); i > 0; i--) grouped.push([]);
    level = grouped;
  }
  return level[0];
}
