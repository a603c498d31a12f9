import { allocate, assertDType, type DType, dtypeOf, type TypedArray } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { flattenNested, type NestedArray } from "../basics/nested";
import { defaultGenerator, Generator } from "../basics/random";
import { checkShape, formatShape, type Shape, sizeOf } from "../basics/shape";
import { constantNode, placeholderNode, scalarNode } from "../ir/graph";
import { checkNumber, checkOptions, describeValue } from "../ir/args";
import type { Tensor } from "../ir/tensor";

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
  if (options.requiresGrad && dtype === "int32") throw new OpError("tensor", "only float tensors can require gradients, got int32");
  const node = constantNode(data, shape, dtype, options.requiresGrad ?? false);
  node.name = options.name;
  return node;
}

/** A tensor from nested arrays, a flat array with `shape`, a typed array, or a number (0-d). */
export function tensor(values: NestedArray | ArrayLike<number>, tensorOptions?: TensorOptions): Tensor {
  const options = readOptions("tensor", tensorOptions, ["shape"]);
  const typed = ArrayBuffer.isView(values) ? (values as unknown as TypedArray) : undefined;
  const dtype = assertDType(options.dtype ?? (typed !== undefined ? dtypeOf(typed) : "float32"), "tensor");
  const nested = typed === undefined ? flattenNested(values as NestedArray, "tensor") : undefined;
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
  const data = allocate(dtype, source.length);
  data.set(source);
  return leaf(data, shape, dtype, options);
}

export function full(shape: Shape, value: number, fullOptions?: Omit<TensorOptions, "shape">): Tensor {
  const options = readOptions("full", fullOptions);
  checkNumber("full", "the fill value", value);
  const dtype = assertDType(options.dtype ?? "float32", "full");
  const data = allocate(dtype, sizeOf(checkShape("full", shape)));
  data.fill(value);
  return leaf(data, shape, dtype, options);
}

export const zeros = (shape: Shape, options: Omit<TensorOptions, "shape"> = {}): Tensor => full(shape, 0, options);
export const ones = (shape: Shape, options: Omit<TensorOptions, "shape"> = {}): Tensor => full(shape, 1, options);

/** A shared immutable 0-d constant. */
export function scalar(value: number, dtype: DType = "float32"): Tensor {
  checkNumber("scalar", "value", value);
  return scalarNode(value, assertDType(dtype, "scalar"));
}

/** arange(end) or arange(start, end, step), like torch.arange (float32 unless a dtype is given). */
export function arange(start: number, end?: number, step = 1, arangeOptions?: Omit<TensorOptions, "shape">): Tensor {
  const options = readOptions("arange", arangeOptions);
  const [from, to] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step) || !Number.isFinite(from) || !Number.isFinite(to)) {
    throw new OpError("arange", `start, end and step must be finite and step nonzero, got ${from}, ${to}, ${step}`);
  }
  const count = Math.max(0, Math.ceil((to - from) / step));
  const dtype = assertDType(options.dtype ?? "float32", "arange");
  const data = allocate(dtype, sizeOf(checkShape("arange", [count])));
  for (let i = 0; i < count; i++) data[i] = from + i * step;
  return leaf(data, [count], dtype, options);
}

export interface RandomOptions extends Omit<TensorOptions, "shape"> {
  generator?: Generator;
}

/** The options of a random draw, checked, with its float dtype and its generator. */
function randomOptions(op: string, given: RandomOptions | undefined): RandomOptions & { dtype: "float32" | "float64"; generator: Generator } {
  const options = readOptions(op, given, ["generator"]);
  const dtype = assertDType(options.dtype ?? "float32", op);
  if (dtype === "int32") throw new OpError(op, "expected a float dtype, got int32");
  const generator = options.generator ?? defaultGenerator;
  if (!(generator instanceof Generator)) throw new OpError(op, `generator must be a Generator, got ${describeValue(generator)}`);
  return { ...options, dtype, generator };
}

/** Uniform on [0, 1), bit-identical to torch.rand for the same seed (see `manualSeed`). */
export function rand(shape: Shape, options?: RandomOptions): Tensor {
  return uniform(shape, 0, 1, options);
}

export function uniform(shape: Shape, from: number, to: number, given?: RandomOptions): Tensor {
  const options = randomOptions("uniform", given);
  checkNumber("uniform", "from", from);
  checkNumber("uniform", "to", to);
  const data = allocate(options.dtype, sizeOf(checkShape("uniform", shape))) as Float32Array | Float64Array;
  options.generator.fillUniform(data, from, to);
  return leaf(data, shape, options.dtype, options);
}

/** Standard normal samples, drawn as torch.randn draws them. */
export function randn(shape: Shape, given?: RandomOptions): Tensor {
  const options = randomOptions("randn", given);
  const data = allocate(options.dtype, sizeOf(checkShape("randn", shape))) as Float32Array | Float64Array;
  options.generator.fillNormal(data, 0, 1);
  return leaf(data, shape, options.dtype, options);
}

/** An input without data yet: feed it with `assign()`, or compile a program that takes it. */
export function placeholder(shape: Shape, dtype: DType = "float32", name?: string): Tensor {
  if (name !== undefined && typeof name !== "string") throw new OpError("placeholder", `name must be a string, got ${describeValue(name)}`);
  return placeholderNode(checkShape("placeholder", shape), assertDType(dtype, "placeholder"), name);
}
