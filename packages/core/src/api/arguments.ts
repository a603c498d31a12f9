/**
 * Arguments as PyTorch's Python signatures take them, read at the API's door: sizes and dims one by
 * one or as one list (`x.reshape(3, 2)`, `x.reshape([3, 2])`, `zeros(2, 3, { dtype })`), tensor
 * arguments that do or do not take a number, and PyTorch's kind of complaint when one is wrong
 * (`matmul: argument 'other' (position 1) must be a Tensor, got number 2`).
 */
import { OpError } from "../basics/errors";
import type { Shape } from "../basics/shape";
import { describeValue } from "../ir/args";
import { Tensor, type TensorLike } from "../ir/tensor";

function argumentError(where: string, name: string, position: number, expected: string, value: unknown): OpError {
  return new OpError(where, `argument '${name}' (position ${position}) must be ${expected}, got ${describeValue(value)}`);
}

/** A tensor argument that takes no number (PyTorch's `Tensor other` of maximum, atan2, matmul, ...). */
export function checkTensorArgument(where: string, name: string, position: number, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw argumentError(where, name, position, "a Tensor", value);
}

/** A tensor argument that also takes a number (PyTorch's `Scalar other` overloads of add, eq, pow, ...). */
export function checkTensorOrNumberArgument(where: string, name: string, position: number, value: unknown): asserts value is TensorLike {
  if (!(value instanceof Tensor) && typeof value !== "number") throw argumentError(where, name, position, "a Tensor or a number", value);
}

/**
 * Sizes (or dims) given as PyTorch's `*size` takes them: numbers one by one, or one array. `name`
 * is the argument's name in PyTorch's signature (`shape`, `dims`, `repeats`). None at all is the
 * empty list (`x.reshape()` of one element is 0-d, `x.flip()` flips nothing), where PyTorch asks for one.
 */
export function sizesArgument(where: string, name: string, args: readonly unknown[]): number[] {
  const asList = args.length === 1 && Array.isArray(args[0]);
  const sizes: readonly unknown[] = asList ? (args[0] as unknown[]) : args;
  // Numbers that are no sizes (-2, 2.5, NaN) are left to the op's check, which shows the whole shape.
  sizes.forEach((size, i) => {
    if (typeof size === "number") return;
    if (asList) throw new OpError(where, `argument '${name}' must be a list of integers, got ${describeValue(size)} at index ${i}`);
    throw argumentError(where, name, i + 1, args.length === 1 ? "an integer or an array of integers" : "an integer", size);
  });
  return sizes as number[];
}

/** Whether a trailing argument is an options object rather than a size or a shape. */
const isOptions = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Tensor);

/** `zeros(2, 3)`, `zeros([2, 3])`, either with an options object (or undefined) last: the shape and the options. */
export function shapeAndOptions<O extends object>(where: string, args: readonly unknown[]): [Shape, O | undefined] {
  const last = args.at(-1);
  const hasOptions = args.length > 1 && (last === undefined || isOptions(last));
  const sizes = hasOptions ? args.slice(0, -1) : args;
  if (sizes.length > 1 && Array.isArray(sizes[0])) {
    throw new OpError(where, `expected the sizes one by one or as one array (then the options), got an array followed by ${describeValue(sizes[1])}`);
  }
  if (sizes.length === 0) throw new OpError(where, "missing the argument 'size' (give the sizes one by one or as one array)");
  return [sizesArgument(where, "size", sizes), (hasOptions ? last : undefined) as O | undefined];
}

/**
 * Runs `build`, a composite's body, so that an error of an op it is built from names the
 * composite the user called (`std: dimension out of range ...`, not `var: ...`), as PyTorch's do.
 */
export function asCalled<T>(where: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof OpError) || error.op === where) throw error;
    throw new OpError(where, error.detail, { scope: error.scope, cause: error });
  }
}
