import { allocate } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { formatShape, sameShape } from "../basics/shape";
import { numberAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerOp } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { checkSameDType } from "./elementwise";
import { mul } from "./mul";
import { canonicalizeScan, type ScanAttrs, scanOrder } from "./scan";
import { shifted } from "./shift";

type LinearScanAttrs = ScanAttrs & { readonly initial: number };

/**
 * The first-order linear recurrence h_i = a_i · h_(i-1) + b_i along `dim`, from h_(-1) = `initial`
 * (in scan order: from the end when `reverse`). cumprod is a = x, b = 0, initial 1; the running
 * value is a double, stored rounded, as PyTorch's cumprod accumulates. Its gradient is the same
 * recurrence run the other way, so every order of derivative stays exact, zeros included (no
 * division by the input, unlike result / x): λ_i = g_i + a_(i+1) · λ_(i+1), ∂a_i = λ_i · h_(i-1), ∂b_i = λ_i.
 */
export const linearScanOp = registerOp<LinearScanAttrs>({
  name: "linearScan",
  arity: 2,
  canonicalize: (inputs, attrs) => ({
    ...canonicalizeScan("linearScan", ["initial"])(inputs, attrs),
    initial: numberAttr("linearScan", attrs, "initial", 0),
  }),
  infer([a, b]) {
    checkSameDType("linearScan", [a, b]);
    if (!sameShape(a.shape, b.shape)) throw new OpError("linearScan", `a ${formatShape(a.shape)} and b ${formatShape(b.shape)} must have one shape`);
    if (a.dtype === "int32") throw new OpError("linearScan", "expected float tensors, got int32");
    return a;
  },
  kernel([a, b], attrs, out) {
    const result = allocate(out.dtype, a.data.length);
    let h = 0;
    scanOrder(a.shape, attrs, (position, step) => {
      h = a.data[position] * (step === 0 ? attrs.initial : h) + b.data[position];
      result[position] = h;
    });
    return result;
  },
  vjp(g, { inputs: [a], output, attrs, needs }) {
    const { dim, reverse, initial } = attrs;
    const backward = { dim, reverse: !reverse };
    // λ runs against the scan, with each step's coefficient taken from the element after it.
    const lambda = linearScan(shifted(a, backward, 0), g, { ...backward, initial: 0 });
    return [needs[0] ? mul(lambda, shifted(output, attrs, initial)) : null, needs[1] ? lambda : null];
  },
});

/**
 * The recurrence `h[t] = a[t]·h[t-1] + b[t]` along `dim` from `initial` (backwards with `reverse`), in one op
 * with its own gradient.
 */
export function linearScan(a: Tensor, b: Tensor, { dim, reverse = false, initial = 0 }: { dim: number; reverse?: boolean; initial?: number }): Tensor {
  return apply(linearScanOp, [a, b], { dim, reverse, initial });
}
