import type { OnnxValue } from "../ir/onnx";
import { OpError } from "../basics/errors";
import { formatShape, sizeOf } from "../basics/shape";
import { checkAttrNames, integerAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { type TensorMeta } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { gatherInPlanes } from "../kernels/pool";
import { maxPoolBackward } from "./maxPoolBackward";
import { batchAsPlanes } from "./pooling";

/** x's pooled planes (the last `spatialDims` dims) and the int32 positions into them, planes alike in front. */
export function checkPlanePositions(op: string, x: TensorMeta, positions: TensorMeta, spatialDims: number): void {
  const lead = x.shape.length - spatialDims;
  if (positions.dtype !== "int32") throw new OpError(op, `expected int32 positions, got ${positions.dtype}`);
  if (lead < 0 || positions.shape.length !== x.shape.length || positions.shape.slice(0, lead).some((d, i) => d !== x.shape[i])) {
    throw new OpError(op, `positions ${formatShape(positions.shape)} do not index the last ${spatialDims} dims of ${formatShape(x.shape)} plane by plane`);
  }
}

/**
 * Max pooling's values: x at the positions maxPoolIndices found, plane by plane (the last
 * `spatialDims` dims flattened). Its gradient goes to those positions (maxPoolBackward), added
 * where windows overlap, as PyTorch's max pooling backward.
 */
export const maxPoolValuesOp = registerBuiltinOp<{ readonly spatialDims: number }>({
  name: "maxPoolValues",
  arity: 2,
  canonicalize(_inputs, attrs) {
    checkAttrNames("maxPoolValues", attrs, ["spatialDims"]);
    const spatialDims = integerAttr("maxPoolValues", attrs, "spatialDims");
    if (spatialDims !== 1 && spatialDims !== 2) throw new OpError("maxPoolValues", `spatialDims must be 1 or 2, got ${spatialDims}`);
    return { spatialDims };
  },
  infer([x, indices], { spatialDims }) {
    checkPlanePositions("maxPoolValues", x, indices, spatialDims);
    return { shape: indices.shape, dtype: x.dtype };
  },
  kernel([x, indices], { spatialDims }, out) {
    const planeSize = sizeOf(x.shape.slice(-spatialDims));
    const planes = sizeOf(x.shape.slice(0, -spatialDims));
    const positions = indices.data as Int32Array;
    for (const p of positions) if (p < 0 || p >= planeSize) throw new OpError("maxPoolValues", `position ${p} is outside a plane of ${planeSize} elements`);
    return gatherInPlanes(x.data, positions, planes, planeSize, out.dtype);
  },
  vjp: (g, { inputs: [x, indices], attrs: { spatialDims } }) => [maxPoolBackward(g, indices, x.shape.slice(-spatialDims)), null],
  jvp: "linear",
  batch: batchAsPlanes,
  onnx: (b, [x, indices], { spatialDims }, out) => {
    // Gathered plane by plane: both flattened to (planes..., positions), then the pooled shape.
    const lead = x.shape.slice(0, -spatialDims);
    const flat = (v: OnnxValue, shape: readonly number[]) => b.op("Reshape", [v, b.int64s([...lead, sizeOf(shape.slice(-spatialDims))])], { allowzero: 1 });
    const gathered = b.op("GatherElements", [flat(x, x.shape), flat(indices, indices.shape)], { axis: lead.length });
    return b.op("Reshape", [gathered, b.int64s(out.shape)], { allowzero: 1 });
  },
});

/** The values of `x` at max pooling's `indices` over its last `spatialDims` dims. */
export function maxPoolValues(x: Tensor, indices: Tensor, spatialDims: number): Tensor {
  return apply(maxPoolValuesOp, [x, indices], { spatialDims });
}
