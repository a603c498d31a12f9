/**
 * Kernels derived from an op's compiled meaning, so an op that declares an elementwise formula, a
 * view, placement or reduction rule states its arithmetic once: the evaluator runs these, the
 * compiler reads the rule.
 */
import { allocate, type TypedArray } from "../basics/dtype";
import { paramValues } from "../basics/formula";
import { sizeOf } from "../basics/shape";
import { coversWhole, denseWindow } from "../basics/window";
import type { Attrs } from "../ir/attrs";
import { type ElementwiseRule, formulaFor, type PlacementRule, type ReductionRule, type TensorMeta, type Value, type ViewRule } from "../ir/registry";
import { runElementwise } from "../kernels/elementwise";
import { reduce } from "../kernels/reduce";
import { copyWindow, readWindow } from "../kernels/strided";

type Kernel<A extends Attrs> = (inputs: readonly Value[], attrs: A, out: TensorMeta) => TypedArray;

/** The formula for the result's dtype over the broadcast inputs. */
export function elementwiseKernel<A extends Attrs>(rule: ElementwiseRule): Kernel<A> {
  return (inputs, attrs, out) => {
    const formula = formulaFor(rule, out.dtype);
    return runElementwise(formula, inputs, out.shape, out.dtype, paramValues(formula, attrs));
  };
}

/** Reads the view's window of the (dense) input; a window that is the whole input in order is the input itself. */
export function viewKernel<A extends Attrs>(rule: ViewRule<A>): Kernel<A> {
  return ([x], attrs, out) => {
    const window = rule(denseWindow(x.shape), attrs, out)!;
    return coversWhole(window, x.data.length) ? x.data : readWindow(x.data, window, out.dtype);
  };
}

/** Zeros with each input copied into its window. */
export function placementKernel<A extends Attrs>(rule: PlacementRule<A>): Kernel<A> {
  return (inputs, attrs, out) => {
    const result = allocate(out.dtype, sizeOf(out.shape));
    const { windows } = rule(inputs, attrs, out);
    inputs.forEach((x, i) => copyWindow(x.data, denseWindow(x.shape), result, windows[i]));
    return result;
  };
}

/** The kernel a reduction rule implies: the fold over the rule's dims from its identity. */
export function reductionKernel<A extends Attrs>(rule: ReductionRule<A>): Kernel<A> {
  return ([x], attrs, out) => reduce(rule, x.data, x.shape, rule.dims(attrs), out.dtype);
}
