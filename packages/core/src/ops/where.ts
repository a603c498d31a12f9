import { unbroadcast } from "./unbroadcast";
import { OpError } from "../basics/errors";
import { noAttributes } from "../ir/attrs";
import { apply } from "../ir/graph";
import { broadcastShapes } from "../basics/shape";
import { Tensor, type TensorLike } from "../ir/tensor";
import { checkSameDType } from "./elementwise";
import { asTensor, sameDTypeOperands } from "./operands";
import { registerBuiltinOp } from "./builtinOp";
import { elementwiseKernel } from "./ruleKernels";

const rule = { expr: "a !== 0 ? b : c" };

/** where(cond, x, y): x where cond is nonzero, else y; all three broadcast together. */
export const whereOp = registerBuiltinOp({
  name: "where",
  arity: 3,
  canonicalize: noAttributes("where"),
  infer([cond, x, y]) {
    checkSameDType("where", [x, y]);
    const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, x.shape), y.shape);
    return { shape, dtype: x.dtype };
  },
  kernel: elementwiseKernel(rule),
  vjp: (g, { inputs: [cond, x, y], needs }) => [
    null,
    needs[1] ? unbroadcast(where(cond, g, 0), x.shape) : null,
    needs[2] ? unbroadcast(where(cond, 0, g), y.shape) : null,
  ],
  elementwise: rule,
  onnx: (b, [cond, x, y]) => b.op("Where", [b.cast(cond, "bool"), x, y]),
});

/** torch.where: `x` where `cond` is nonzero, else `y`, all three broadcast together. */
export function where(cond: Tensor, x: TensorLike, y: TensorLike): Tensor {
  if (!(cond instanceof Tensor)) throw new OpError("where", "condition must be a Tensor");
  const [tx, ty] = sameDTypeOperands("where", x, y);
  return apply(whereOp, [cond, asTensor("where", tx, tx.dtype), ty]);
}
