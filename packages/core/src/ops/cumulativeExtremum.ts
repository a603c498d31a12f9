import { allocate, isFloat } from "../basics/dtype";
import { batchAlongDim, canonicalizeScan, doublingShifts, onnxIndicesAlong, onnxScan, onnxShifted, type ScanAttrs, scanOrder } from "./scan";
import type { BuiltinOpDef } from "./builtinOp";

/**
 * The index of the running maximum (minimum) along `dim`, as int32, for cummax/cummin: a value
 * equal to the running one takes over (the later index wins ties, as PyTorch's kernel compares
 * with >=), and a NaN takes over and stays, each later NaN taking the index again (PyTorch's isnan test comes first). No gradient flows; the values are gathered at these indices.
 */
export function cumulativeExtremumIndices(name: string, better: ">=" | "<="): BuiltinOpDef<ScanAttrs> {
  return {
    name,
    arity: 1,
    canonicalize: canonicalizeScan(name),
    infer: ([x]) => ({ shape: x.shape, dtype: "int32" }),
    kernel([x], attrs) {
      const result = allocate("int32", x.data.length);
      let best = 0;
      let at = 0;
      scanOrder(x.shape, attrs, (position, step, index) => {
        const v = x.data[position];
        if (step === 0 || v !== v || (best === best && (better === ">=" ? v >= best : v <= best))) {
          best = v;
          at = index;
        }
        result[position] = at;
      });
      return result;
    },
    vjp: "nondifferentiable",
    batch: batchAlongDim,
    /**
     * The running best is the maximum in the order "NaN above every number, then the later
     * index": associative, so it doubles. An earlier candidate takes over only when strictly better.
     */
    onnx: (b, [x], attrs) =>
      onnxScan(b, [x], attrs, ([line], layout) => {
        // ONNX compares no bools; int32 has no infinities, so its extremes fill the gaps.
        const dtype = x.dtype === "bool" ? "int32" : x.dtype;
        const worst = isFloat(dtype) ? (better === ">=" ? -Infinity : Infinity) : better === ">=" ? -2147483648 : 2147483647;
        let best = b.cast(line, dtype);
        let at = onnxIndicesAlong(b, layout);
        for (const shift of doublingShifts(layout.shape[layout.dim])) {
          const earlier = onnxShifted(b, best, layout, shift, worst, dtype);
          let wins = b.op(better === ">=" ? "Greater" : "Less", [earlier, best]);
          if (isFloat(dtype)) wins = b.op("Or", [wins, b.op("And", [b.op("IsNaN", [earlier]), b.op("Not", [b.op("IsNaN", [best])])])]);
          at = b.op("Where", [wins, onnxShifted(b, at, layout, shift, 0, "int32"), at]);
          best = b.op("Where", [wins, earlier, best]);
        }
        return at;
      }),
  };
}
