import { isFloat } from "../dtype";
import { OpError } from "../errors";
import type { Attrs } from "../ir/attrs";
import { runElementwise } from "../exec/kernels/elementwise";
import { broadcastShapes, formatShape } from "../shape";
import type { OpDef, TensorMeta, Vjp } from "./registry";

/** Builds a unary float op from its scalar formula over `a`. */
export function unaryOp(name: string, expr: string, vjp: Vjp<Attrs> | "nondifferentiable"): OpDef<Attrs> {
  return {
    name,
    arity: 1,
    infer([x]) {
      if (!isFloat(x.dtype)) throw new OpError(name, `expected a float tensor, got ${x.dtype}`);
      return x;
    },
    kernel: ([x], _attrs, out) => runElementwise(expr, [x], out.shape, out.dtype),
    vjp,
    elementwise: { expr },
  };
}

export function checkSameDType(name: string, inputs: readonly TensorMeta[]): void {
  for (const x of inputs) {
    if (x.dtype !== inputs[0].dtype) {
      throw new OpError(
        name,
        `expected tensors of one dtype, got ${inputs.map((t) => `${t.dtype} ${formatShape(t.shape)}`).join(" and ")}`,
      );
    }
  }
}

/** Builds a broadcasting binary op from its scalar formula over `a` and `b`. */
export function binaryOp(name: string, expr: string, vjp: Vjp<Attrs> | "nondifferentiable"): OpDef<Attrs> {
  return {
    name,
    arity: 2,
    infer([a, b]) {
      checkSameDType(name, [a, b]);
      return { shape: broadcastShapes(name, a.shape, b.shape), dtype: a.dtype };
    },
    kernel: (inputs, _attrs, out) => runElementwise(expr, inputs, out.shape, out.dtype),
    vjp,
    elementwise: { expr },
  };
}
