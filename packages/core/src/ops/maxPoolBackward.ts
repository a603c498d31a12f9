import { OpError } from "../basics/errors";
import { sizeOf } from "../basics/shape";
import { checkAttrNames } from "../ir/attrs";
import type { OnnxValue } from "../ir/onnx";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { scatterAddInPlanes } from "../kernels/pool";
import { batchAsPlanes, pooledSizeList } from "./pooling";
import { checkPlanePositions, maxPoolValues } from "./maxPoolValues";

/**
 * maxPoolValues' gradient: each element of `g` added, in order, to the position `indices` gives for it
 * in a zero input whose pooled dims are `inputSize`. Its own gradient picks the same positions.
 */
export const maxPoolBackwardOp = registerBuiltinOp<{ readonly inputSize: readonly number[] }>({
  name: "maxPoolBackward",
  arity: 2,
  canonicalize(_inputs, attrs) {
    checkAttrNames("maxPoolBackward", attrs, ["inputSize"]);
    return { inputSize: pooledSizeList("maxPoolBackward", attrs, "inputSize", 1) };
  },
  infer([g, indices], { inputSize }) {
    const shape = [...g.shape.slice(0, g.shape.length - inputSize.length), ...inputSize];
    checkPlanePositions("maxPoolBackward", { shape, dtype: g.dtype }, indices, inputSize.length);
    if (indices.shape.some((d, i) => d !== g.shape[i])) throw new OpError("maxPoolBackward", "the gradient and the indices must have one shape");
    return { shape, dtype: g.dtype };
  },
  kernel([g, indices], { inputSize }, out) {
    const planeSize = sizeOf(inputSize);
    const planes = sizeOf(out.shape.slice(0, -inputSize.length));
    const positions = indices.data as Int32Array;
    for (const p of positions) if (p < 0 || p >= planeSize) throw new OpError("maxPoolBackward", `position ${p} is outside a plane of ${planeSize} elements`);
    return scatterAddInPlanes(g.data, positions, planes, planeSize, out.dtype);
  },
  vjp: (gg, { inputs: [, indices], attrs: { inputSize } }) => [maxPoolValues(gg, indices, inputSize.length), null],
  jvp: "linear",
  batch: batchAsPlanes,
  // Added plane by plane into zeros: g and the positions flattened to (planes..., positions), as maxPoolValues gathers.
  onnx: (b, [g, indices], { inputSize }, out) => {
    const lead = g.shape.slice(0, -inputSize.length);
    const flat = (v: OnnxValue) => b.op("Reshape", [v, b.int64s([...lead, sizeOf(g.shape.slice(-inputSize.length))])], { allowzero: 1 });
    const zeros = b.op("Expand", [b.scalar(0, g.dtype), b.int64s([...lead, sizeOf(inputSize)])]);
    const sums = b.op("ScatterElements", [zeros, flat(indices), flat(g)], { axis: lead.length, reduction: "add" });
    return b.op("Reshape", [sums, b.int64s(out.shape)], { allowzero: 1 });
  },
});

/** The maxPoolBackward node: `g` sent to the positions `indices` gives, in an input of the pooled dims `inputSize`. */
export function maxPoolBackward(g: Tensor, indices: Tensor, inputSize: readonly number[]): Tensor {
  return apply(maxPoolBackwardOp, [g, indices], { inputSize });
}
