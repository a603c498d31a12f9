/**
 * Argument checks shared by nn's public constructors and functions, worded after PyTorch's and
 * naming the caller, so a missing or wrongly typed argument is reported as such rather than as
 * an internal TypeError somewhere below.
 */
import { type FloatDType, Generator, Tensor } from "@gradgraph/core";

/** How a wrong value is named in errors: numbers and flags as themselves, strings quoted, other things by kind. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined || typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value instanceof Tensor) return value.describe();
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return String(value);
  const constructor = (value as object).constructor;
  return constructor === Object || constructor === undefined ? "an object" : `a ${constructor.name}`;
}

/**
 * An options bag: `{}` when omitted, refused when it is not a plain object (a number, null, an
 * array...). With `allowed`, unknown names are refused too: a misspelt or PyTorch-cased option
 * (`batch_first`) would otherwise be ignored without a word.
 */
export function readOptions<T extends object>(owner: string, options: T | undefined, allowed?: readonly (keyof T & string)[]): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options) || options instanceof Tensor) {
    throw new TypeError(`${owner}: options must be an object, got ${describeValue(options)}`);
  }
  const unknown = allowed === undefined ? [] : Object.keys(options).filter((key) => !(allowed as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new TypeError(`${owner}: unknown option(s) ${unknown.map((k) => `'${k}'`).join(", ")} (options are ${allowed!.join(", ")})`);
  }
  return options;
}

export function checkTensor(owner: string, what: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw new TypeError(`${owner}: ${what} must be a Tensor, got ${describeValue(value)}`);
}

export function checkBoolean(owner: string, what: string, value: unknown): asserts value is boolean {
  if (typeof value !== "boolean") throw new TypeError(`${owner}: ${what} must be true or false, got ${describeValue(value)}`);
}

export function checkFloatDType(owner: string, value: unknown): asserts value is FloatDType {
  if (value !== "float32" && value !== "float64") {
    throw new TypeError(`${owner}: dtype must be "float32" or "float64", got ${describeValue(value)}`);
  }
}

export function checkGenerator(owner: string, value: unknown): asserts value is Generator | undefined {
  if (value !== undefined && !(value instanceof Generator)) {
    throw new TypeError(`${owner}: generator must be a Generator, got ${describeValue(value)}`);
  }
}

export function checkFiniteNumber(owner: string, what: string, value: unknown): asserts value is number {
  if (!Number.isFinite(value)) throw new TypeError(`${owner}: ${what} must be a finite number, got ${describeValue(value)}`);
}

export function checkInteger(owner: string, what: string, value: unknown): asserts value is number {
  if (!Number.isInteger(value)) throw new TypeError(`${owner}: ${what} must be an integer, got ${describeValue(value)}`);
}

export function checkPositiveInteger(owner: string, option: string, value: unknown): asserts value is number {
  if (!(Number.isInteger(value) && (value as number) > 0)) {
    throw new RangeError(`${owner}: ${option} must be a positive integer, got ${String(value)}`);
  }
}

export function checkProbability(owner: string, p: unknown): asserts p is number {
  if (!(typeof p === "number" && p >= 0 && p <= 1)) {
    throw new RangeError(`${owner}: dropout probability has to be between 0 and 1, but got ${String(p)}`);
  }
}
