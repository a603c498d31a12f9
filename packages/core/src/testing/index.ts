/**
 * `@gradgraph/core/testing`: the kit gradgraph tests itself with, for testing your own ops and models.
 *
 * - Shapes and tensors for property tests (fast-check, an optional peer dependency of core):
 *   `shapeArb`, `broadcastPairArb` / `broadcastShapesArb`, `matmulPairArb`, `tensorArb`.
 * - `checkGrad(fn, inputs)` compares reverse-mode gradients with central finite differences in
 *   float64, with PyTorch gradcheck's defaults (eps 1e-6, atol 1e-5, rtol 1e-3). A non-scalar
 *   output is contracted with a seeded random upstream gradient, so every output element counts.
 *   `checkGradGrad` does the same for the gradient itself (second order). Both throw a
 *   `GradCheckError` naming the input and the elements that differ.
 * - `checkJvp(fn, inputs)` compares forward mode (`func.jvp` along seeded random tangents) with
 *   the central difference along the same tangents; it throws a `JvpCheckError` naming the output
 *   and the elements that differ.
 * - `checkVmap(fn, batchedInputs, { inDims })` compares `func.vmap(fn)` with fn called on each
 *   sample and the results stacked, the loop vmap stands for.
 * - `assertClose(actual, expected, { atol, rtol })` compares tensors, (nested) arrays and numbers
 *   elementwise and reports the shape, the index and both values of a mismatch.
 *
 * ```ts
 * import fc from "fast-check";
 * import { apply, type Tensor } from "@gradgraph/core";
 * import { assertClose, checkGrad, checkGradGrad, shapeArb, tensorArb } from "@gradgraph/core/testing";
 *
 * // softplusOp: your op, registered with registerOp (its VJP written in registered ops).
 * const softplus = (x: Tensor) => apply(softplusOp, [x]);
 * fc.assert(
 *   fc.property(shapeArb({ maxRank: 3 }).chain((shape) => tensorArb(shape, { dtype: "float64", min: -3, max: 3 })), (x) => {
 *     const expected = Array.from(x.data(), (v) => Math.log1p(Math.exp(v)));
 *     assertClose(softplus(x), { shape: x.shape, data: expected }, { atol: 1e-12 });
 *     checkGrad(softplus, [x]); // throws GradCheckError naming the input and element that differ
 *     checkGradGrad(softplus, [x]);
 *   }),
 *   { numRuns: 20 },
 * );
 * ```
 * Float inputs are copied to float64 before differentiating; int32 inputs (indices) pass through
 * unchanged and are not differentiated. `fn` is called with fresh input tensors for every
 * perturbation, so it must build its result from its arguments. Ops with kinks (relu, abs, max)
 * need inputs away from the kinks (`tensorArb`'s `minAbs` helps for kinks at 0).
 *
 * @module @gradgraph/core/testing
 */
import fc from "fast-check";
import {
  evaluate,
  flattenNested,
  func,
  stack,
  formatShape,
  Generator,
  grad,
  sizeOf,
  Tensor,
  tensor,
  type DType,
  type NestedArray,
  type Shape,
  type TypedArray,
} from "@gradgraph/core";

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** The ranks and dim sizes `shapeArb` draws from. */
export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  /** Use 0 to include empty tensors. */
  minDim?: number;
  maxDim?: number;
}

/** Shapes of `minRank` to `maxRank` dims, each of `minDim` to `maxDim`. */
export function shapeArb({ minRank = 0, maxRank = 4, minDim = 1, maxDim = 4 }: ShapeOptions = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/** A trailing part of `full` with some dims replaced by 1: an operand that broadcasts to `full`. */
function broadcastOperandArb(full: readonly number[], minRank: number): fc.Arbitrary<number[]> {
  return fc
    .integer({ min: Math.min(minRank, full.length), max: full.length })
    .chain((rank) => fc.array(fc.boolean(), { minLength: rank, maxLength: rank }))
    .map((ones) => full.slice(full.length - ones.length).map((d, i) => (ones[i] ? 1 : d)));
}

/** `count` shapes that broadcast together (NumPy rules): different ranks and size-1 dims included. */
export function broadcastShapesArb(count: number, options: ShapeOptions = {}): fc.Arbitrary<number[][]> {
  const minRank = options.minRank ?? 0;
  return shapeArb(options).chain((full) => fc.tuple(...Array.from({ length: count }, () => broadcastOperandArb(full, minRank))));
}

/** Two shapes that broadcast together. */
export function broadcastPairArb(options: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return broadcastShapesArb(2, options).map(([a, b]) => [a, b]);
}

/** How large `matmulPairArb`'s operand shapes get. */
export interface MatmulShapeOptions {
  /** Batch dims in front of each matrix; the two batch shapes broadcast against each other. */
  maxBatchRank?: number;
  maxDim?: number;
}

/** Operand shapes torch.matmul accepts: 1-D vectors on either side, matrices, broadcast batches. */
export function matmulPairArb({ maxBatchRank = 2, maxDim = 4 }: MatmulShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  const size = fc.integer({ min: 1, max: maxDim });
  return fc
    .record({
      aIsVector: fc.boolean(),
      bIsVector: fc.boolean(),
      m: size,
      k: size,
      n: size,
      batches: broadcastPairArb({ maxRank: maxBatchRank, maxDim }),
    })
    .map(({ aIsVector, bIsVector, m, k, n, batches: [batchA, batchB] }) => [
      aIsVector ? [k] : [...batchA, m, k],
      bIsVector ? [k] : [...batchB, k, n],
    ]);
}

/** The dtype, value range and leaf options of `tensorArb`'s tensors. */
export interface TensorArbOptions {
  /** float32 by default, as `tensor()`. */
  dtype?: DType;
  min?: number;
  max?: number;
  /** Keeps values at least this far from 0, for ops with a kink or pole there (relu, abs, division). */
  minAbs?: number;
  requiresGrad?: boolean;
}

/** A constant tensor of `shape` with values in [min, max]; counterexamples print as `tensor(...)` calls. */
export function tensorArb(
  shape: Shape,
  { dtype = "float32", min = -1, max = 1, minAbs = 0, requiresGrad = false }: TensorArbOptions = {},
): fc.Arbitrary<Tensor> {
  const element = dtype === "int32" ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true });
  const kept = minAbs > 0 ? element.filter((v) => Math.abs(v) >= minAbs) : element;
  const size = sizeOf(shape);
  return fc.array(kept, { minLength: size, maxLength: size }).map((values) => {
    const t = tensor(values, { shape, dtype, requiresGrad });
    Object.defineProperty(t, fc.toStringMethod, {
      value: () => `tensor(${JSON.stringify(Array.from(t.data()))}, { shape: ${JSON.stringify(shape)}, dtype: "${dtype}" })`,
    });
    return t;
  });
}

// ---------------------------------------------------------------------------------------------
// assertClose

/** Plain data in the fixture layout: row-major `data` of `shape`. */
export interface ShapedData {
  readonly shape: Shape;
  readonly data: ArrayLike<number>;
}

/** What `assertClose` compares: a tensor, a number, a (nested or typed) array, or `{ shape, data }`. */
export type Comparable = Tensor | NestedArray | TypedArray | ShapedData;

/** How close `assertClose` requires values to be: `|actual - expected| <= atol + rtol·|expected|`. */
export interface Tolerance {
  /** Defaults as torch.testing.assert_close: 1e-5 if either side is float32, else 1e-7. */
  atol?: number;
  /** Defaults as torch.testing.assert_close: 1.3e-6 if either side is float32, else 1e-7. */
  rtol?: number;
  /** Counts NaN as equal to NaN (off by default, as in PyTorch). */
  equalNaN?: boolean;
  /** Prefixed to the message, e.g. the name of the value being compared. */
  label?: string;
}

interface Flat extends ShapedData {
  readonly float32: boolean;
}

function toFlat(value: Comparable, side: string): Flat {
  if (value instanceof Tensor) return { shape: value.shape, data: value.data(), float32: value.dtype === "float32" };
  if (typeof value === "number") return { shape: [], data: [value], float32: false };
  if (ArrayBuffer.isView(value)) return { shape: [value.length], data: value, float32: value instanceof Float32Array };
  if (Array.isArray(value)) {
    const { values, shape } = flattenNested(value, `assertClose (${side})`);
    return { shape, data: values, float32: false };
  }
  const shaped = value as ShapedData;
  if (!Array.isArray(shaped?.shape) || shaped.data?.length !== sizeOf(shaped.shape)) {
    throw new TypeError(`assertClose: ${side} must be a Tensor, a number, a (nested or typed) array or {shape, data} with prod(shape) values`);
  }
  return { shape: shaped.shape, data: shaped.data, float32: shaped.data instanceof Float32Array };
}

function formatIndex(flat: number, shape: Shape): string {
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1, rest = flat; d >= 0; d--) {
    coords[d] = rest % shape[d];
    rest = Math.floor(rest / shape[d]);
  }
  return formatShape(coords);
}

function withinTolerance(actual: number, expected: number, atol: number, rtol: number, equalNaN: boolean): boolean {
  if (actual === expected) return true;
  if (Number.isNaN(actual) && Number.isNaN(expected)) return equalNaN;
  // An infinity matches only itself (as torch.allclose): rtol · ∞ would otherwise let anything pass.
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return false;
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

/** Throws unless `|actual - expected| <= atol + rtol * |expected|` everywhere and the shapes agree. */
export function assertClose(actual: Comparable, expected: Comparable, tolerance: Tolerance = {}): void {
  const a = toFlat(actual, "actual");
  const e = toFlat(expected, "expected");
  const float32 = a.float32 || e.float32;
  const { atol = float32 ? 1e-5 : 1e-7, rtol = float32 ? 1.3e-6 : 1e-7, equalNaN = false, label } = tolerance;
  const prefix = label === undefined ? "assertClose" : `assertClose (${label})`;
  if (formatShape(a.shape) !== formatShape(e.shape)) {
    throw assertionError(`${prefix}: shapes differ: actual ${formatShape(a.shape)}, expected ${formatShape(e.shape)}`);
  }
  let mismatches = 0;
  let first = -1;
  let worst = -1;
  let worstDiff = -1;
  for (let i = 0; i < e.data.length; i++) {
    if (withinTolerance(a.data[i], e.data[i], atol, rtol, equalNaN)) continue;
    mismatches++;
    if (first < 0) first = i;
    const diff = Math.abs(a.data[i] - e.data[i]);
    if (!(diff <= worstDiff)) {
      worst = i;
      worstDiff = diff;
    }
  }
  if (mismatches === 0) return;
  const describe = (what: string, i: number) =>
    `  ${what} at ${formatIndex(i, e.shape)}: actual ${a.data[i]}, expected ${e.data[i]} ` +
    `(|diff| ${Math.abs(a.data[i] - e.data[i])}, allowed ${atol + rtol * Math.abs(e.data[i])})`;
  const lines = [
    `${prefix}: ${mismatches} of ${e.data.length} elements differ (shape ${formatShape(e.shape)}, atol ${atol}, rtol ${rtol})`,
    describe("first", first),
  ];
  if (worst !== first) lines.push(describe("largest", worst));
  throw assertionError(lines.join("\n"));
}

function assertionError(message: string): Error {
  const error = new Error(message);
  error.name = "AssertionError";
  return error;
}

// ---------------------------------------------------------------------------------------------
// Gradient checks

/** Options of `checkGrad` and `checkGradGrad`; the defaults are PyTorch gradcheck's. */
export interface GradCheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Indices of the inputs to differentiate; every float input by default. The rest pass through as given. */
  wrt?: readonly number[];
  /** Seed of the random upstream gradients for non-scalar outputs. */
  seed?: number;
}

/** One input's analytic and numeric gradients, as compared. */
export interface InputGradCheck {
  /** Position in `inputs`. */
  readonly input: number;
  readonly name: string | undefined;
  readonly shape: Shape;
  readonly analytic: Float64Array;
  readonly numeric: Float64Array;
  readonly maxAbsDiff: number;
}

/** What a passing gradient check compared, input by input. */
export interface GradCheckReport {
  readonly inputs: readonly InputGradCheck[];
}

/**
 * Thrown by `checkGrad` and `checkGradGrad` when gradients differ; the message names the inputs and elements.
 */
export class GradCheckError extends Error {
  constructor(
    message: string,
    readonly report: GradCheckReport,
  ) {
    super(message);
    this.name = "GradCheckError";
  }
}

/** What the gradient checks differentiate: tensors in, a tensor or a list of tensors out. */
export type DifferentiableFn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

function outputList(result: Tensor | readonly Tensor[]): readonly Tensor[] {
  return result instanceof Tensor ? [result] : result;
}

function resolveWrt(inputs: readonly Tensor[], wrt: readonly number[] | undefined): number[] {
  const indices = wrt ?? inputs.flatMap((x, i) => (x.dtype === "int32" ? [] : [i]));
  for (const i of indices) {
    if (!(inputs[i] instanceof Tensor)) throw new TypeError(`checkGrad: wrt index ${i} is not one of the ${inputs.length} inputs`);
    if (inputs[i].dtype === "int32") throw new TypeError(`checkGrad: input ${i} is int32 and cannot be differentiated`);
  }
  return [...indices];
}

/**
 * The upstream gradient an output is contracted with: 1 for a single element, otherwise uniform
 * in [-1, 1) from `seed`, so no output element is ignored and none is favored.
 */
function upstreamFor(output: Tensor, seed: number): Tensor {
  if (output.dtype === "int32") throw new TypeError(`checkGrad: an output is int32; only float outputs can be differentiated`);
  const values = new Float64Array(output.size).fill(1);
  if (output.size > 1) new Generator(seed).fillUniform(values, -1, 1);
  return tensor(values, { shape: output.shape, dtype: output.dtype });
}

function describeInput(check: Pick<InputGradCheck, "input" | "name" | "shape">): string {
  return `input ${check.input}${check.name === undefined ? "" : ` '${check.name}'`} (float64 ${formatShape(check.shape)})`;
}

/** Runs `fn` on fresh float64 leaves holding `values` in place of the float inputs; int32 inputs pass as given. */
function callOnFloat64(fn: DifferentiableFn, inputs: readonly Tensor[], values: readonly (Float64Array | undefined)[]) {
  const xs = inputs.map((x, i) => {
    const data = values[i];
    return data === undefined ? x : tensor(data, { shape: x.shape, dtype: "float64", name: x.name });
  });
  return { xs, outputs: outputList(fn(...xs)) };
}

function compareWithFiniteDifferences(
  what: string,
  fn: DifferentiableFn,
  inputs: readonly Tensor[],
  options: GradCheckOptions,
): GradCheckReport {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, seed = 0 } = options;
  const wrt = resolveWrt(inputs, options.wrt);
  const values = inputs.map((x) => (x.dtype === "int32" ? undefined : Float64Array.from(x.data())));

  const { xs, outputs } = callOnFloat64(fn, inputs, values);
  const upstreams = outputs.map((output, k) => upstreamFor(output, seed + k));
  const analytic = wrt.map((i) => new Float64Array(inputs[i].size));
  outputs.forEach((output, k) => {
    evaluate(grad(output, wrt.map((i) => xs[i]), upstreams[k])).forEach((g, w) => g.forEach((v, j) => (analytic[w][j] += v)));
  });
  const upstreamValues = upstreams.map((u) => u.data());

  // The same contraction <outputs, upstreams>, computed in plain JS on perturbed inputs.
  const contracted = (): number => {
    const realized = evaluate(callOnFloat64(fn, inputs, values).outputs);
    let total = 0;
    realized.forEach((data, k) => data.forEach((v, j) => (total += v * upstreamValues[k][j])));
    return total;
  };
  const checks = wrt.map((i, w): InputGradCheck => {
    const x = values[i]!;
    const numeric = new Float64Array(x.length);
    for (let j = 0; j < x.length; j++) {
      const original = x[j];
      x[j] = original + eps;
      const plus = contracted();
      x[j] = original - eps;
      const minus = contracted();
      x[j] = original;
      numeric[j] = (plus - minus) / (2 * eps);
    }
    let maxAbsDiff = 0;
    analytic[w].forEach((a, j) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a - numeric[j]))));
    return { input: i, name: inputs[i].name, shape: inputs[i].shape, analytic: analytic[w], numeric, maxAbsDiff };
  });

  const report: GradCheckReport = { inputs: checks };
  const failures = checks.flatMap((check) => {
    const bad = [...check.numeric.keys()].filter((j) => !withinTolerance(check.analytic[j], check.numeric[j], atol, rtol, false));
    if (bad.length === 0) return [];
    const shown = bad.slice(0, 5).map((j) => `    at ${formatIndex(j, check.shape)}: analytic ${check.analytic[j]}, numeric ${check.numeric[j]}`);
    if (bad.length > shown.length) shown.push(`    ... and ${bad.length - shown.length} more`);
    return [`  ${describeInput(check)}: ${bad.length} of ${check.numeric.length} elements differ`, ...shown];
  });
  if (failures.length > 0) {
    throw new GradCheckError(
      `${what} differs from central finite differences (eps ${eps}, atol ${atol}, rtol ${rtol}):\n${failures.join("\n")}`,
      report,
    );
  }
  return report;
}

/**
 * Checks `grad` of `fn` (reverse mode) against central finite differences, in float64. `fn` may
 * return several outputs; each is contracted with its own upstream gradient and the results summed.
 */
export function checkGrad(fn: DifferentiableFn, inputs: readonly Tensor[], options: GradCheckOptions = {}): GradCheckReport {
  return compareWithFiniteDifferences("checkGrad: the gradient", fn, inputs, options);
}

/**
 * Second order: checks the gradient of `inputs -> grad(fn(inputs), inputs, u)` (with a fixed
 * random upstream `u`) against finite differences of that gradient function.
 */
export function checkGradGrad(fn: DifferentiableFn, inputs: readonly Tensor[], options: GradCheckOptions = {}): GradCheckReport {
  const wrt = resolveWrt(inputs, options.wrt);
  const firstOrderSeed = (options.seed ?? 0) + 7919;
  const gradients = (...xs: Tensor[]): Tensor[] =>
    outputList(fn(...xs)).flatMap((output, k) => grad(output, wrt.map((i) => xs[i]), upstreamFor(output, firstOrderSeed + k)));
  return compareWithFiniteDifferences("checkGradGrad: the derivative of the gradient", gradients, inputs, { ...options, wrt });
}

// ---------------------------------------------------------------------------------------------
// Forward mode and vmap

/** Options of `checkJvp`: as `checkGrad`'s, `seed` drawing the tangents. */
export type JvpCheckOptions = GradCheckOptions;

/** One output's tangents, as compared. */
export interface OutputJvpCheck {
  /** Position among fn's outputs. */
  readonly output: number;
  readonly shape: Shape;
  readonly analytic: Float64Array;
  readonly numeric: Float64Array;
  readonly maxAbsDiff: number;
}

/** What a passing forward-mode check compared, output by output. */
export interface JvpCheckReport {
  readonly outputs: readonly OutputJvpCheck[];
}

/** Thrown by `checkJvp` when tangents differ; the message names the outputs and elements. */
export class JvpCheckError extends Error {
  constructor(
    message: string,
    readonly report: JvpCheckReport,
  ) {
    super(message);
    this.name = "JvpCheckError";
  }
}

/**
 * Checks `func.jvp` of `fn` (forward mode) against central finite differences in float64: along
 * seeded random tangents of the `wrt` inputs (every float input by default; the rest held fixed),
 * each output's tangent against (fn(x + eps·t) − fn(x − eps·t)) / 2eps.
 */
export function checkJvp(fn: DifferentiableFn, inputs: readonly Tensor[], options: JvpCheckOptions = {}): JvpCheckReport {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, seed = 0 } = options;
  const wrt = resolveWrt(inputs, options.wrt);
  const values = inputs.map((x) => (x.dtype === "int32" ? undefined : Float64Array.from(x.data())));
  const tangents = wrt.map((i, w) => {
    const t = new Float64Array(inputs[i].size);
    new Generator(seed + w).fillUniform(t, -1, 1);
    return t;
  });
  const { xs } = callOnFloat64(() => [], inputs, values);
  const ofWrt = (...moving: Tensor[]) => fn(...xs.map((x, i) => (wrt.includes(i) ? moving[wrt.indexOf(i)] : x)));
  const { tangents: analyticTangents } = func.jvp(
    ofWrt,
    wrt.map((i) => xs[i]),
    tangents.map((t, w) => tensor(t, { shape: inputs[wrt[w]].shape, dtype: "float64" })),
  );
  const analytic = evaluate(analyticTangents instanceof Tensor ? [analyticTangents] : analyticTangents);
  const along = (sign: number) => {
    const moved = values.map((v, i) => {
      const w = wrt.indexOf(i);
      return v === undefined || w < 0 ? v : v.map((x, j) => x + sign * eps * tangents[w][j]);
    });
    return evaluate(callOnFloat64(fn, inputs, moved).outputs);
  };
  const [plus, minus] = [along(1), along(-1)];
  const shapes = callOnFloat64(fn, inputs, values).outputs.map((y) => y.shape);
  const checks = analytic.map((a, k): OutputJvpCheck => {
    const numeric = new Float64Array(a.length);
    let maxAbsDiff = 0;
    for (let j = 0; j < a.length; j++) {
      numeric[j] = (plus[k][j] - minus[k][j]) / (2 * eps);
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[j] - numeric[j]));
    }
    return { output: k, shape: shapes[k], analytic: Float64Array.from(a), numeric, maxAbsDiff };
  });
  const report: JvpCheckReport = { outputs: checks };
  const failures = checks.flatMap((check) => {
    const bad = [...check.numeric.keys()].filter((j) => !withinTolerance(check.analytic[j], check.numeric[j], atol, rtol, false));
    if (bad.length === 0) return [];
    const shown = bad.slice(0, 5).map((j) => `    at ${formatIndex(j, check.shape)}: forward mode ${check.analytic[j]}, numeric ${check.numeric[j]}`);
    if (bad.length > shown.length) shown.push(`    ... and ${bad.length - shown.length} more`);
    return [`  output ${check.output} (float64 ${formatShape(check.shape)}): ${bad.length} of ${check.numeric.length} elements differ`, ...shown];
  });
  if (failures.length > 0) {
    throw new JvpCheckError(
      `checkJvp: the tangent differs from central finite differences (eps ${eps}, atol ${atol}, rtol ${rtol}):\n${failures.join("\n")}`,
      report,
    );
  }
  return report;
}

/** Options of `checkVmap`. */
export interface VmapCheckOptions {
  /** Each input's batch dim, null for one shared by all samples (as `func.vmap`'s inDims); default 0 for all. */
  inDims?: number | null | readonly (number | null)[];
  /** Tolerance for the batched result against the loop's (a batched kernel may add in another order); exact by default. */
  atol?: number;
  rtol?: number;
}

/**
 * Checks `func.vmap(fn, { inDims })` on `inputs` against the loop it stands for: fn called on
 * each sample (the inputs' slices at their batch dim) and the results stacked along dim 0.
 * Shapes and dtypes must be equal, values within the tolerance (exact by default).
 */
export function checkVmap(fn: DifferentiableFn, inputs: readonly Tensor[], options: VmapCheckOptions = {}): void {
  const { inDims = 0, atol = 0, rtol = 0 } = options;
  const dims = Array.isArray(inDims) ? inDims : inputs.map(() => inDims as number | null);
  const batched = inputs.flatMap((x, i) => (dims[i] === null ? [] : [[x, dims[i] as number] as const]));
  if (batched.length === 0) throw new TypeError("checkVmap: no input is batched");
  const [first, firstDim] = batched[0];
  const size = first.shape[firstDim < 0 ? firstDim + first.shape.length : firstDim];
  const outputs = (result: Tensor | readonly Tensor[]) => (result instanceof Tensor ? [result] : [...result]);
  const mapped = outputs(func.vmap(fn, { inDims: dims })(...inputs));
  const perSample = Array.from({ length: size }, (_, b) => outputs(fn(...inputs.map((x, i) => (dims[i] === null ? x : x.select(dims[i] as number, b))))));
  mapped.forEach((y, k) => {
    const expected = stack(perSample.map((outs) => outs[k]), 0);
    if (y.dtype !== expected.dtype) throw assertionError(`checkVmap: output ${k} is ${y.dtype}, the loop's is ${expected.dtype}`);
    assertClose(y, expected, { atol, rtol, equalNaN: true, label: `checkVmap: output ${k}` });
  });
}
