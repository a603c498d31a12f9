/** JSON has no NaN, infinities or negative zero; they travel as these strings so numbers round-trip exactly. */
export type JsonNumber = number | "NaN" | "Infinity" | "-Infinity" | "-0";

const specials: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };

export const specialNumberNames = '"NaN", "Infinity", "-Infinity" or "-0"';

export function encodeNumber(v: number): JsonNumber {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (Object.is(v, -0)) return "-0";
  return v;
}

/** The number a JSON value stands for (a finite number or one of the special strings), or undefined. */
export function decodeNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  return typeof v === "string" && Object.hasOwn(specials, v) ? specials[v] : undefined;
}
