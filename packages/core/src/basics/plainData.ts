/**
 * Reading plain data that comes from outside (a file, an attribute object) without trusting it:
 * only an object's own properties count, so a key such as "constructor" or "__proto__" finds
 * nothing that the object does not itself hold.
 */

export type PlainRecord = Readonly<Record<string, unknown>>;

/** An object literal or JSON object: not null, not an array, not an instance of some class. */
export function isPlainRecord(value: unknown): value is PlainRecord {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function own(record: PlainRecord, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
