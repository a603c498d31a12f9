/**
 * torch.nn.init, as the `init` namespace of @gradgraph/nn: `init.kaimingUniform(w, { a: Math.sqrt(5) })`
 * is PyTorch's `nn.init.kaiming_uniform_(w, a=math.sqrt(5))`. Each function overwrites a leaf's
 * values in place (its identity, name and requiresGrad stay) and returns it. Options are
 * PyTorch's keyword arguments, camel-cased, plus the `generator` to draw from (the shared
 * default generator, which `manualSeed` seeds, unless given).
 *
 * After `manualSeed(s)`, what the uniform draws give (uniform, xavierUniform, kaimingUniform)
 * equals PyTorch's float32 and float64 values bit for bit, and so do the fills (constant, ones,
 * zeros, eye, dirac). The normal draws (normal, xavierNormal, kaimingNormal, and orthogonal's
 * matrix) consume the generator exactly as PyTorch does but take their values from the core's
 * `Generator.fillNormal`, which is not bitwise PyTorch's: JS's log/sin/cos stand in for glibc's
 * (an ulp here and there), and for float32 tensors of 16 or more elements PyTorch's values
 * depend on the CPU kernel it dispatches to: its portable one is the core's (to an ulp), its
 * AVX2 one uses float polynomials (differences up to about 2e-6 times std). truncNormal
 * matches PyTorch's erfinv to a few float32 ulps, orthogonal its LAPACK QR to about 1e-6 in
 * float32 (see test/nn/init-functions.test.ts for the measured tolerances).
 *
 * @module
 */
import { type Generator, type Tensor, formatShape } from "@gradgraph/core";
import { checkFiniteNumber, checkPositiveInteger, describeValue, readOptions } from "../validation";
import { checkTarget, floatTarget, normalDraws, uniformDraws } from "./draw";
import { erf, erfinv } from "./erf";
import { signedOrthonormalFactor } from "./qr";
import { type FanMode, type Nonlinearity, kaimingStd, xavierStd } from "./scales";

export { calculateGain, type FanMode, type Nonlinearity } from "./scales";

interface Drawn {
  /** The generator to draw from; the shared default generator unless given. */
  generator?: Generator;
}

/** The bounds of `uniform` (PyTorch's `a`, `b`) and the generator to draw from. */
export interface UniformOptions extends Drawn {
  /** The lower bound, 0 by default. */
  a?: number;
  /** The upper bound, 1 by default. */
  b?: number;
}

/** The mean and standard deviation of `normal` and the generator to draw from. */
export interface NormalOptions extends Drawn {
  mean?: number;
  std?: number;
}

/** The gain of the Xavier and orthogonal initializations and the generator to draw from. */
export interface GainOptions extends Drawn {
  /** The scaling factor, 1 by default; see `calculateGain`. */
  gain?: number;
}

/**
 * The negative slope, fan mode and nonlinearity of the Kaiming initializations (PyTorch's `a`, `mode`,
 * `nonlinearity`).
 */
export interface KaimingOptions extends Drawn {
  /** The negative slope of the leaky ReLU after this layer (used with nonlinearity "leakyRelu" only), 0 by default. */
  a?: number;
  /** "fanIn" (the default) keeps the forward pass's variance, "fanOut" the backward pass's. */
  mode?: FanMode;
  /** "leakyRelu" by default, as in PyTorch. */
  nonlinearity?: Nonlinearity;
}

/** The mean, standard deviation and cut-off bounds of `truncNormal`. */
export interface TruncNormalOptions extends Drawn {
  mean?: number;
  std?: number;
  /** The lower cutoff, -2 by default. */
  a?: number;
  /** The upper cutoff, 2 by default. */
  b?: number;
}

/** Options of `dirac`. */
export interface DiracOptions {
  /** The convolution's groups, 1 by default: each group of output channels preserves its inputs. */
  groups?: number;
}

const DRAWN = ["generator"] as const;

/** `torch.nn.init.uniform_(tensor, a=0, b=1)`: U(a, b). */
export function uniform(tensor: Tensor, options?: UniformOptions): Tensor {
  const owner = "init.uniform";
  const dtype = floatTarget(owner, tensor);
  const { a = 0, b = 1, generator } = readOptions(owner, options, ["a", "b", ...DRAWN]);
  checkFiniteNumber(owner, "a", a);
  checkFiniteNumber(owner, "b", b);
  return tensor.assign(uniformDraws(owner, dtype, tensor.size, a, b, generator));
}

/** `torch.nn.init.normal_(tensor, mean=0, std=1)`: N(mean, std²). */
export function normal(tensor: Tensor, options?: NormalOptions): Tensor {
  const owner = "init.normal";
  const dtype = floatTarget(owner, tensor);
  const { mean = 0, std = 1, generator } = readOptions(owner, options, ["mean", "std", ...DRAWN]);
  checkFiniteNumber(owner, "mean", mean);
  checkFiniteNumber(owner, "std", std);
  return tensor.assign(normalDraws(owner, dtype, tensor.size, mean, std, generator));
}

/** `torch.nn.init.constant_(tensor, val)`: every element `value` (converted to the tensor's dtype). */
export function constant(tensor: Tensor, value: number): Tensor {
  checkTarget("init.constant", tensor);
  if (typeof value !== "number") throw new TypeError(`init.constant: value must be a number, got ${describeValue(value)}`);
  return tensor.assign(new Float64Array(tensor.size).fill(value));
}

/** `torch.nn.init.ones_(tensor)`. */
export function ones(tensor: Tensor): Tensor {
  checkTarget("init.ones", tensor);
  return tensor.assign(new Float64Array(tensor.size).fill(1));
}

/** `torch.nn.init.zeros_(tensor)`. */
export function zeros(tensor: Tensor): Tensor {
  checkTarget("init.zeros", tensor);
  return tensor.assign(new Float64Array(tensor.size));
}

/** `torch.nn.init.eye_(tensor)`: the (rectangular) identity of a 2-D tensor, which a Linear layer passes its inputs through. */
export function eye(tensor: Tensor): Tensor {
  const owner = "init.eye";
  checkTarget(owner, tensor);
  if (tensor.ndim !== 2) throw new Error(`${owner}: Only tensors with 2 dimensions are supported, got shape ${formatShape(tensor.shape)}`);
  const [rows, columns] = tensor.shape;
  const values = new Float64Array(tensor.size);
  for (let i = 0; i < Math.min(rows, columns); i++) values[i * columns + i] = 1;
  return tensor.assign(values);
}

/**
 * `torch.nn.init.dirac_(tensor, groups=1)`: the Dirac delta of a 3-, 4- or 5-D convolution weight
 * (out, in, ...kernel): output channel d of each group takes input channel d at the kernel's
 * centre, so the convolution passes as many channels through as it can.
 */
export function dirac(tensor: Tensor, options?: DiracOptions): Tensor {
  const owner = "init.dirac";
  checkTarget(owner, tensor);
  const { groups = 1 } = readOptions(owner, options, ["groups"]);
  checkPositiveInteger(owner, "groups", groups);
  const shape = tensor.shape;
  if (shape.length < 3 || shape.length > 5) {
    throw new Error(`${owner}: Only tensors with 3, 4, or 5 dimensions are supported, got shape ${formatShape(shape)}`);
  }
  if (shape[0] % groups !== 0) throw new Error(`${owner}: dim 0 must be divisible by groups, got ${shape[0]} and groups = ${groups}`);
  const outPerGroup = shape[0] / groups;
  const kernelSize = shape.slice(2).reduce((a, b) => a * b, 1);
  // The centre's offset inside one kernel, row-major over the kernel dims.
  const centre = shape.slice(2).reduce((offset, size) => offset * size + Math.floor(size / 2), 0);
  const values = new Float64Array(tensor.size);
  for (let g = 0; g < groups; g++) {
    for (let d = 0; d < Math.min(outPerGroup, shape[1]); d++) {
      values[((g * outPerGroup + d) * shape[1] + d) * kernelSize + centre] = 1;
    }
  }
  return tensor.assign(values);
}

/** `torch.nn.init.xavier_uniform_(tensor, gain=1)` (Glorot): U(−bound, bound), bound = gain·sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform(tensor: Tensor, options?: GainOptions): Tensor {
  const owner = "init.xavierUniform";
  const dtype = floatTarget(owner, tensor);
  const { gain = 1, generator } = readOptions(owner, options, ["gain", ...DRAWN]);
  checkFiniteNumber(owner, "gain", gain);
  const bound = Math.sqrt(3.0) * xavierStd(owner, tensor.shape, gain);
  return tensor.assign(uniformDraws(owner, dtype, tensor.size, -bound, bound, generator));
}

/** `torch.nn.init.xavier_normal_(tensor, gain=1)` (Glorot): N(0, std²), std = gain·sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal(tensor: Tensor, options?: GainOptions): Tensor {
  const owner = "init.xavierNormal";
  const dtype = floatTarget(owner, tensor);
  const { gain = 1, generator } = readOptions(owner, options, ["gain", ...DRAWN]);
  checkFiniteNumber(owner, "gain", gain);
  return tensor.assign(normalDraws(owner, dtype, tensor.size, 0, xavierStd(owner, tensor.shape, gain), generator));
}

/** The Kaiming options, read and checked for `owner`. */
function kaimingOptions(owner: string, options: KaimingOptions | undefined) {
  const { a = 0, mode = "fanIn", nonlinearity = "leakyRelu", generator } = readOptions(owner, options, ["a", "mode", "nonlinearity", ...DRAWN]);
  checkFiniteNumber(owner, "a", a);
  return { a, mode, nonlinearity, generator };
}

/**
 * `torch.nn.init.kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu")` (He):
 * U(−bound, bound), bound = gain·sqrt(3 / fan). A tensor with no elements is left alone, as in PyTorch.
 */
export function kaimingUniform(tensor: Tensor, options?: KaimingOptions): Tensor {
  const owner = "init.kaimingUniform";
  const dtype = floatTarget(owner, tensor);
  const { a, mode, nonlinearity, generator } = kaimingOptions(owner, options);
  if (tensor.size === 0) return tensor;
  const bound = Math.sqrt(3.0) * kaimingStd(owner, tensor.shape, a, mode, nonlinearity);
  return tensor.assign(uniformDraws(owner, dtype, tensor.size, -bound, bound, generator));
}

/** `torch.nn.init.kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu")` (He): N(0, std²), std = gain / sqrt(fan). */
export function kaimingNormal(tensor: Tensor, options?: KaimingOptions): Tensor {
  const owner = "init.kaimingNormal";
  const dtype = floatTarget(owner, tensor);
  const { a, mode, nonlinearity, generator } = kaimingOptions(owner, options);
  if (tensor.size === 0) return tensor;
  return tensor.assign(normalDraws(owner, dtype, tensor.size, 0, kaimingStd(owner, tensor.shape, a, mode, nonlinearity), generator));
}

/** The standard normal's CDF, as PyTorch's trunc_normal_ computes it (with Python's math.erf). */
const normalCdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;

/**
 * `torch.nn.init.trunc_normal_(tensor, mean=0, std=1, a=-2, b=2)`: N(mean, std²) restricted to
 * [a, b], by PyTorch's method: uniform draws between the CDF's values at a and b, mapped through
 * the inverse CDF (erfinv), scaled, shifted and clamped, each step rounded to the tensor's dtype
 * as PyTorch's in-place tensor ops round it. Works best when a ≤ mean ≤ b, as PyTorch warns.
 */
export function truncNormal(tensor: Tensor, options?: TruncNormalOptions): Tensor {
  const owner = "init.truncNormal";
  const dtype = floatTarget(owner, tensor);
  const { mean = 0, std = 1, a = -2, b = 2, generator } = readOptions(owner, options, ["mean", "std", "a", "b", ...DRAWN]);
  checkFiniteNumber(owner, "mean", mean);
  checkFiniteNumber(owner, "std", std);
  if (!(std > 0)) throw new RangeError(`${owner}: std must be positive, got ${std}`);
  for (const [name, cutoff] of [["a", a], ["b", b]] as const) {
    if (typeof cutoff !== "number" || Number.isNaN(cutoff)) throw new TypeError(`${owner}: ${name} must be a number, got ${describeValue(cutoff)}`);
  }
  if (!(a <= b)) throw new RangeError(`${owner}: expected a <= b, got a = ${a}, b = ${b}`);
  const low = normalCdf((a - mean) / std);
  const high = normalCdf((b - mean) / std);
  const values = uniformDraws(owner, dtype, tensor.size, 2 * low - 1, 2 * high - 1, generator);
  const round = dtype === "float32" ? Math.fround : (x: number) => x;
  const scale = round(std * Math.SQRT2);
  const shift = round(mean);
  const [min, max] = [round(a), round(b)];
  for (let i = 0; i < values.length; i++) {
    values[i] = Math.min(Math.max(round(round(round(erfinv(values[i])) * scale) + shift), min), max);
  }
  return tensor.assign(values);
}

/**
 * `torch.nn.init.orthogonal_(tensor, gain=1)` (Saxe et al.): a (semi-)orthogonal matrix, the
 * dims after the first flattened: the Q of a QR decomposition of a matrix of N(0, 1) draws (of
 * its transpose when it is wide), made unique by the signs of R's diagonal as PyTorch does, times `gain`.
 */
export function orthogonal(tensor: Tensor, options?: GainOptions): Tensor {
  const owner = "init.orthogonal";
  const dtype = floatTarget(owner, tensor);
  const { gain = 1, generator } = readOptions(owner, options, ["gain", ...DRAWN]);
  checkFiniteNumber(owner, "gain", gain);
  if (tensor.ndim < 2) throw new Error(`${owner}: Only tensors with 2 or more dimensions are supported, got shape ${formatShape(tensor.shape)}`);
  if (tensor.size === 0) return tensor;
  const rows = tensor.shape[0];
  const columns = tensor.size / rows;
  const draws = normalDraws(owner, dtype, tensor.size, 0, 1, generator);
  const wide = rows < columns;
  const q = signedOrthonormalFactor(wide ? transpose(draws, rows, columns) : Float64Array.from(draws), Math.max(rows, columns), Math.min(rows, columns));
  const values = wide ? transpose(q, columns, rows) : q;
  // PyTorch computes Q in the tensor's dtype, copies it in, then multiplies by gain in that dtype.
  const round = dtype === "float32" ? Math.fround : (x: number) => x;
  const scale = round(gain);
  for (let i = 0; i < values.length; i++) values[i] = round(round(values[i]) * scale);
  return tensor.assign(values);
}

/** The transpose of a rows × columns row-major matrix, in float64. */
function transpose(matrix: ArrayLike<number>, rows: number, columns: number): Float64Array {
  const result = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) result[j * rows + i] = matrix[i * columns + j];
  }
  return result;
}
