import { allocate, type DType, type TypedArray } from "../basics/dtype";
import { type Shape, sizeOf } from "../basics/shape";

/** A fold: the starting value and the formula combining the running value `acc` with the next `v`. */
interface Fold {
  readonly identity: number;
  readonly combine: string;
}

type ReduceLoop = (data: TypedArray, out: TypedArray, shape: Shape, reduced: readonly boolean[], split: readonly number[] | undefined) => void;

/** Loops generated per fold, so no function is called per element. */
const loops = new Map<string, ReduceLoop>();

/** What storing a number into an array of `dtype` does to it. */
const storedAs: Record<DType, (expr: string) => string> = {
  float32: (expr) => `Math.fround(${expr})`,
  float64: (expr) => expr,
  int32: (expr) => `((${expr}) | 0)`,
  bool: (expr) => `((${expr}) !== 0 ? 1 : 0)`,
};

/**
 * Whether a fold rounds its running value to the dtype after every step. int32 always does: int32
 * arithmetic wraps at every step (PyTorch's `sum(dtype=torch.int32)`), which a double running sum
 * does not once it passes 2^53. A float fold over adjacent dims keeps a double running value, stored
 * once; over scattered dims each step is rounded, as accumulating in the output array rounds it.
 * The compiled loops follow the same rule.
 */
export function roundsEachStep(dtype: DType, adjacentDims: boolean): boolean {
  return dtype === "int32" || dtype === "bool" || !adjacentDims;
}

function generateLoop({ identity, combine }: Fold, dtype: DType): ReduceLoop {
  const step = (target: string, value: string, adjacentDims: boolean) =>
    `{ const acc = ${target}, v = ${value}; ${target} = ${roundsEachStep(dtype, adjacentDims) ? storedAs[dtype](combine) : combine}; }`;
  const source = `
    if (split !== undefined) {
      // The reduced dims are adjacent: [outer, reduced, inner], one running value per output.
      const [outer, count, inner] = split;
      for (let o = 0; o < outer; o++) {
        const base = o * count * inner;
        for (let j = 0; j < inner; j++) {
          let total = ${identity};
          for (let r = 0, p = base + j; r < count; r++, p += inner) ${step("total", "data[p]", true)}
          out[o * inner + j] = total;
        }
      }
      return;
    }
    // General case: walk the input with an odometer; reduced dims do not move the output offset.
    // Each step is rounded as storing it would round it, but the identity itself need not fit
    // the dtype (max's -Infinity in int32), so the running values live in doubles.
    const running = new Float64Array(out.length).fill(${identity});
    const rank = shape.length;
    const outStrides = new Array(rank).fill(0);
    for (let d = rank - 1, stride = 1; d >= 0; d--) {
      if (reduced[d]) continue;
      outStrides[d] = stride;
      stride *= shape[d];
    }
    const idx = new Int32Array(rank);
    let o = 0;
    for (let i = 0; i < data.length; i++) {
      ${step("running[o]", "data[i]", false)}
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]++;
        o += outStrides[d];
        if (idx[d] < shape[d]) break;
        o -= outStrides[d] * shape[d];
        idx[d] = 0;
      }
    }
    out.set(running);`;
  return new Function("data", "out", "shape", "reduced", "split", source) as ReduceLoop;
}

/** [outer, reduced, inner] sizes when the reduced dims are adjacent, the common case. */
function adjacentSplit(shape: Shape, dims: readonly number[]): number[] | undefined {
  const sorted = [...dims].sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) return undefined;
  const first = sorted[0] ?? 0;
  const last = sorted.length === 0 ? -1 : sorted[sorted.length - 1];
  return [sizeOf(shape.slice(0, first)), sizeOf(shape.slice(first, last + 1)), sizeOf(shape.slice(last + 1))];
}

/**
 * Folds `data` of `shape` over `dims` (normalized, distinct), rounding as `roundsEachStep` says.
 * The compiled loops reproduce exactly this.
 */
export function reduce(fold: Fold, data: TypedArray, shape: Shape, dims: readonly number[], dtype: DType): TypedArray {
  const reduced = shape.map((_, d) => dims.includes(d));
  const out = allocate(dtype, sizeOf(shape.filter((_, d) => !reduced[d])));
  const key = `${dtype}|${fold.identity}|${fold.combine}`;
  let loop = loops.get(key);
  if (loop === undefined) loops.set(key, (loop = generateLoop(fold, dtype)));
  loop(data, out, shape, reduced, adjacentSplit(shape, dims));
  return out;
}
