import { type Shape, sizeOf } from "./shape";

/** What users write for a tensor's values: a number (or boolean), or arrays of arrays of them. */
export type NestedArray = number | boolean | NestedArray[];

/**
 * Flattens nested arrays, checking that they are rectangular; booleans count as 1 and 0, and
 * `booleans` says whether every value was one (`tensor([true, false])` is then bool, as in PyTorch).
 */
export function flattenNested(value: NestedArray | ArrayLike<number>, where: string): { values: number[]; shape: number[]; booleans: boolean } {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  if (typeof value === "number" || typeof value === "boolean") return { values: [Number(value)], shape: [], booleans: typeof value === "boolean" };
  const values: number[] = [];
  let booleans = true;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (depth === shape.length) {
      if (typeof item !== "number" && typeof item !== "boolean") throw new TypeError(`${where}: expected a number at depth ${depth}, got ${typeof item}`);
      if (typeof item === "number") booleans = false;
      values.push(Number(item));
      continue;
    }
    if (!Array.isArray(item) || item.length !== shape[depth]) {
      throw new TypeError(`${where}: nested arrays must be rectangular; expected length ${shape[depth]} at depth ${depth}`);
    }
    for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], depth + 1]);
  }
  return { values, shape, booleans: booleans && values.length > 0 };
}

/** The inverse of flattening: row-major data into nested arrays of `shape`, without recursion (any rank). */
export function nest(data: ArrayLike<number>, shape: Shape): NestedArray {
  // (Bool tensors nest as 1 and 0, as their data reads.)
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
