/**
 * Python's `format(x, ".{p}f")` and `format(x, ".{p}e")` for doubles, which tensor printing
 * follows (api/print.ts): the exact binary value, rounded half to even. JS's `toFixed` and
 * `toExponential` round exact ties away from zero (0.125 to two places is "0.13", Python's
 * "0.12"), and `toFixed` switches to exponents from 1e21 on, so the digits are made here.
 */

const bits = new DataView(new ArrayBuffer(8));

/** |x| as mantissa · 2^exponent, exactly (x finite). */
function binary(x: number): { mantissa: bigint; exponent: number } {
  bits.setFloat64(0, x);
  const word = bits.getBigUint64(0);
  const biased = Number((word >> 52n) & 0x7ffn);
  const fraction = word & 0xf_ffff_ffff_ffffn;
  return biased === 0 ? { mantissa: fraction, exponent: -1074 } : { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/** |x| · 10^power rounded half to even, as an integer. */
function roundScaled(x: number, power: number): bigint {
  const { mantissa, exponent } = binary(x);
  let numerator = mantissa << BigInt(Math.max(exponent, 0));
  let denominator = 1n << BigInt(Math.max(-exponent, 0));
  if (power >= 0) numerator *= 10n ** BigInt(power);
  else denominator *= 10n ** BigInt(-power);
  const quotient = numerator / denominator;
  const twiceRemainder = 2n * (numerator - quotient * denominator);
  const roundsUp = twiceRemainder > denominator || (twiceRemainder === denominator && (quotient & 1n) === 1n);
  return roundsUp ? quotient + 1n : quotient;
}

/** Python's spelling of NaN and the infinities; undefined for finite x. */
function nonFinite(x: number): string | undefined {
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  return x === -Infinity ? "-inf" : undefined;
}

/** Python keeps the sign of -0 and of negatives that round to zero ("-0.0000"). */
function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? "-" : "";
}

/** `format(x, ".{precision}f")`. */
export function formatFixed(x: number, precision: number): string {
  const special = nonFinite(x);
  if (special !== undefined) return special;
  const digits = roundScaled(x, precision).toString().padStart(precision + 1, "0");
  const point = digits.length - precision;
  return sign(x) + digits.slice(0, point) + (precision > 0 ? `.${digits.slice(point)}` : "");
}

/** `format(x, ".{precision}e")`: one digit before the point, an exponent of at least two digits. */
export function formatScientific(x: number, precision: number): string {
  const special = nonFinite(x);
  if (special !== undefined) return special;
  let exponent = 0;
  let digits = 0n;
  if (x !== 0) {
    const smallest = 10n ** BigInt(precision);
    exponent = Math.floor(Math.log10(Math.abs(x)));
    // log10 may be off by one near powers of ten, and rounding may carry into a new digit.
    for (;;) {
      digits = roundScaled(x, precision - exponent);
      if (digits >= smallest * 10n) exponent++;
      else if (digits < smallest) exponent--;
      else break;
    }
  }
  const text = digits.toString().padStart(precision + 1, "0");
  const mantissa = precision > 0 ? `${text[0]}.${text.slice(1)}` : text;
  return `${sign(x)}${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
}
