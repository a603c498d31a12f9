import { describeValue, OpError } from "../basics/errors";
import { decodeNumber, encodeNumber } from "../basics/jsonNumber";
import { isPlainRecord, own } from "../basics/plainData";
import { normalizeDim } from "../basics/shape";

/** Op attributes are plain JSON data, so a graph can be hashed, compared and saved. */
export type AttrValue = number | string | boolean | null | readonly number[] | readonly string[];
/** An op's attributes: plain JSON data by name. */
export type Attrs = Readonly<Record<string, AttrValue>>;

export const noAttrs: Attrs = Object.freeze({});

/** NaN, ±Infinity and -0 would all stringify as another number (or null): keys keep them apart. */
const keepSpecialNumbers = (_key: string, value: unknown) => (typeof value === "number" ? encodeNumber(value) : value);

/** A stable key: attribute order in the object literal must not change a node's identity. */
export function attrsKey(attrs: Attrs): string {
  const keys = Object.keys(attrs);
  if (keys.length === 0) return "";
  keys.sort();
  let key = "";
  for (const k of keys) {
    const value = attrs[k];
    key += `${k}=${typeof value === "number" ? encodeNumber(value) : JSON.stringify(value, keepSpecialNumbers)};`;
  }
  return key;
}

// -------------------------------------------------------------------------------------------------
// Reading attributes as users (or files) write them. Each op's `canonicalize` is built from these,
// so every op words the same mistake the same way, and nothing is ever read from a prototype.

function isAttrValue(value: unknown): boolean {
  if (value === null || typeof value === "number" || typeof value === "string" || typeof value === "boolean") return true;
  if (!Array.isArray(value)) return false;
  const kind = typeof value[0];
  if (kind !== "number" && kind !== "string") return value.length === 0;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== kind) return false;
  return true;
}

/**
 * Attributes must be what `Attrs` says, plain JSON data (a number, string, boolean, null, or a
 * flat list of numbers or of strings), before any op reads, hashes or saves them: a nested or
 * self-referencing value from a file would otherwise reach code that recurses into it.
 */
export function checkAttrValues(op: string, attrs: unknown): asserts attrs is Attrs {
  if (!isPlainRecord(attrs)) throw new OpError(op, `attributes must be an object, got ${describeValue(attrs)}`);
  for (const key of Object.keys(attrs)) {
    if (key === "__proto__") throw new OpError(op, "an attribute may not be named '__proto__'");
    if (!isAttrValue(attrs[key])) {
      throw new OpError(op, `attribute '${key}' must be a number, string, boolean, null or a flat list of numbers or of strings, got ${describeValue(attrs[key])}`);
    }
  }
}

/** Refuses attributes the op does not know (a typo would otherwise be silently ignored). */
export function checkAttrNames(op: string, attrs: unknown, names: readonly string[]): asserts attrs is Attrs {
  checkAttrValues(op, attrs);
  for (const key of Object.keys(attrs)) {
    if (!names.includes(key)) {
      const known = names.length === 0 ? "it takes no attributes" : `expected ${names.map((n) => `'${n}'`).join(", ")}`;
      throw new OpError(op, `unknown attribute '${key}' (${known})`);
    }
  }
}

/** The `canonicalize` of an op that takes no attributes. */
export function noAttributes(op: string): (inputs: unknown, attrs: Attrs) => Attrs {
  return (_inputs, attrs) => {
    if (attrs !== noAttrs) checkAttrNames(op, attrs, []);
    return noAttrs;
  };
}

export function integerAttr(op: string, attrs: Attrs, key: string, fallback?: number): number {
  const value = own(attrs, key) ?? fallback;
  if (!Number.isSafeInteger(value)) throw new OpError(op, `attribute '${key}' must be an integer, got ${describeValue(value)}`);
  return value as number;
}

/**
 * A number, which may be NaN or ±Infinity: as written, or as JSON files carry those (the strings
 * "NaN", "Infinity", "-Infinity", "-0").
 */
export function numberAttr(op: string, attrs: Attrs, key: string, fallback?: number): number {
  const value = own(attrs, key) ?? fallback;
  const number = typeof value === "number" ? value : decodeNumber(value);
  if (number === undefined) throw new OpError(op, `attribute '${key}' must be a number, got ${describeValue(value)}`);
  return number;
}

export function booleanAttr(op: string, attrs: Attrs, key: string, fallback?: boolean): boolean {
  const value = own(attrs, key) ?? fallback;
  if (typeof value !== "boolean") throw new OpError(op, `attribute '${key}' must be true or false, got ${describeValue(value)}`);
  return value;
}

export function integerListAttr(op: string, attrs: Attrs, key: string): number[] {
  const value = own(attrs, key);
  if (!Array.isArray(value) || !value.every((v) => Number.isSafeInteger(v))) {
    throw new OpError(op, `attribute '${key}' must be a list of integers, got ${describeValue(value)}`);
  }
  return [...(value as number[])];
}

/** A dim of a tensor of `rank`, negative counting from the end, as PyTorch. */
export function dimAttr(op: string, attrs: Attrs, key: string, rank: number): number {
  return normalizeDim(op, integerAttr(op, attrs, key), rank);
}
