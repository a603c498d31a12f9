import { allocate } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { formatShape, sameShape } from "../basics/shape";
import { numberAttr } from "../ir/attrs";
import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { add } from "./add";
import { checkSameDType } from "./elementwise";
import { mul } from "./mul";
import { batchAlongDim, canonicalizeScan, doublingShifts, onnxScan, onnxShifted, type ScanAttrs, scanOrder } from "./scan";
import { shifted } from "./shift";

type LinearScanAttrs = ScanAttrs & { readonly initial: number };

/**
 * The first-order linear recurrence h_i = a_i · h_(i-1) + b_i along `dim`, from h_(-1) = `initial`
 * (in scan order: from the end when `reverse`). cumprod is a = x, b = 0, initial 1; the running
 * value is a double, stored rounded, as PyTorch's cumprod accumulates. Its gradient is the same
 * recurrence run the other way, so every order of derivative stays exact, zeros included (no
 * division by the input, unlike result / x): λ_i = g_i + a_(i+1) · λ_(i+1), ∂a_i = λ_i · h_(i-1), ∂b_i = λ_i.
 */
export const linearScanOp = registerBuiltinOp<LinearScanAttrs>({
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
  // dh_i = a_i · dh_(i-1) + (da_i · h_(i-1) + db_i), from dh_(-1) = 0: the same recurrence on the tangents.
  jvp([da, db], { inputs: [a], output, attrs }) {
    const fromA = da === null ? null : mul(da, shifted(output, attrs, attrs.initial));
    const driving = fromA === null ? db! : db === null ? fromA : add(fromA, db);
    return linearScan(a, driving, { ...attrs, initial: 0 });
  },
  batch: batchAlongDim,
  /**
   * Steps compose as affine maps, (a, b) after (a', b') being (a·a', a·b' + b): associative, so the
   * scan doubles; `initial` enters through the first step's b. Rounded in the dtype at every
   * round, where the kernel carries a double.
   */
  onnx: (b, inputs, attrs) =>
    onnxScan(b, inputs, attrs, ([factors, terms], layout) => {
      const { shape, dim, reverse } = layout;
      const { dtype } = inputs[0];
      const n = shape[dim];
      let scale = factors;
      let total = terms;
      if (attrs.initial !== 0 && n > 0) {
        const isFirst = b.constant(Array.from({ length: n }, (_, i) => (i === (reverse ? n - 1 : 0) ? 1 : 0)), shape.map((d, i) => (i === dim ? n : 1)), "bool");
        total = b.op("Where", [isFirst, b.op("Add", [b.op("Mul", [factors, b.scalar(attrs.initial, dtype)]), terms]), terms]);
      }
      const shifts = doublingShifts(n);
      shifts.forEach((shift, round) => {
        total = b.op("Add", [b.op("Mul", [scale, onnxShifted(b, total, layout, shift, 0, dtype)]), total]);
        if (round < shifts.length - 1) scale = b.op("Mul", [scale, onnxShifted(b, scale, layout, shift, 1, dtype)]);
      });
      return total === terms ? b.op("Identity", [terms]) : total;
    }),
});

/**
 * The recurrence `h[t] = a[t]·h[t-1] + b[t]` along `dim` from `initial` (backwards with `reverse`), in one op
 * with its own gradient.
 */
export function linearScan(a: Tensor, b: Tensor, { dim, reverse = false, initial = 0 }: { dim: number; reverse?: boolean; initial?: number }): Tensor {
  return apply(linearScanOp, [a, b], { dim, reverse, initial });
}
