import { allocate } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { formatShape, linesAlong, sizeOf } from "../basics/shape";
import { type Attrs, booleanAttr, checkAttrNames, dimAttr } from "../ir/attrs";
import type { TensorMeta } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { afterBatch } from "./batching";
import { eq } from "./compare";
import { div } from "./div";
import { expand } from "./expand";
import { mul } from "./mul";
import { batchReduction, canonicalizeReduction, type ReduceAttrs, reducedShape, reductionRule } from "./reduction";
import { reshape } from "./reshape";
import { reductionKernel } from "./ruleKernels";
import { sum } from "./sum";
import type { BuiltinOpDef } from "./builtinOp";

/**
 * Shared by max/min (the reductions) and argmax/argmin: `better` is the comparison a new value
 * must win to replace the running one. NaN always wins and then stays, as in PyTorch.
 */
type Better = ">" | "<";

/** An empty reduced dim has no extremum: PyTorch's error, with the shape. */
function checkNonEmpty(op: string, x: TensorMeta, dims: readonly number[]): void {
  for (const d of dims) {
    if (x.shape[d] === 0) throw new OpError(op, `Expected reduction dim ${d} to have non-zero size (input shape ${formatShape(x.shape)})`);
  }
}

/** Where x attains its reduction's result `output`, and how many elements of each line tie there (int32, keepdim shape). */
function tiedExtrema(x: Tensor, output: Tensor, attrs: ReduceAttrs): { isExtremum: Tensor; ties: Tensor; kept: number[] } {
  const kept = reducedShape(x, { ...attrs, keepdim: true });
  const isExtremum = eq(x, expand(reshape(output, kept), x.shape));
  return { isExtremum, ties: sum(isExtremum, attrs.dims, true), kept };
}

/** The amax/amin reduction over dims; ties share the gradient evenly (derivatives.yaml: amax). */
export function extremumReduction(name: string, better: Better): BuiltinOpDef<ReduceAttrs> {
  const rule = reductionRule(better === ">" ? -Infinity : Infinity, `(v ${better} acc || v !== v) ? v : acc`);
  return {
    name,
    arity: 1,
    canonicalize: canonicalizeReduction(name),
    infer([x], attrs) {
      checkNonEmpty(name, x, attrs.dims);
      return { shape: reducedShape(x, attrs), dtype: x.dtype };
    },
    kernel: reductionKernel(rule),
    vjp(g, { inputs: [x], output, attrs }) {
      const { isExtremum, ties, kept } = tiedExtrema(x, output, attrs);
      return [mul(expand(reshape(div(g, reshape(ties, g.shape)), kept), x.shape), isExtremum)];
    },
    // The VJP's transpose: the mean of the tangents at the tied extrema, as their gradient is shared evenly.
    jvp([t], { inputs: [x], output, attrs }) {
      const { isExtremum, ties } = tiedExtrema(x, output, attrs);
      return div(sum(mul(t!, isExtremum), attrs.dims, attrs.keepdim), reshape(ties, output.shape));
    },
    batch: batchReduction,
    reduction: rule,
    // Opset 17 reads an empty `axes` as every axis: a reduction over no dims is the input.
    onnx: (b, [x], { dims, keepdim }) =>
      dims.length === 0 ? b.op("Identity", [x]) : b.op(better === ">" ? "ReduceMax" : "ReduceMin", [x], { axes: dims, keepdims: keepdim ? 1 : 0 }),
  };
}

/** argmax/argmin's attributes: a dim (null: over the flattened tensor) and keepdim. */
type ArgAttrs = { readonly dim: number | null; readonly keepdim: boolean };

/**
 * The index of the first maximum (minimum) along `dim`, as int32: the first NaN if there is one
 * (PyTorch's argmax/argmin). With `dim` null the tensor is flattened and the result is 0-d.
 * Indices are piecewise constant: no gradient flows.
 */
export function argExtremum(name: string, better: Better): BuiltinOpDef<ArgAttrs> {
  return {
    name,
    arity: 1,
    canonicalize([x], attrs: Attrs) {
      checkAttrNames(name, attrs, ["dim", "keepdim"]);
      const dim = attrs.dim === undefined || attrs.dim === null ? null : dimAttr(name, attrs, "dim", Math.max(x.shape.length, 1));
      return { dim: x.shape.length === 0 ? null : dim, keepdim: booleanAttr(name, attrs, "keepdim", false) };
    },
    infer([x], { dim, keepdim }) {
      if (dim === null) {
        if (sizeOf(x.shape) === 0) throw new OpError(name, "Expected reduction dim to be specified for input.numel() == 0");
        return { shape: keepdim ? x.shape.map(() => 1) : [], dtype: "int32" };
      }
      checkNonEmpty(name, x, [dim]);
      return { shape: reducedShape(x, { dims: [dim], keepdim }), dtype: "int32" };
    },
    kernel([x], { dim }) {
      const { outer, size, inner } = dim === null ? { outer: 1, size: x.data.length, inner: 1 } : linesAlong(x.shape, dim);
      const result = allocate("int32", outer * inner);
      const data = x.data;
      for (let o = 0; o < outer; o++) {
        for (let r = 0; r < inner; r++) {
          const base = o * size * inner + r;
          let best = data[base];
          let at = 0;
          for (let i = 1; i < size && best === best; i++) {
            const v = data[base + i * inner];
            if (better === ">" ? v > best || v !== v : v < best || v !== v) {
              best = v;
              at = i;
            }
          }
          result[o * inner + r] = at;
        }
      }
      return result;
    },
    vjp: "nondifferentiable",
    batch({ inputs: [x], size, node, rebuild }) {
      if (node.attrs.dim !== null) return rebuild([x], { ...node.attrs, dim: afterBatch(node.attrs.dim) });
      // Over each flattened sample: one line per sample, then the sample's result shape (all ones with keepdim).
      const lines = reshape(x, [size, sizeOf(x.shape.slice(1))]);
      return reshape(rebuild([lines], { dim: 1, keepdim: false }), [size, ...node.shape]);
    },
    onnx: (b, [x], { dim, keepdim }, out) => {
      const opType = better === ">" ? "ArgMax" : "ArgMin";
      // Over the flattened tensor: one line, then the result's shape (all ones with keepdim).
      const found =
        dim === null
          ? b.op("Reshape", [b.op(opType, [b.op("Reshape", [x, b.int64s([-1])])], { axis: 0, keepdims: 0 }), b.int64s(out.shape)])
          : b.op(opType, [x], { axis: dim, keepdims: keepdim ? 1 : 0 });
      return b.cast(found, "int32");
    },
  };
}
