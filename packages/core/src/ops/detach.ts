import { noAttributes } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { viewKernel } from "./ruleKernels";

const view = <W>(input: W) => input;

/** The identity, with no gradient: the value is used as a constant (e.g. the max shift in softmax). */
export const detachOp = registerBuiltinOp({
  name: "detach",
  arity: 1,
  canonicalize: noAttributes("detach"),
  infer: ([x]) => x,
  kernel: viewKernel(view),
  vjp: "nondifferentiable",
  batch: ({ inputs: [x], node, rebuild }) => rebuild([x], node.attrs),
  view,
  onnx: (b, [x]) => b.op("Identity", [x]),
});

/** torch.detach: the same values, cut off from the graph (no gradient flows through). */
export function detach(x: Tensor): Tensor {
  return apply(detachOp, [x]);
}
