import { dtypes, isFloat } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { broadcastShapes, formatShape } from "../basics/shape";
import { type Attrs, checkAttrNames, noAttributes, numberAttr } from "../ir/attrs";
import type { ElementwiseRule, OpDef, TensorMeta, Vjp } from "../ir/registry";
import { elementwiseKernel } from "./ruleKernels";

/** An op built from its formula: elementwise, so its forward-mode and batching rules are derived. */
type ElementwiseOpDef<A extends Attrs> = OpDef<A> & { readonly elementwise: ElementwiseRule };

const asRule = (formula: string | ElementwiseRule): ElementwiseRule => (typeof formula === "string" ? { expr: formula } : formula);

/** The rule and each of its per-dtype formulas read `params`. */
function withParams(rule: ElementwiseRule, params: readonly string[]): ElementwiseRule {
  const variants = dtypes.flatMap((dtype) => (rule[dtype] === undefined ? [] : [[dtype, { ...rule[dtype], params }]]));
  return { ...rule, params, ...Object.fromEntries(variants) };
}

/** Number attributes by name, with their defaults (PyTorch's): the formula reads them as params. */
type NumberAttrs = Readonly<Record<string, number>>;

function numberAttrsCanonicalizer(name: string, defaults: NumberAttrs): OpDef["canonicalize"] {
  const names = Object.keys(defaults);
  if (names.length === 0) return noAttributes(name);
  return (_inputs, attrs) => {
    checkAttrNames(name, attrs, names);
    return Object.fromEntries(names.map((key) => [key, numberAttr(name, attrs, key, defaults[key])]));
  };
}

/**
 * Builds a unary float op from its scalar formula over `a`; `numberAttrs` names the number
 * attributes (with defaults) that the formula reads (`a > 0 ? a : a * negativeSlope`).
 */
export function unaryOp<A extends Attrs = Attrs>(
  name: string,
  formula: string | ElementwiseRule,
  vjp: Vjp<A> | "nondifferentiable",
  numberAttrs: NumberAttrs = {},
): ElementwiseOpDef<A> {
  const names = Object.keys(numberAttrs);
  const rule = names.length === 0 ? asRule(formula) : withParams(asRule(formula), names);
  return {
    name,
    arity: 1,
    canonicalize: numberAttrsCanonicalizer(name, numberAttrs) as OpDef<A>["canonicalize"],
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
export function binaryOp(name: string, formula: string | ElementwiseRule, vjp: Vjp<Attrs> | "nondifferentiable"): ElementwiseOpDef<Attrs> {
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

/** A binary op of float tensors only; its function brings int32 operands to float32 (`floatOperands`), as PyTorch promotes them. */
export function floatBinaryOp(name: string, formula: string | ElementwiseRule, vjp: Vjp<Attrs> | "nondifferentiable"): ElementwiseOpDef<Attrs> {
  const def = binaryOp(name, formula, vjp);
  return {
    ...def,
    infer(inputs, attrs) {
      if (!isFloat(inputs[0].dtype)) {
        throw new OpError(name, `expected float tensors, got ${inputs.map((t) => `${t.dtype} ${formatShape(t.shape)}`).join(" and ")}`);
      }
      return def.infer(inputs, attrs);
    },
  };
}

/** The op with a bool result (comparisons, isnan, logical ops): its shape rule's shape, its dtype bool. */
export function withBoolResult<D extends OpDef<any>>(def: D): D {
  return { ...def, infer: (inputs, attrs) => ({ ...def.infer(inputs, attrs), dtype: "bool" }) };
}
