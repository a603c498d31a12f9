import { apply } from "../ir/graph";
import type { OnnxBuilder, OnnxTensor, OnnxValue } from "../ir/onnx";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { unaryOp } from "./elementwise";

/** Piecewise constant: the gradient is zero everywhere, as PyTorch's (which is defined, not missing). */
/** ONNX has no Trunc: the sign times the floor of the magnitude. */
export function truncOnnx(b: OnnxBuilder, [x]: readonly OnnxTensor[]): OnnxValue {
  return b.op("Mul", [b.op("Sign", [x]), b.op("Floor", [b.op("Abs", [x])])]);
}

export const truncOp = registerBuiltinOp({
  ...unaryOp("trunc", "Math.trunc(a)", () => [null]),
  onnx: truncOnnx,
});

/** torch.trunc: each element rounded toward zero. */
export function trunc(x: Tensor): Tensor {
  return apply(truncOp, [x]);
}
