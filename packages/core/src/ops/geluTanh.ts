import { registerBuiltinOp } from "./builtinOp";
import { add } from "./add";
import { unaryOp } from "./elementwise";
import { mul } from "./mul";
import { sub } from "./sub";
import { tanh } from "./tanh";

const sqrtTwoOverPi = Math.sqrt(2 / Math.PI);
const kappa = 0.044715;

/**
 * PyTorch's `gelu(x, approximate='tanh')`: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), with its
 * gradient written as PyTorch's gelu_backward writes it.
 */
export const geluTanhOp = registerBuiltinOp({
  ...unaryOp(
    "geluTanh",
    `0.5 * a * (1 + Math.tanh(${sqrtTwoOverPi} * (a + ${kappa} * a * a * a)))`,
    (g, { inputs: [x] }) => {
      const x2 = mul(x, x);
      const t = tanh(mul(add(x, mul(mul(x2, x), kappa)), sqrtTwoOverPi));
      const inner = mul(add(mul(x2, 3 * kappa), 1), sqrtTwoOverPi);
      const slope = add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, mul(t, t))), inner));
      return [mul(g, slope)];
    },
  ),
  onnx: (b, [x]) => {
    const cube = b.op("Mul", [b.op("Mul", [x, x]), x]);
    const inner = b.op("Mul", [b.op("Add", [x, b.op("Mul", [cube, b.scalar(kappa, x.dtype)])]), b.scalar(sqrtTwoOverPi, x.dtype)]);
    return b.op("Mul", [b.op("Mul", [x, b.scalar(0.5, x.dtype)]), b.op("Add", [b.op("Tanh", [inner]), b.scalar(1, x.dtype)])]);
  },
});
