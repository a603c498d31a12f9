/**
 * Random graphs over the whole op table, for the properties that compare two ways of computing
 * the same graph (the compiler, the program cache) with the interpreter, bit for bit.
 */
import fc from "fast-check";
import { expect } from "vitest";
import {
  type BuiltinOpName,
  cast,
  celu,
  elu,
  gelu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSigmoid,
  mish,
  selu,
  silu,
  softplus,
  softsign,
  concat,
  configureProgramCache,
  type DType,
  exp,
  Generator,
  indexAdd,
  indexSelect,
  adaptiveAvgPool1d, adaptiveAvgPoolBackward, avgPool1d, avgPoolBackward, conv1d, conv2d, convTranspose1d, convWeightBackward, maxPool1d, maxPool2d,
  interpolate, interpolateBackward, maxPoolBackward, maxPoolValues,
  logSumExp,
  matmul,
  amax,
  linearScan,
  maximum,
  mean,
  OpError,
  relu,
  scalar,
  scatterAdd,
  type Shape,
  sigmoid,
  sliceBackward,
  softmax,
  sum,
  tanh,
  type Tensor,
  tensor,
  where,
  diagonalBackward,
  pad,
  padBackward,
  unfoldBackward,
} from "@gradgraph/core";

/** Runs `fn` with the evaluator interpreting every graph (no cached program), as the reference. */
export function interpreted<T>(fn: () => T): T {
  configureProgramCache({ enabled: false });
  try {
    return fn();
  } finally {
    configureProgramCache({ enabled: true });
  }
}

/** Bitwise equality, except that any NaN equals any NaN (payloads are not part of the contract). */
export function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    if (!(Object.is(a, e) || (a !== a && e !== e))) expect.fail(`${label}[${i}]: compiled ${a}, evaluator ${e}`);
  }
}

/** Feed data: uniform in [-2, 2], with some exact zeros (relu, sign and -0 paths) and values that saturate tanh. */
export function feedFor(shape: Shape, dtype: DType, generator: Generator): Float64Array {
  const size = shape.reduce((n, d) => n * d, 1);
  const values = new Float64Array(size);
  generator.fillUniform(values, -2, 2);
  for (let i = 0; i < size; i++) {
    if (values[i] > 1.8) values[i] = 0;
    else if (values[i] < -1.9) values[i] = -12;
  }
  return dtype === "float32" ? Float64Array.from(Float32Array.from(values)) : values;
}

/** One step of a random graph: an op picked by `op`, applied to pool entries picked by `a` and `b`. */
export interface Step {
  op: number;
  a: number;
  b: number;
  k: number;
}

export const stepArb: fc.Arbitrary<Step> = fc.record({
  op: fc.nat(),
  a: fc.nat(),
  b: fc.nat(),
  k: fc.nat(),
});

type Builder = (x: Tensor, y: Tensor, k: number) => Tensor | undefined;

/** An index of `shape` with values below `bound`, picked by `k`. */
const someIndex = (shape: readonly number[], bound: number, k: number) =>
  tensor(Array.from({ length: shape.reduce((n, d) => n * d, 1) }, (_, i) => (i * 7 + k) % bound), { shape, dtype: "int32" });

/** A constant weight of `shape` with values in [-0.75, 0.75] picked by `k`. */
const someWeight = (shape: readonly number[], dtype: DType, k: number) =>
  tensor(Array.from({ length: shape.reduce((n, d) => n * d, 1) }, (_, i) => (((i * 5 + k) % 7) - 3) / 4), { shape, dtype });

/**
 * One builder per built-in op (typed over the op table, so a new op cannot be left out), each
 * returning undefined when the picked operands do not fit; then composites built from several.
 */
const opBuilders: Record<BuiltinOpName, Builder> = {
  add: (x, y) => x.add(y),
  sin: (x) => x.sin(),
  cos: (x) => x.cos(),
  tan: (x) => x.tan(),
  asin: (x) => x.asin(),
  acos: (x) => x.acos(),
  atan: (x) => x.atan(),
  sinh: (x) => x.sinh(),
  cosh: (x) => x.cosh(),
  asinh: (x) => x.asinh(),
  acosh: (x) => x.acosh(),
  atanh: (x) => x.atanh(),
  exp2: (x) => x.exp2(),
  expm1: (x) => x.expm1(),
  log2: (x) => x.log2(),
  log10: (x) => x.log10(),
  log1p: (x) => x.log1p(),
  rsqrt: (x) => x.rsqrt(),
  reciprocal: (x) => x.reciprocal(),
  square: (x) => x.square(),
  erf: (x) => x.erf(),
  erfc: (x) => x.erfc(),
  floor: (x) => x.floor(),
  ceil: (x) => x.ceil(),
  trunc: (x) => x.trunc(),
  round: (x) => x.round(),
  frac: (x) => x.frac(),
  isnan: (x) => x.log().isnan().add(x),
  isinf: (x) => x.reciprocal().isinf().mul(x),
  isfinite: (x, y) => where(x.div(y).isfinite(), x, y),
  nanToNum: (x, _y, k) => x.log().nanToNum(k % 3, 5, k % 2 === 0 ? undefined : -7),
  clamp: (x, y, k) => (k % 3 === 0 ? x.clamp(-0.5, 1) : k % 3 === 1 ? x.clamp(undefined, 0.25) : x.clamp(y, undefined)),
  hardtanh: (x, _y, k) => hardtanh(x, -1 + (k % 2), 1.5),
  leakyRelu: (x, _y, k) => leakyRelu(x, k % 2 === 0 ? 0.01 : -0.3),
  elu: (x, _y, k) => elu(x, 1 + (k % 3)),
  celu: (x, _y, k) => celu(x, 0.5 + (k % 3)),
  selu: (x) => selu(x),
  softplus: (x, _y, k) => softplus(x, 1 + (k % 2), k % 2 === 0 ? 20 : 1),
  gelu: (x) => gelu(x),
  geluTanh: (x) => gelu(x, "tanh"),
  silu: (x) => silu(x),
  mish: (x) => mish(x),
  hardsigmoid: (x) => hardsigmoid(x.mul(2)),
  hardswish: (x) => hardswish(x.mul(2)),
  logSigmoid: (x) => logSigmoid(x),
  softsign: (x) => softsign(x),
  atan2: (x, y) => x.atan2(y),
  hypot: (x, y) => x.hypot(y),
  copysign: (x, y) => x.copysign(y),
  fmod: (x, y) => x.fmod(y.mul(1.5)),
  logAddExp: (x, y) => x.logAddExp(y),
  lerp: (x, y, k) => x.lerp(y, k % 2 === 0 ? 0.25 : x.sigmoid()),
  sub: (x, y) => x.sub(y),
  mul: (x, y) => x.mul(y),
  div: (x, y) => x.div(y.abs().add(0.5)),
  // Divisors of both signs, and the feeds' exact zeros (±Infinity and NaN for floats).
  floorDivide: (x, y) => x.floorDivide(y),
  remainder: (x, y) => x.remainder(y.mul(1.5)),
  pow: (x, y) => x.abs().add(0.5).pow(y),
  maximum: (x, y) => maximum(x, y),
  minimum: (x, y) => x.minimum(y),
  eq: (x, y) => x.eq(y).add(x),
  logicalAnd: (x, y) => where(x.logicalAnd(y.sub(0.5)), x, y),
  logicalOr: (x, y) => x.logicalOr(y).mul(y),
  logicalXor: (x, y) => where(x.gt(0).logicalXor(y.gt(0)), x.mul(2), y),
  logicalNot: (x) => x.logicalNot().sub(x),
  any: (x, _y, k) => (x.ndim === 0 ? x.any().mul(x) : x.gt(0.5).any(k % x.ndim, true).mul(x)),
  all: (x, _y, k) => (x.ndim === 0 ? x.all().mul(x) : x.all(k % x.ndim, true).mul(x)),
  ne: (x, y) => x.ne(y).mul(x),
  lt: (x, y) => where(x.lt(y), x, y),
  le: (x, y) => x.le(y.mul(0.5)).sub(y),
  gt: (x, y) => where(x.gt(y), x, y.mul(-0.5)),
  ge: (x, y) => x.ge(0).mul(y),
  where: (x, y) => where(x.sub(y), y, x.mul(2)),
  neg: (x) => relu(x).neg(),
  exp: (x) => exp(x.mul(0.5)),
  log: (x) => x.abs().add(0.25).log(),
  tanh: (x) => tanh(x),
  sigmoid: (x) => sigmoid(x),
  relu: (x) => relu(x),
  abs: (x) => x.abs(),
  sign: (x) => x.sign().mul(x),
  sqrt: (x) => x.abs().sqrt(),
  sum: (x, _y, k) => sum(x, x.ndim === 0 ? undefined : k % x.ndim, k % 2 === 0),
  max: (x, _y, k) => (x.ndim === 0 ? x : amax(x, k % x.ndim, k % 3 === 0)),
  min: (x, _y, k) => (x.ndim === 0 ? x : x.amin(k % x.ndim, k % 3 === 0)),
  prod: (x, _y, k) => (x.ndim === 0 ? x.prod() : x.mul(0.5).prod(k % x.ndim, k % 2 === 0)),
  argmax: (x, _y, k) => (x.ndim === 0 ? undefined : x.gather(k % x.ndim, x.argmax(k % x.ndim, true))),
  argmin: (x, _y, k) => (x.ndim === 0 ? x.argmin().cast(x.dtype).add(x) : x.gather(k % x.ndim, x.argmin(k % x.ndim, true))),
  cumsum: (x, _y, k) => x.cumsum(x.ndim === 0 ? 0 : k % x.ndim),
  linearScan: (x, y, k) => (x.ndim === 0 || x.shape.join() !== y.shape.join() ? undefined : linearScan(x.tanh(), y, { dim: k % x.ndim, reverse: k % 2 === 0, initial: 1 })),
  argsort: (x, _y, k) => (x.ndim === 0 ? undefined : x.sort(k % x.ndim, k % 2 === 0).values),
  cummaxIndices: (x, _y, k) => (x.ndim === 0 ? undefined : x.cummax(k % x.ndim).values),
  cumminIndices: (x, _y, k) => (x.ndim === 0 ? undefined : x.cummin(k % x.ndim).values.mul(x)),
  matmul: (x, y) => (x.ndim < 1 || y.ndim < 1 ? undefined : matmul(x, y)),
  reshape: (x) => x.reshape(-1),
  transpose: (x) => (x.ndim < 2 ? undefined : x.transpose(0, x.ndim - 1)),
  permute: (x) => (x.ndim < 3 ? undefined : x.permute(2, 0, 1)),
  expand: (x) => x.unsqueeze(0).expand(2, ...x.shape),
  slice: (x, _y, k) => (x.ndim === 0 || x.shape[0] < 2 ? undefined : x.slice(0, k % 2, undefined, 1 + (k % 2))),
  sliceBackward: (x, _y, k) => (x.ndim === 0 ? undefined : sliceBackward(x, 0, k % 2, 1 + (k % 2), (1 + (k % 2)) * x.shape[0] + 1)),
  concat: (x, y, k) => (x.ndim === 0 ? undefined : concat([x, y], k % x.ndim)),
  detach: (x) => x.detach().mul(2),
  cast: (x) => cast(tanh(cast(x, x.dtype === "float32" ? "float64" : "float32")), x.dtype),
  indexSelect: (x) => (x.ndim === 0 ? undefined : indexSelect(x, 0, tensor([x.shape[0] - 1, 0], { dtype: "int32" }))),
  indexAdd: (x, y, k) => (x.ndim === 0 ? undefined : indexAdd(x, 0, someIndex([2], x.shape[0], k), indexSelect(x.mul(y), 0, someIndex([2], x.shape[0], k + 1)))),
  gather: (x, _y, k) => (x.ndim === 0 ? undefined : x.gather(x.ndim - 1, someIndex(x.shape, x.shape[x.ndim - 1], k))),
  scatterAdd: (x, y, k) => (x.ndim === 0 ? undefined : scatterAdd(x, 0, someIndex(x.shape, x.shape[0], k), x.mul(y))),
  // Negative indices on dim 0; on 3-D x a second index past a whole dim (the broadcast dims then come first).
  advancedIndex: (x, _y, k) => {
    if (x.ndim === 0) return undefined;
    const first = someIndex([2, 1], x.shape[0], k).sub(x.shape[0]);
    return x.ndim < 3 ? x.index([first]) : x.index([first, null, someIndex([3], x.shape[2], k + 1)]);
  },
  indexPut: (x, y, k) => {
    if (x.ndim === 0) return undefined;
    const index = someIndex([3], x.shape[0], k);
    return x.indexPut([index], x.index([index]).mul(y), k % 2 === 0);
  },
  scatter: (x, y, k) => (x.ndim === 0 ? undefined : x.scatter(x.ndim - 1, someIndex(x.shape, x.shape[x.ndim - 1], k), x.mul(y))),
  scatterReduce: (x, y, k) =>
    x.ndim === 0
      ? undefined
      : x.scatterReduce(0, someIndex(x.shape, x.shape[0], k), x.mul(y), (["sum", "prod", "mean", "amax", "amin"] as const)[k % 5], { includeSelf: k % 2 === 0 }),
  flip: (x, _y, k) => (x.ndim === 0 ? undefined : x.flip(k % x.ndim).mul(2)),
  roll: (x, _y, k) => (x.ndim === 0 ? undefined : x.roll(1 + (k % 3), k % x.ndim)),
  tril: (x, _y, k) => (x.ndim < 2 ? undefined : x.tril((k % 3) - 1)),
  triu: (x, _y, k) => (x.ndim < 2 ? undefined : x.triu((k % 3) - 1)),
  diagonal: (x, _y, k) => (x.ndim < 2 ? undefined : x.diagonal((k % 3) - 1, 0, x.ndim - 1)),
  diagonalBackward: (x, _y, k) => (x.ndim === 0 ? undefined : diagonalBackward(x, k % 2, 0, 1, x.shape[x.ndim - 1], x.shape[x.ndim - 1] + (k % 2))),
  // Pads that do not fit the picked operand throw an OpError, and the step is skipped.
  pad: (x, _y, k) => (x.ndim === 0 ? undefined : pad(x, [1, k % 2], (["constant", "reflect", "replicate", "circular"] as const)[k % 4], k % 4 === 0 ? 0.5 : 0)),
  padBackward: (x, _y, k) => (x.ndim === 0 ? undefined : padBackward(x, [1, 1], (["reflect", "replicate", "circular"] as const)[k % 3])),
  unfold: (x, _y, k) => (x.ndim === 0 ? undefined : x.unfold(x.ndim - 1, Math.min(2, x.shape[x.ndim - 1]), 1 + (k % 2))),
  unfoldBackward: (x, _y, k) =>
    x.ndim < 2 ? undefined : unfoldBackward(x, 0, x.shape[x.ndim - 1], 1 + (k % 2), (x.shape[0] - 1) * (1 + (k % 2)) + x.shape[x.ndim - 1]),
  // Convolutions and poolings of (N, C, L) or unbatched (C, H, W) operands; kernels that do not fit throw an OpError and the step is skipped.
  conv: (x, _y, k) =>
    x.ndim !== 3 ? undefined
    : k % 2 === 0 ? conv1d(x, someWeight([2, x.shape[1], 2], x.dtype, k), undefined, { padding: k % 3, stride: k % 4 === 0 ? 2 : 1 })
    : conv2d(x, someWeight([2, x.shape[0], 2, 2], x.dtype, k), someWeight([2], x.dtype, k + 1), { padding: "same" }),
  convTranspose: (x, _y, k) => (x.ndim !== 3 ? undefined : convTranspose1d(x, someWeight([x.shape[1], 2, 2], x.dtype, k), undefined, { stride: 1 + (k % 2), padding: k % 2 })),
  convWeightBackward: (x, _y, k) => (x.ndim !== 3 ? undefined : convWeightBackward(x, x.tanh(), { kernelSize: [1 + (k % 2)], padding: k % 2 })),
  maxPoolIndices: (x, _y, k) => (x.ndim < 2 ? undefined : x.ndim === 3 && k % 3 === 0 ? maxPool2d(x, 2, { ceilMode: true }) : maxPool1d(x, 2, { stride: 1 + (k % 2), padding: k % 2 })),
  avgPool: (x, _y, k) => (x.ndim < 2 ? undefined : avgPool1d(x, 2, { padding: k % 2, ceilMode: k % 3 === 0, countIncludePad: k % 2 === 0 })),
  avgPoolBackward: (x, _y, k) => (x.ndim < 2 ? undefined : avgPoolBackward(x, { kernelSize: [2], inputSize: [2 * x.shape[x.ndim - 1] + (k % 2)] })),
  adaptiveAvgPool: (x, _y, k) => (x.ndim < 2 ? undefined : adaptiveAvgPool1d(x, 1 + (k % 3))),
  adaptiveAvgPoolBackward: (x, _y, k) => (x.ndim < 2 ? undefined : adaptiveAvgPoolBackward(x, { inputSize: [x.shape[x.ndim - 1] + (k % 3)] })),
  maxPoolValues: (x, _y, k) => (x.ndim < 2 ? undefined : maxPoolValues(x, someIndex([...x.shape.slice(0, -1), 2], x.shape[x.ndim - 1], k), 1)),
  maxPoolBackward: (x, _y, k) => (x.ndim < 2 ? undefined : maxPoolBackward(x, someIndex(x.shape, x.shape[x.ndim - 1] + 1, k), [x.shape[x.ndim - 1] + 1])),
  interpolate: (x, _y, k) => (x.ndim !== 3 ? undefined : interpolate(x, k % 2 === 0 ? { size: 2 * x.shape[2] + 1, mode: "linear" } : { scaleFactor: 1.5 })),
  interpolateBackward: (x, _y, k) => (x.ndim !== 3 ? undefined : interpolateBackward(x, { mode: "linear", outputSize: [x.shape[2]], inputSize: [x.shape[2] + 1 + (k % 3)] })),
};

const compositeBuilders: Builder[] = [
  (x) => x.mul(x).sub(1.5),
  (x, _y, k) => (x.ndim < 2 ? sum(x) : sum(x, [0, x.ndim - 1], k % 2 === 1)),
  (x, _y, k) => (x.ndim === 0 ? mean(x) : mean(x, (k + 1) % x.ndim)),
  (x, _y, k) => (x.ndim === 0 ? x : softmax(x, k % x.ndim)),
  (x, _y, k) => (x.ndim === 0 ? x : logSumExp(x, k % x.ndim)),
  (x) => (x.ndim < 2 ? undefined : matmul(x, x.transpose(-1, -2))),
  (x) => (x.ndim < 2 ? undefined : matmul(x.transpose(-1, -2), x)),
  (x, _y, k) => (x.ndim === 0 ? undefined : x.select(x.ndim - 1, k % x.shape[x.ndim - 1])),
  (x) => x.add(scalar(2, x.dtype).mul(3)),
  // A constant mask (read when built) on a fed x; a mask computed from fed values goes through where.
  (x, _y, k) => x.maskedSelect(someIndex(x.shape, 2, k)),
  (x, y, k) => x.maskedFill(x.gt(y), k % 3),
  (x, _y, k) => (x.ndim === 0 ? undefined : x.takeAlongDim(someIndex([...x.shape.slice(0, -1), 2], x.shape[x.ndim - 1], k), -1)),
];

const builders: Builder[] = [...Object.values(opBuilders), ...compositeBuilders];

/** Interprets `steps` over a pool that starts with the inputs; steps whose operands do not fit are skipped. */
export function buildRandomGraph(inputs: readonly Tensor[], steps: readonly Step[]): Tensor[] {
  const pool: Tensor[] = [...inputs];
  for (const step of steps) {
    const x = pool[step.a % pool.length];
    const y = pool[step.b % pool.length];
    try {
      const built = builders[step.op % builders.length](x, y, step.k);
      if (built !== undefined && built.size <= 4096) pool.push(built);
    } catch (error) {
      if (!(error instanceof OpError)) throw error;
    }
  }
  return pool;
}

export const graphArb = fc.record({
  dtype: fc.constantFrom<DType>("float32", "float32", "float64"),
  shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  lowerRank: fc.nat({ max: 2 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 14 }),
  outputs: fc.integer({ min: 1, max: 3 }),
  seed: fc.nat(),
});

