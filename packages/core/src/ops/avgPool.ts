import { type Attrs, checkAttrNames } from "../ir/attrs";
import { apply } from "../ir/graph";
import type { OnnxBuilder, OnnxDType, OnnxTensor, OnnxValue } from "../ir/onnx";
import { type TensorMeta } from "../ir/registry";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { windowAverage } from "../kernels/pool";
import { avgPoolBackward } from "./avgPoolBackward";
import { averageAttrs, averageWindows, batchedOnnx, batchIntoN, endPadsOnnx, type AvgPoolAttrs, checkPoolInput, planesOf, pooledSizes, windowAttrs } from "./pooling";

export const avgPoolAttrNames = ["kernelSize", "stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"];

/** kernelSize, stride, padding, ceilMode, countIncludePad and divisorOverride as PyTorch checks them. */
export const readAvgPoolAttrs = (op: string, attrs: Parameters<typeof windowAttrs>[1]): AvgPoolAttrs => ({ ...windowAttrs(op, attrs), ...averageAttrs(op, attrs) });

/** PyTorch's divisor of each window along one dim: its length within the padded input, or within the input alone. */
function windowDivisors(size: number, count: number, kernel: number, stride: number, padding: number, countIncludePad: boolean): number[] {
  return Array.from({ length: count }, (_, o) => {
    const start = o * stride - padding;
    const end = Math.min(start + kernel, size + padding);
    return countIncludePad ? end - start : Math.min(end, size) - Math.max(start, 0);
  });
}

/** In ONNX, PyTorch's divisor of each output position: a constant of the pooled shape, or divisorOverride. */
export function divisorsOnnx(b: OnnxBuilder, input: readonly number[], output: readonly number[], attrs: AvgPoolAttrs, dtype: OnnxDType): OnnxValue {
  const { kernelSize, stride, padding, countIncludePad, divisorOverride } = attrs;
  if (divisorOverride !== null) return b.scalar(divisorOverride, dtype);
  const perDim = input.map((size, d) => windowDivisors(size, output[d], kernelSize[d], stride[d], padding[d], countIncludePad));
  const divisors = perDim.length === 1 ? perDim[0] : perDim[0].flatMap((rows) => perDim[1].map((cols) => rows * cols));
  return b.constant(divisors, output, dtype);
}

/**
 * In ONNX, each window's sum (an AveragePool of full windows, padding and ceil mode's overhang
 * made zeros, times the window's size) divided by PyTorch's divisors, a constant of the pooled shape.
 */
function avgPoolOnnx(b: OnnxBuilder, [x]: readonly OnnxTensor[], attrs: AvgPoolAttrs, out: TensorMeta): OnnxValue {
  const { kernelSize, stride, padding } = attrs;
  const spatial = kernelSize.length;
  const input = x.shape.slice(-spatial);
  const output = out.shape.slice(-spatial);
  // Zeros written out (ONNX's pads must be smaller than the kernel; ceil mode's overhang need not be).
  const after = endPadsOnnx(input, output, kernelSize, stride, padding);
  const lead = x.shape.slice(0, -spatial).map(() => 0);
  const zeros = b.op("Pad", [x, b.int64s([...lead, ...padding, ...lead, ...after])]);
  const windowSize = kernelSize.reduce((n, k) => n * k, 1);
  const sums = batchedOnnx(b, zeros, x.shape.length, spatial, (batched) =>
    b.op("Mul", [b.op("AveragePool", [batched], { kernel_shape: kernelSize, strides: stride }), b.scalar(windowSize, x.dtype)]),
  );
  return b.op("Div", [sums, divisorsOnnx(b, input, output, attrs, x.dtype)]);
}

/**
 * Average pooling (avg_pool1d/2d): each window's sum over the input positions it covers, divided
 * by divisorOverride, or by the window's size including the padding it covers (countIncludePad)
 * or not. Linear: its gradient spreads each output gradient over its window (avgPoolBackward).
 */
export const avgPoolOp = registerBuiltinOp<AvgPoolAttrs>({
  name: "avgPool",
  arity: 1,
  canonicalize(_inputs, attrs) {
    checkAttrNames("avgPool", attrs, avgPoolAttrNames);
    return readAvgPoolAttrs("avgPool", attrs);
  },
  infer([x], attrs) {
    const spatial = attrs.kernelSize.length;
    checkPoolInput("avgPool", x, spatial);
    return { shape: [...x.shape.slice(0, -spatial), ...pooledSizes("avgPool", x, attrs, attrs.kernelSize.map(() => 1))], dtype: x.dtype };
  },
  kernel([x], attrs, out) {
    const spatial = attrs.kernelSize.length;
    const { axes, divisors } = averageWindows(x.shape.slice(-spatial), attrs, out.shape.slice(-spatial));
    return windowAverage(x.data, planesOf(x.shape, spatial), axes, divisors, out.dtype);
  },
  vjp: (g, { inputs: [x], attrs }) => [avgPoolBackward(g, { ...attrs, inputSize: x.shape.slice(-attrs.kernelSize.length) })],
  jvp: "linear",
  batch: (ctx) => batchIntoN(ctx, ctx.node.attrs.kernelSize.length),
  onnx: avgPoolOnnx,
});

/** The avgPool node of `x` (attributes in any form `avgPoolOp` reads). */
export function avgPool(x: Tensor, attrs: Attrs): Tensor {
  return apply(avgPoolOp, [x], attrs);
}
