import { apply } from "../ir/graph";
import { registerBuiltinOp } from "./builtinOp";
import type { Tensor } from "../ir/tensor";
import { abs } from "./abs";
import { add } from "./add";
import { div } from "./div";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";

/** x / (1 + |x|). */
export const softsignOp = registerBuiltinOp({
  ...unaryOp(
    "softsign",
    "a / (1 + Math.abs(a))",
    (g, { inputs: [x] }) => {
      const d = add(abs(x), 1);
      return [div(g, mul(d, d))];
    },
  ),
  onnx: (b, [x]) => b.op("Softsign", [x]),
});

/** torch.nn.functional.softsign: `x / (1 + |x|)`. */
export function softsign(x: Tensor): Tensor {
  return apply(softsignOp, [x]);
}
