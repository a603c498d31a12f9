import { allocate, type DType, type TypedArray } from "../basics/dtype";
import { type Shape, sizeOf, stridesOf } from "../basics/shape";

/**
 * For each dim of a result, the index along the same dim of the source that each of its indices
 * stands for, or -1 for none; `undefined` is the identity. Flip, roll and padding are such maps:
 * every dim is remapped on its own.
 */
export type DimMaps = readonly (Int32Array | undefined)[];

/** The flat offset each index of each dim contributes (row-major `shape`), -1 where the map has none. */
function offsetTables(maps: DimMaps, resultShape: Shape, sourceShape: Shape): Int32Array[] {
  const strides = stridesOf(sourceShape);
  return resultShape.map((size, d) => {
    const map = maps[d];
    const table = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const j = map === undefined ? i : map[i];
      table[i] = j < 0 ? -1 : j * strides[d];
    }
    return table;
  });
}

/**
 * Walks the positions of `shape` in row-major order, calling `row(base, k)` for each run along the
 * last dim: `base` is the source offset of the outer coordinates (-1 if one of them has none) and
 * `k` the flat position of the run's first element.
 */
function forEachRow(shape: Shape, tables: readonly Int32Array[], row: (base: number, k: number) => void): void {
  const rank = shape.length;
  const total = sizeOf(shape);
  if (total === 0) return;
  const inner = rank === 0 ? 1 : shape[rank - 1];
  const coords = new Int32Array(Math.max(rank - 1, 0));
  for (let k = 0; k < total; k += inner) {
    let base = 0;
    for (let d = 0; d < rank - 1 && base >= 0; d++) base = tables[d][coords[d]] < 0 ? -1 : base + tables[d][coords[d]];
    row(base, k);
    for (let d = rank - 2; d >= 0; d--) {
      if (++coords[d] < shape[d]) break;
      coords[d] = 0;
    }
  }
}

/** result[c] = source[map_0(c_0), map_1(c_1), ...], or `fill` where a map has no index. */
export function gatherAlongDims(source: TypedArray, sourceShape: Shape, maps: DimMaps, resultShape: Shape, dtype: DType, fill = 0): TypedArray {
  const result = allocate(dtype, sizeOf(resultShape));
  const tables = offsetTables(maps, resultShape, sourceShape);
  const last = resultShape.length === 0 ? Int32Array.of(0) : tables[resultShape.length - 1];
  forEachRow(resultShape, tables, (base, k) => {
    for (let j = 0; j < last.length; j++) result[k + j] = base < 0 || last[j] < 0 ? fill : source[base + last[j]];
  });
  return result;
}

/** The transpose of `gatherAlongDims`: each element of `g` added, in row-major order, to where it was read from. */
export function scatterAddAlongDims(g: TypedArray, gShape: Shape, maps: DimMaps, resultShape: Shape, dtype: DType): TypedArray {
  const result = allocate(dtype, sizeOf(resultShape));
  const tables = offsetTables(maps, gShape, resultShape);
  const last = gShape.length === 0 ? Int32Array.of(0) : tables[gShape.length - 1];
  forEachRow(gShape, tables, (base, k) => {
    if (base < 0) return;
    for (let j = 0; j < last.length; j++) if (last[j] >= 0) result[base + last[j]] += g[k + j];
  });
  return result;
}
