import { isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { broadcastShapes, formatShape } from "../basics/shape";
import { type Attrs, noAttributes } from "../ir/attrs";
import type { OpDef, TensorMeta, Vjp } from "../ir/registry";
import { runElementwise } from "../kernels/elementwise";

/** Builds a unary float op from its scalar formula over `a`. */
export function unaryOp(name: string, expr: string, vjp: Vjp<Attrs> | "nondifferentiable"): OpDef<Attrs> {
  return {
    name,
    arity: 1,
    canonicalize: noAttributes(name),
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
    canonicalize: noAttributes(name),
    infer([a, b]) {
      checkSameDType(name, [a, b]);
      return { shape: broadcastShapes(name, a.shape, b.shape), dtype: a.dtype };
    },
    kernel: (inputs, _attrs, out) => runElementwise(expr, inputs, out.shape, out.dtype),
    vjp,
    elementwise: { expr },
  };
}
