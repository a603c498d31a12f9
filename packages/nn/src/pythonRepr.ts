/**
 * Option values spelt as Python prints them, for the `extraRepr()` of the layers: a module prints
 * as PyTorch's `repr(module)` does (`LayerNorm((4,), eps=1e-05, elementwise_affine=True)`).
 * JS has one number type, so each layer says which of its options are Python floats.
 */

/** Python's `repr(float)`: the shortest round-trip digits (as JS's), `1.0` for integers, exponents outside 1e-4 ≤ |x| < 1e16 as `1e-05`. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = x.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) return `${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  const text = String(x); // fixed notation in this range
  return text.includes(".") ? text : `${text}.0`;
}

/** An option PyTorch declares as an int but that may be given a float (Softplus's beta): integers print as ints. */
export function pyNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : pyFloat(x);
}

export function pyBool(value: boolean): string {
  return value ? "True" : "False";
}

/** A Python tuple: `(3,)`, `(2, 3)`; null entries are None. */
export function pyTuple(values: readonly (number | null)[], format: (x: number) => string = String): string {
  const items = values.map((v) => (v === null ? "None" : format(v)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
}

/** PyTorch's int-or-tuple options, printed as given: `2` or `(2, 3)`. */
export function pyIntOrTuple(value: number | null | readonly (number | null)[], format: (x: number) => string = String): string {
  if (value === null) return "None";
  return typeof value === "number" ? format(value) : pyTuple(value, format);
}
