import { unbroadcast } from "./unbroadcast";
import { allocate, isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { broadcastShapes, type Shape, sizeOf } from "../basics/shape";
import { batchOffsets, denseWindow } from "../basics/window";
import { noAttributes } from "../ir/attrs";
import { checkTensor } from "../ir/args";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import { withSampleRank } from "./batching";
import type { Tensor } from "../ir/tensor";
import { batchedGemm, type FloatArray } from "../kernels/matmul";
import { checkSameDType } from "./elementwise";
import { reshape } from "./reshape";
import { transpose } from "./transpose";

function shapesCannotBeMultiplied(a: Shape, b: Shape): OpError {
  const fmt = (s: Shape) => (s.length === 0 ? "scalar" : s.join("x"));
  return new OpError("matmul", `shapes cannot be multiplied (${fmt(a)} and ${fmt(b)})`);
}

/**
 * Batched matrix product of operands with rank >= 2; batch dims broadcast. `matmul()` maps the
 * 1-D cases of torch.matmul onto it with reshapes.
 */
export const matmulOp = registerBuiltinOp({
  name: "matmul",
  arity: 2,
  canonicalize: noAttributes("matmul"),
  infer([a, b]) {
    checkSameDType("matmul", [a, b]);
    if (!isFloat(a.dtype)) throw new OpError("matmul", `expected float tensors, got ${a.dtype}`);
    if (a.shape.length < 2 || b.shape.length < 2 || a.shape[a.shape.length - 1] !== b.shape[b.shape.length - 2]) {
      throw shapesCannotBeMultiplied(a.shape, b.shape);
    }
    const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
    return { shape: [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]], dtype: a.dtype };
  },
  kernel([a, b], _attrs, out) {
    const rank = out.shape.length;
    const [m, n] = [out.shape[rank - 2], out.shape[rank - 1]];
    const k = a.shape[a.shape.length - 1];
    const result = allocate(out.dtype, sizeOf(out.shape)) as FloatArray;
    // A broadcast batch operand is read in place: its offsets repeat.
    const batch = out.shape.slice(0, -2);
    const offsetsOf = (shape: Shape) => batchOffsets(denseWindow(shape), batch);
    batchedGemm(m, n, k, a.data as FloatArray, offsetsOf(a.shape), false, b.data as FloatArray, offsetsOf(b.shape), false, result, offsetsOf(out.shape));
    return result;
  },
  vjp: (g, { inputs: [a, b], needs }) => [
    needs[0] ? unbroadcast(matmulOrThrow(g, transpose(b, -1, -2)), a.shape) : null,
    needs[1] ? unbroadcast(matmulOrThrow(transpose(a, -1, -2), g), b.shape) : null,
  ],
  jvp: "multilinear",
  batch: ({ inputs, batched, size, node, rebuild }) => {
    const [a, b] = inputs;
    if (!batched[1] && b.shape.length === 2) {
      // Every sample's rows times one matrix: the rows of all of them make one larger product (a batched
      // vector is then one matrix product, not a product of one row per sample).
      const rows = a.shape.slice(0, -1).reduce((n, d) => n * d, 1);
      return reshape(rebuild([reshape(a, [rows, a.shape[a.shape.length - 1]]), b], node.attrs), [size, ...node.shape]);
    }
    if (!batched[0] && a.shape.length === 2 && b.shape.length === 3 && b.shape[2] === 1) {
      // One matrix times a column per sample (a batched vector): the columns side by side make one product.
      const columns = transpose(reshape(b, [size, b.shape[1]]), 0, 1);
      return reshape(transpose(rebuild([a, columns], node.attrs), 0, 1), [size, ...node.shape]);
    }
    // Batch dims broadcast from the right: a batched operand gets size-1 dims after the batch up to the
    // output's batch rank, so the batch lines up with the other's and the sample dims with theirs.
    const rank = node.shape.length;
    return rebuild(inputs.map((x, i) => (batched[i] ? withSampleRank(x, rank) : x)), node.attrs);
  },
  matrixProduct: true,
  onnx: (b, [x, y]) => b.op("MatMul", [x, y]),
});

function matmulOrThrow(a: Tensor, b: Tensor): Tensor {
  return apply(matmulOp, [a, b]);
}

/** torch.matmul: 1-D operands are promoted to a row (left) or a column (right), then removed again. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor("matmul", "input", a);
  checkTensor("matmul", "other", b);
  if (a.shape.length === 0 || b.shape.length === 0) {
    throw new OpError("matmul", `both arguments need to be at least 1D, but they are ${a.shape.length}D and ${b.shape.length}D`);
  }
  const inner = a.shape[a.shape.length - 1];
  const bInner = b.shape.length === 1 ? b.shape[0] : b.shape[b.shape.length - 2];
  if (inner !== bInner) throw shapesCannotBeMultiplied(a.shape, b.shape);
  const a2 = a.shape.length === 1 ? reshape(a, [1, inner]) : a;
  const b2 = b.shape.length === 1 ? reshape(b, [inner, 1]) : b;
  const product = apply(matmulOp, [a2, b2]);
  if (a.shape.length > 1 && b.shape.length > 1) return product;
  const shape = product.shape.filter((_, i) => !((a.shape.length === 1 && i === product.shape.length - 2) || (b.shape.length === 1 && i === product.shape.length - 1)));
  return reshape(product, shape);
}
