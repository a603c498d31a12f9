import { OpError } from "../basics/errors";
import { formatShape, type Shape, stridesOf } from "../basics/shape";
import { type Attrs, checkAttrNames, dimAttr } from "../ir/attrs";
import type { TensorMeta } from "../ir/registry";

/** Shared checks for gather, scatterAdd, indexSelect and indexAdd. */
export function checkIndexTensor(op: string, index: TensorMeta): void {
  if (index.dtype !== "int32") throw new OpError(op, `index must be an int32 tensor, got ${index.dtype}`);
}

export function checkIndexValue(op: string, i: number, dim: number, size: number): void {
  if (i < 0 || i >= size) throw new OpError(op, `index ${i} is out of bounds for dimension ${dim} with size ${size}`);
}

/** The one attribute of the indexing ops: a dim of their first input. */
export function canonicalizeIndexDim(op: string): (inputs: readonly TensorMeta[], attrs: Attrs) => { readonly dim: number } {
  return ([x], attrs) => {
    checkAttrNames(op, attrs, ["dim"]);
    return { dim: dimAttr(op, attrs, "dim", x.shape.length) };
  };
}

/** gather/scatterAdd: index has x's rank and fits inside x except along `dim` (PyTorch's rule). */
export function checkGatherShapes(op: string, x: TensorMeta, index: TensorMeta, d: number): void {
  checkIndexTensor(op, index);
  if (index.shape.length !== x.shape.length) {
    throw new OpError(op, `index tensor must have the same number of dimensions as input: ${formatShape(index.shape)} vs ${formatShape(x.shape)}`);
  }
  index.shape.forEach((size, i) => {
    if (i !== d && size > x.shape[i]) {
      throw new OpError(op, `size of index ${formatShape(index.shape)} does not fit input ${formatShape(x.shape)} at dimension ${i}`);
    }
  });
}

/**
 * For each element of a gather-style index (row-major over `index.shape`), the flat position it
 * addresses in a tensor of `target` shape: the element's own coordinates, with the index value
 * along `dim`. gather reads from these positions; scatterAdd adds into them.
 */
export function indexedPositions(op: string, index: { data: ArrayLike<number>; shape: Shape }, dim: number, target: Shape): Int32Array {
  const positions = new Int32Array(index.data.length);
  const targetStrides = stridesOf(target);
  const indexStrides = stridesOf(index.shape);
  for (let i = 0; i < positions.length; i++) {
    let position = 0;
    for (let d = 0, rest = i; d < index.shape.length; d++) {
      const coord = Math.floor(rest / indexStrides[d]);
      rest -= coord * indexStrides[d];
      if (d === dim) {
        const j = index.data[i];
        checkIndexValue(op, j, dim, target[dim]);
        position += j * targetStrides[d];
      } else position += coord * targetStrides[d];
    }
    positions[i] = position;
  }
  return positions;
}
