/**
 * Checks of the arguments of public functions, so a wrong call gets an error that names the
 * function, what it expected and what came, never an internal "cannot read properties of ...".
 */
import { OpError } from "../basics/errors";
import { formatShape } from "../basics/shape";
import { Tensor } from "./tensor";

/** A value as an error message shows it: a tensor by dtype and shape, anything else by kind. */
export function describeValue(value: unknown): string {
  if (value instanceof Tensor) return `a ${value.dtype} tensor ${formatShape(value.shape)}`;
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return typeof value === "object" ? "an object" : String(typeof value);
}

export function checkTensor(where: string, what: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw new OpError(where, `${what} must be a Tensor, got ${describeValue(value)}`);
}

export function checkTensorList(where: string, what: string, value: unknown): asserts value is readonly Tensor[] {
  if (!Array.isArray(value)) throw new OpError(where, `${what} must be an array of Tensors, got ${describeValue(value)}`);
  value.forEach((x, i) => checkTensor(where, `${what}[${i}]`, x));
}

export function checkFunction(where: string, what: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") throw new OpError(where, `${what} must be a function, got ${describeValue(value)}`);
}

export function checkNumber(where: string, what: string, value: unknown): asserts value is number {
  if (typeof value !== "number") throw new OpError(where, `${what} must be a number, got ${describeValue(value)}`);
}

/** An options object (or nothing): a plain object whose keys are all among `names`. */
export function checkOptions<T extends object>(where: string, value: T | undefined, names: readonly string[]): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Tensor) {
    throw new OpError(where, `options must be an object, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!names.includes(key)) throw new OpError(where, `unknown option '${key}' (options are ${names.join(", ")})`);
  }
  return value;
}
