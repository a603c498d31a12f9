import { allocate } from "../basics/dtype";
import type { OpDef } from "../ir/registry";
import { canonicalizeScan, type ScanAttrs, scanOrder } from "./scan";

/**
 * The index of the running maximum (minimum) along `dim`, as int32, for cummax/cummin: a value
 * equal to the running one takes over (the later index wins ties, as PyTorch's kernel compares
 * with >=), and a NaN takes over and stays, each later NaN taking the index again (PyTorch's isnan test comes first). No gradient flows; the values are gathered at these indices.
 */
export function cumulativeExtremumIndices(name: string, better: ">=" | "<="): OpDef<ScanAttrs> {
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
  };
}
