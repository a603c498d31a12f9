import { allocate, assertDType, type DType, dtypeOf, isFloat, type TypedArray } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { fmaDouble, fmaFloat } from "../basics/fma";
import { flattenNested, type NestedArray } from "../basics/nested";
import { defaultGenerator, Generator } from "../basics/random";
import { checkShape, formatShape, type Shape, sizeOf } from "../basics/shape";
import { constantNode, placeholderNode, scalarNode } from "../ir/graph";
import { checkNumber, checkOptions, checkTensor, describeValue } from "../ir/args";
import type { Tensor } from "../ir/tensor";
import { asCalled, shapeAndOptions } from "./arguments";

/**
 * How `tensor()` and the creation functions make a leaf: its shape, dtype, name and whether it requires
 * gradients.
 */
export interface TensorOptions {
  shape?: Shape;
  /** float32 by default, as in PyTorch; a typed array brings its own dtype unless this is given. */
  dtype?: DType;
  requiresGrad?: boolean;
  /** Shown in graph exports and error messages. */
  name?: string;
}

const leafOptions = ["dtype", "requiresGrad", "name"] as const;

/** The options every creation function takes, checked; `extra` names the ones this function adds. */
function readOptions<T extends TensorOptions>(where: string, options: T | undefined, extra: readonly string[] = []): T {
  const checked = checkOptions(where, options, [...leafOptions, ...extra]);
  if (checked.requiresGrad !== undefined && typeof checked.requiresGrad !== "boolean") {
    throw new OpError(where, `requiresGrad must be true or false, got ${describeValue(checked.requiresGrad)}`);
  }
  if (checked.name !== undefined && typeof checked.name !== "string") throw new OpError(where, `name must be a string, got ${describeValue(checked.name)}`);
  return checked;
}

function leaf(data: TypedArray, shape: Shape, dtype: DType, options: TensorOptions): Tensor {
  if (options.requiresGrad && !isFloat(dtype)) throw new OpError("tensor", `only float tensors can require gradients, got ${dtype}`);
  const node = constantNode(data, shape, dtype, options.requiresGrad ?? false);
  node.name = options.name;
  return node;
}

/** A tensor from nested arrays, a flat array with `shape`, a typed array, or a number (0-d). */
export function tensor(values: NestedArray | ArrayLike<number>, tensorOptions?: TensorOptions): Tensor {
  const options = readOptions("tensor", tensorOptions, ["shape"]);
  const typed = ArrayBuffer.isView(values) ? (values as unknown as TypedArray) : undefined;
  const nested = typed === undefined ? flattenNested(values as NestedArray, "tensor") : undefined;
  const dtype = assertDType(options.dtype ?? (typed !== undefined ? dtypeOf(typed) : nested!.booleans ? "bool" : "float32"), "tensor");
  const source: ArrayLike<number> = typed ?? nested!.values;
  const shape = checkShape("tensor", options.shape ?? nested?.shape ?? [source.length]);
  if (sizeOf(shape) !== source.length) {
    throw new OpError("tensor", `shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${source.length}`);
  }
  if (dtype === "int32") {
    for (let i = 0; i < source.length; i++) {
      if (source[i] !== (source[i] | 0)) throw new OpError("tensor", `int32 tensors need 32-bit integers, got ${source[i]}`);
    }
  }
  if (dtype === "bool") {
    for (let i = 0; i < source.length; i++) {
      if (source[i] !== 0 && source[i] !== 1) throw new OpError("tensor", `bool tensors need true/false or 1/0, got ${source[i]}`);
    }
  }
  const data = allocate(dtype, source.length);
  data.set(source);
  return leaf(data, shape, dtype, options);
}

/** torch.full: a new leaf of `shape` filled with `value`. */
export function full(shape: Shape, value: number, options?: Omit<TensorOptions, "shape">): Tensor {
  return filled("full", shape, value, options);
}

/** `value` everywhere in `shape`; `op` is the function called, which errors name. */
function filled(op: string, shape: Shape, value: number, given: Omit<TensorOptions, "shape"> | undefined): Tensor {
  const options = readOptions(op, given);
  checkNumber(op, "the fill value", value);
  const dtype = assertDType(options.dtype ?? "float32", op);
  const data = allocate(dtype, sizeOf(checkShape(op, shape)));
  data.fill(value);
  return leaf(data, shape, dtype, options);
}

/** The arguments of `zeros`, `ones`, `rand` and `randn` as PyTorch's `*size`: the sizes one by one, then the options. */
type SizesThenOptions<O> = [...sizes: number[], options: O | undefined];

/** torch.zeros: a new leaf of `shape` filled with 0. */
export function zeros(shape: Shape, options?: Omit<TensorOptions, "shape">): Tensor;
export function zeros(...sizes: number[]): Tensor;
export function zeros(...sizesThenOptions: SizesThenOptions<Omit<TensorOptions, "shape">>): Tensor;
export function zeros(...args: unknown[]): Tensor {
  const [shape, options] = shapeAndOptions<Omit<TensorOptions, "shape">>("zeros", args);
  return filled("zeros", shape, 0, options);
}

/** torch.ones: a new leaf of `shape` filled with 1. */
export function ones(shape: Shape, options?: Omit<TensorOptions, "shape">): Tensor;
export function ones(...sizes: number[]): Tensor;
export function ones(...sizesThenOptions: SizesThenOptions<Omit<TensorOptions, "shape">>): Tensor;
export function ones(...args: unknown[]): Tensor {
  const [shape, options] = shapeAndOptions<Omit<TensorOptions, "shape">>("ones", args);
  return filled("ones", shape, 1, options);
}

/** A shared immutable 0-d constant. */
export function scalar(value: number, dtype: DType = "float32"): Tensor {
  checkNumber("scalar", "value", value);
  return scalarNode(value, assertDType(dtype, "scalar"));
}

/** torch.eye: an `n` × `m` matrix with ones on its diagonal. */
export function eye(n: number, m = n, eyeOptions?: Omit<TensorOptions, "shape">): Tensor {
  const options = readOptions("eye", eyeOptions);
  for (const [name, value] of [["n", n], ["m", m]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new OpError("eye", `${name} must be greater or equal to 0, got ${String(value)}`);
  }
  const dtype = assertDType(options.dtype ?? "float32", "eye");
  const data = allocate(dtype, sizeOf(checkShape("eye", [n, m])));
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return leaf(data, [n, m], dtype, options);
}

/**
 * PyTorch's CPU kernels (AVX2 build) for arange and linspace fill the output in blocks of two
 * vectors (8 float32 or int32, 4 float64 lanes each): a vector's first element is computed from
 * its index, the others by adding multiples of the step to it; the elements after the last whole
 * block are each computed from their index. Values depend on that split, so it is reproduced:
 * `atIndex(i)` is the value computed from index i, `fromFirst(first, k)` that of lane k of a
 * vector whose first element is `first`.
 */
function fillInVectorBlocks(data: TypedArray, dtype: DType, atIndex: (i: number) => number, fromFirst: (first: number, lane: number) => number): void {
  const lanes = dtype === "float64" ? 4 : 8;
  let i = 0;
  for (; i + 2 * lanes <= data.length; i += 2 * lanes) {
    for (const start of [i, i + lanes]) {
      const first = atIndex(start);
      for (let lane = 0; lane < lanes; lane++) data[start + lane] = fromFirst(first, lane);
    }
  }
  for (; i < data.length; i++) data[i] = atIndex(i);
}

/** How a computed double is stored in `dtype`: rounded to float32, truncated to int32, or as is. */
const storedAs = (dtype: DType): ((v: number) => number) => (dtype === "float32" ? Math.fround : dtype === "int32" ? Math.trunc : (v) => v);

/**
 * arange(end) or arange(start, end, step), like torch.arange but float32 unless a dtype is given
 * (PyTorch's default for integer arguments is int64, which gradgraph does not have). The length
 * is ceil((end - start) / step) in double; values are computed as PyTorch's CPU kernel computes
 * them: for floats `start + i·step` in double with one rounding (a fused multiply-add), stored
 * in the dtype, in PyTorch's vector blocks; for int32 from start and step truncated to integers.
 * Bit-exact with PyTorch run on one thread (with more, PyTorch splits outputs above 32768
 * elements between threads, and the blocks start over in each part).
 */
export function arange(end: number, options?: Omit<TensorOptions, "shape">): Tensor;
export function arange(start: number, end: number, options?: Omit<TensorOptions, "shape">): Tensor;
export function arange(start: number, end?: number, step?: number, options?: Omit<TensorOptions, "shape">): Tensor;
export function arange(start: number, ...rest: (number | Omit<TensorOptions, "shape"> | undefined)[]): Tensor {
  // The options may follow any number of the numbers, as PyTorch's keyword arguments do (arange(8, { dtype })).
  const trailing = rest.at(-1);
  const arangeOptions = typeof trailing === "object" && trailing !== null ? (rest.pop() as Omit<TensorOptions, "shape">) : undefined;
  const [end, step = 1] = rest as (number | undefined)[];
  const options = readOptions("arange", arangeOptions);
  checkNumber("arange", "start", start);
  if (end !== undefined) checkNumber("arange", "end", end);
  checkNumber("arange", "step", step);
  const [from, to] = end === undefined ? [0, start] : [start, end];
  const dtype = assertDType(options.dtype ?? "float32", "arange");
  // PyTorch checks the bounds and step as its accumulate type holds them: int64 for integers.
  const [first, last, delta] = dtype === "int32" ? [Math.trunc(from), Math.trunc(to), Math.trunc(step)] : [from, to, step];
  if (!(delta > 0 || delta < 0)) throw new OpError("arange", "step must be nonzero");
  if (!Number.isFinite(first) || !Number.isFinite(last)) throw new OpError("arange", `unsupported range: ${asPython(from)} -> ${asPython(to)}`);
  if (!((delta > 0 && last >= first) || (delta < 0 && last <= first))) throw new OpError("arange", "upper bound and larger bound inconsistent with step sign");
  const count = Math.max(0, Math.ceil((to - from) / step));
  const data = allocate(dtype, sizeOf(checkShape("arange", [count])));
  if (dtype === "int32") {
    for (let i = 0; i < count; i++) data[i] = first + delta * i;
  } else {
    const store = storedAs(dtype);
    fillInVectorBlocks(data, dtype, (i) => store(fmaDouble(step, i, from)), (value, lane) => store(fmaDouble(lane, step, value)));
  }
  return leaf(data, [count], dtype, options);
}

/** A number as PyTorch's messages print it (inf, nan). */
const asPython = (v: number) => (Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : String(v));

function checkSteps(op: string, steps: number): void {
  if (!Number.isSafeInteger(steps)) throw new OpError(op, `steps must be an integer, got ${describeValue(steps)}`);
  if (steps < 0) throw new OpError(op, "number of steps must be non-negative");
}

/**
 * torch.linspace: `steps` values from `start` to `end`, evenly spaced; both ends are exact. As
 * PyTorch's CPU kernel computes them: the step (end - start) / (steps - 1) in the dtype (double
 * for int32, with start and end truncated), the first half counted up from start and the second
 * down from end (each with one rounding, a fused multiply-add), in PyTorch's vector blocks.
 * Bit-exact with PyTorch run on one thread.
 */
export function linspace(start: number, end: number, steps: number, linspaceOptions?: Omit<TensorOptions, "shape">): Tensor {
  const options = readOptions("linspace", linspaceOptions);
  checkNumber("linspace", "start", start);
  checkNumber("linspace", "end", end);
  checkSteps("linspace", steps);
  const dtype = assertDType(options.dtype ?? "float32", "linspace");
  const data = allocate(dtype, sizeOf(checkShape("linspace", [steps])));
  const store = storedAs(dtype);
  const [from, to] = [store(start), store(end)];
  if (steps === 1) data[0] = from;
  if (steps > 1) {
    const float32 = dtype === "float32";
    const step = float32 ? Math.fround(Math.fround(to - from) / Math.fround(steps - 1)) : (to - from) / (steps - 1);
    const fma = float32 ? (a: number, b: number, c: number) => fmaFloat(a, Math.fround(b), c) : fmaDouble;
    const halfway = Math.floor(steps / 2);
    const atIndex = (i: number) => store(i < halfway ? fma(step, i, from) : fma(-step, steps - i - 1, to));
    fillInVectorBlocks(data, dtype, atIndex, (value, lane) => store(value + (float32 ? Math.fround(lane * step) : lane * step)));
  }
  return leaf(data, [steps], dtype, options);
}

/**
 * torch.logspace: base ** linspace(start, end, steps), with PyTorch's exponents (the step in
 * double from the dtype's start and end, the first half counted up from start and the second
 * down from end, no fused rounding) and the power in double. JS's Math.pow is not glibc's pow:
 * in float64 about one value in ten differs from PyTorch's in the last bit; float32 and int32
 * values (the double rounded or truncated) are PyTorch's.
 */
export function logspace(start: number, end: number, steps: number, base = 10, logspaceOptions?: Omit<TensorOptions, "shape">): Tensor {
  const options = readOptions("logspace", logspaceOptions);
  checkNumber("logspace", "start", start);
  checkNumber("logspace", "end", end);
  checkNumber("logspace", "base", base);
  checkSteps("logspace", steps);
  const dtype = assertDType(options.dtype ?? "float32", "logspace");
  const data = allocate(dtype, sizeOf(checkShape("logspace", [steps])));
  const store = storedAs(dtype);
  if (steps === 1) data[0] = store(base ** start);
  if (steps > 1) {
    const [from, to] = [store(start), store(end)];
    // PyTorch raises an integer dtype's base in float.
    const radix = dtype === "int32" ? Math.fround(base) : base;
    const step = store(to - from) / (steps - 1);
    const halfway = Math.floor(steps / 2);
    for (let i = 0; i < steps; i++) data[i] = store(radix ** (i < halfway ? from + step * i : to - step * (steps - i - 1)));
  }
  return leaf(data, [steps], dtype, options);
}

/** The options of the `...Like` functions: the dtype is the tensor's unless given. */
type LikeOptions = Omit<TensorOptions, "shape">;

function likeShape(op: string, x: Tensor): Shape {
  checkTensor(op, "input", x);
  return x.shape;
}

function likeOptions<T extends LikeOptions>(op: string, x: Tensor, given: T | undefined, extra: readonly string[] = []): T {
  return { ...readOptions(op, given, extra), dtype: given?.dtype ?? x.dtype };
}

/** torch.full_like: `value` everywhere, in the shape (and, unless given, the dtype) of `x`. */
export function fullLike(x: Tensor, value: number, options?: LikeOptions): Tensor {
  return filled("fullLike", likeShape("fullLike", x), value, likeOptions("fullLike", x, options));
}

/** torch.zeros_like: zeros of x's shape (and dtype, unless the options say otherwise). */
export function zerosLike(x: Tensor, options?: LikeOptions): Tensor {
  return filled("zerosLike", likeShape("zerosLike", x), 0, likeOptions("zerosLike", x, options));
}

/** torch.ones_like: ones of x's shape (and dtype, unless the options say otherwise). */
export function onesLike(x: Tensor, options?: LikeOptions): Tensor {
  return filled("onesLike", likeShape("onesLike", x), 1, likeOptions("onesLike", x, options));
}

/**
 * The creation options of the random functions, and the generator to draw from (the default one if left out).
 */
export interface RandomOptions extends Omit<TensorOptions, "shape"> {
  generator?: Generator;
}

/** The options of a random draw, checked, with its dtype (`fallback` unless given) and its generator. */
function drawOptions(op: string, given: RandomOptions | undefined, fallback: DType): RandomOptions & { dtype: DType; generator: Generator } {
  const options = readOptions(op, given, ["generator"]);
  const dtype = assertDType(options.dtype ?? fallback, op);
  const generator = options.generator ?? defaultGenerator;
  if (!(generator instanceof Generator)) throw new OpError(op, `generator must be a Generator, got ${describeValue(generator)}`);
  return { ...options, dtype, generator };
}

/** The options of a draw of floats. */
function randomOptions(op: string, given: RandomOptions | undefined): RandomOptions & { dtype: "float32" | "float64"; generator: Generator } {
  const options = drawOptions(op, given, "float32");
  if (!isFloat(options.dtype)) throw new OpError(op, `expected a float dtype, got ${options.dtype}`);
  return { ...options, dtype: options.dtype };
}

/** Uniform on [0, 1), bit-identical to torch.rand for the same seed (see `manualSeed`). */
export function rand(shape: Shape, options?: RandomOptions): Tensor;
export function rand(...sizes: number[]): Tensor;
export function rand(...sizesThenOptions: SizesThenOptions<RandomOptions>): Tensor;
export function rand(...args: unknown[]): Tensor {
  const [shape, options] = shapeAndOptions<RandomOptions>("rand", args);
  return asCalled("rand", () => uniform(shape, 0, 1, options));
}

/** Values drawn uniformly from [from, to), as PyTorch's `uniform_` draws them after the same seed. */
export function uniform(shape: Shape, from: number, to: number, given?: RandomOptions): Tensor {
  const options = randomOptions("uniform", given);
  checkNumber("uniform", "from", from);
  checkNumber("uniform", "to", to);
  const data = allocate(options.dtype, sizeOf(checkShape("uniform", shape))) as Float32Array | Float64Array;
  try {
    options.generator.fillUniform(data, from, to);
  } catch (error) {
    // The generator's bounds check (from > to, a bound beyond the dtype) speaks as PyTorch's uniform_.
    if (error instanceof RangeError) throw new OpError("uniform", error.message, { cause: error });
    throw error;
  }
  return leaf(data, shape, options.dtype, options);
}

/** Standard normal samples, drawn as torch.randn draws them. */
export function randn(shape: Shape, options?: RandomOptions): Tensor;
export function randn(...sizes: number[]): Tensor;
export function randn(...sizesThenOptions: SizesThenOptions<RandomOptions>): Tensor;
export function randn(...args: unknown[]): Tensor {
  const [shape, given] = shapeAndOptions<RandomOptions>("randn", args);
  const options = randomOptions("randn", given);
  const data = allocate(options.dtype, sizeOf(checkShape("randn", shape))) as Float32Array | Float64Array;
  options.generator.fillNormal(data, 0, 1);
  return leaf(data, shape, options.dtype, options);
}

/** torch.rand_like: rand in the shape (and, unless given, the dtype) of `x`. */
export function randLike(x: Tensor, options?: RandomOptions): Tensor {
  return rand(likeShape("randLike", x), likeOptions("randLike", x, options, ["generator"]));
}

/** torch.randn_like: randn in the shape (and, unless given, the dtype) of `x`. */
export function randnLike(x: Tensor, options?: RandomOptions): Tensor {
  return randn(likeShape("randnLike", x), likeOptions("randnLike", x, options, ["generator"]));
}

const TWO_POW_32 = 2 ** 32;

/**
 * torch.randint: integers drawn uniformly from [low, high) (low 0 when only `high` is given),
 * int32 unless another dtype is given (PyTorch's default is int64). Bit-exact with torch.randint
 * after the same seed: each element is `low + random() % (high - low)`, with one 32-bit draw, or
 * a 64-bit draw for a float dtype's range of 2^32 or more, as PyTorch draws them.
 */
export function randint(high: number, shape: Shape, options?: RandomOptions): Tensor;
export function randint(low: number, high: number, shape: Shape, options?: RandomOptions): Tensor;
export function randint(...args: [number, Shape, RandomOptions?] | [number, number, Shape, RandomOptions?]): Tensor {
  const [low, high, shape, given] = typeof args[1] === "number" ? (args as [number, number, Shape, RandomOptions?]) : [0, ...(args as [number, Shape, RandomOptions?])];
  const options = drawOptions("randint", given, "int32");
  for (const [name, value] of [["low", low], ["high", high]] as const) {
    if (!Number.isSafeInteger(value)) throw new OpError("randint", `${name} must be an integer, got ${describeValue(value)}`);
  }
  if (low >= high) throw new OpError("randint", `random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  if (options.dtype === "int32" && (low < -(2 ** 31) || high > 2 ** 31)) {
    throw new OpError("randint", `[${low}, ${high}) does not fit int32; give a float dtype for a larger range`);
  }
  const data = allocate(options.dtype, sizeOf(checkShape("randint", shape)));
  const range = high - low;
  const { generator } = options;
  const wide = range >= TWO_POW_32 && options.dtype !== "int32";
  for (let i = 0; i < data.length; i++) data[i] = low + (wide ? Number(generator.nextUint64() % BigInt(range)) : generator.nextUint32() % range);
  return leaf(data, shape, options.dtype, options);
}

/**
 * torch.randperm: a random permutation of 0 .. n-1, int32 unless another dtype is given
 * (PyTorch's default is int64). Bit-exact with torch.randperm after the same seed, leaving the
 * generator in the same state: PyTorch's CPU algorithm swaps position i with i + random() % (n - i)
 * for each i < n - 1, one 32-bit draw each.
 */
export function randperm(n: number, given?: RandomOptions): Tensor {
  const options = drawOptions("randperm", given, "int32");
  if (!Number.isSafeInteger(n)) throw new OpError("randperm", `n must be an integer, got ${describeValue(n)}`);
  if (n < 0) throw new OpError("randperm", `Trying to create tensor with negative dimension ${n}: [${n}]`);
  const data = allocate(options.dtype, sizeOf(checkShape("randperm", [n])));
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const j = i + (options.generator.nextUint32() % (n - i));
    [data[i], data[j]] = [data[j], data[i]];
  }
  return leaf(data, [n], options.dtype, options);
}

/** An input without data yet: feed it with `assign()`, or compile a program that takes it. */
export function placeholder(shape: Shape, dtype: DType = "float32", name?: string): Tensor {
  if (name !== undefined && typeof name !== "string") throw new OpError("placeholder", `name must be a string, got ${describeValue(name)}`);
  return placeholderNode(checkShape("placeholder", shape), assertDType(dtype, "placeholder"), name);
}
