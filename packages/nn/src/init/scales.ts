/**
 * The numbers torch.nn.init scales its draws by: fans, gains, and the standard deviations of the
 * Xavier and Kaiming schemes, each computed in PyTorch's order of operations so that the bounds
 * handed to the generator are the same doubles as PyTorch's.
 */
import { formatShape } from "@gradgraph/core";
import { checkFiniteNumber, describeValue } from "../validation";

/** Which fan a Kaiming initialization keeps the variance of: PyTorch's mode "fan_in" / "fan_out". */
export type FanMode = "fanIn" | "fanOut";

/** The nonlinearities `calculateGain` knows: PyTorch's names (`nn.functional`'s), camel-cased. */
export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "convTranspose1d"
  | "convTranspose2d"
  | "convTranspose3d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leakyRelu"
  | "selu";

const NONLINEARITIES: readonly Nonlinearity[] = [
  "linear",
  "conv1d",
  "conv2d",
  "conv3d",
  "convTranspose1d",
  "convTranspose2d",
  "convTranspose3d",
  "sigmoid",
  "tanh",
  "relu",
  "leakyRelu",
  "selu",
];

/** PyTorch's default negative slope of leaky_relu. */
const LEAKY_RELU_SLOPE = 0.01;

/**
 * `torch.nn.init.calculate_gain(nonlinearity, param)`: the factor that keeps activations' variance
 * through `nonlinearity`. `param` is leakyRelu's negative slope (0.01 when omitted) and is ignored
 * by the others, as in PyTorch.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  return gainFor("init.calculateGain", nonlinearity, param);
}

/** `calculateGain` with its errors named by `owner` (the Kaiming functions, which pass their `a` as the slope). */
function gainFor(owner: string, nonlinearity: Nonlinearity, param: number | undefined): number {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "convTranspose1d":
    case "convTranspose2d":
    case "convTranspose3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5.0 / 3;
    case "relu":
      return Math.sqrt(2.0);
    case "leakyRelu": {
      const slope = param ?? LEAKY_RELU_SLOPE;
      checkFiniteNumber(owner, "param (the negative slope)", slope);
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case "selu":
      return 3.0 / 4;
  }
  const camelCased = typeof nonlinearity === "string" ? (nonlinearity as string).replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : "";
  const hint = (NONLINEARITIES as readonly string[]).includes(camelCased) ? ` (PyTorch's "${nonlinearity}" is spelt "${camelCased}" here)` : "";
  throw new Error(
    `${owner}: Unsupported nonlinearity ${String(nonlinearity)}${hint}; expected one of ${NONLINEARITIES.map((n) => `"${n}"`).join(", ")}`,
  );
}

/** `torch.nn.init._calculate_fan_in_and_fan_out` for `owner`: a weight's fans, its receptive field (dims 2...) folded in. */
function fans(owner: string, shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new Error(`${owner}: Fan in and fan out can not be computed for tensor with fewer than 2 dimensions, got shape ${formatShape(shape)}`);
  }
  const receptiveField = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptiveField, fanOut: shape[0] * receptiveField };
}

/** The fans of a weight of this shape (at least 2 dims): PyTorch's `_calculate_fan_in_and_fan_out`. */
export function fanInAndFanOut(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (!Array.isArray(shape) || !shape.every((size) => Number.isInteger(size) && size >= 0)) {
    throw new TypeError(`fanInAndFanOut: shape must be an array of sizes, got ${describeValue(shape)}`);
  }
  return fans("fanInAndFanOut", shape);
}

/** The Xavier (Glorot) standard deviation, `gain * sqrt(2 / (fanIn + fanOut))`. */
export function xavierStd(owner: string, shape: readonly number[], gain: number): number {
  const { fanIn, fanOut } = fans(owner, shape);
  return gain * Math.sqrt(2.0 / (fanIn + fanOut));
}

/** The Kaiming (He) standard deviation, `gain / sqrt(fan)`, with PyTorch's `_calculate_correct_fan`. */
export function kaimingStd(owner: string, shape: readonly number[], a: number, mode: FanMode, nonlinearity: Nonlinearity): number {
  if (mode !== "fanIn" && mode !== "fanOut") {
    throw new Error(`${owner}: mode must be "fanIn" or "fanOut" (PyTorch's "fan_in" and "fan_out"), got ${describeValue(mode)}`);
  }
  const { fanIn, fanOut } = fans(owner, shape);
  return gainFor(owner, nonlinearity, a) / Math.sqrt(mode === "fanIn" ? fanIn : fanOut);
}
