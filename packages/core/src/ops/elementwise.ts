import { isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { broadcastShapes, formatShape } from "../basics/shape";
import { type Attrs, noAttributes } from "../ir/attrs";
import type { ElementwiseRule, OpDef, TensorMeta, Vjp } from "../ir/registry";
import { elementwiseKernel } from "./ruleKernels";

const asRule = (formula: string | ElementwiseRule): ElementwiseRule => (typeof formula === "string" ? { expr: formula } : formula);

/** Builds a unary float op from its scalar formula over `a`. */
export function unaryOp(name: string, formula: string | ElementwiseRule, vjp: Vjp<Attrs> | "nondifferentiable"): OpDef<Attrs> {
  const rule = asRule(formula);
  return {
    name,
    arity: 1,
    canonicalize: noAttributes(name),
    infer([x]) {
      if (!isFloat(x.dtype)) throw new OpError(name, `expected a float tensor, got ${x.dtype}`);
      return x;
    },
    kernel: elementwiseKernel(rule),
    vjp,
    elementwise: rule,
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

/** Builds a broadcasting binary op from its scalar formula over `a` and `b` (per result dtype where it differs). */
export function binaryOp(name: string, formula: string | ElementwiseRule, vjp: Vjp<Attrs> | "nondifferentiable"): OpDef<Attrs> {
  const rule = asRule(formula);
  return {
    name,
    arity: 2,
    canonicalize: noAttributes(name),
    infer([a, b]) {
      checkSameDType(name, [a, b]);
      return { shape: broadcastShapes(name, a.shape, b.shape), dtype: a.dtype };
    },
    kernel: elementwiseKernel(rule),
    vjp,
    elementwise: rule,
  };
}
