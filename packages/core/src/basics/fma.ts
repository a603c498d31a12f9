/**
 * Fused multiply-add with a single rounding, which JS has no instruction for. PyTorch's CPU
 * kernels built for the AVX2 capability are compiled with FMA and contraction on, so `a * b + c`
 * there is one fma: the generator's distributions (rounding the product first is off by an ulp in
 * about half of the init.json values; fusing matches all of them) and arange/linspace.
 */

const bitsF64 = new Float64Array(1);
const bitsU32 = new Uint32Array(bitsF64.buffer);
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // word order of a double
const HIGH = 1 - LOW;

/**
 * a + b rounded to odd: exact sums are returned as is; inexact ones land on
 * whichever neighbour has an odd last bit. Rounding to odd first and to
 * nearest afterwards is free of double-rounding errors as long as the final
 * format has at least two bits fewer (Boldo & Melquiond).
 */
function addRoundToOdd(a: number, b: number): number {
  const s = a + b;
  const bb = s - a;
  const err = a - (s - bb) + (b - bb); // exact: s + err === a + b
  if (err === 0 || !Number.isFinite(s)) return s;
  bitsF64[0] = s;
  if ((bitsU32[LOW] & 1) === 1) return s;
  // Step one ulp towards the exact value: magnitude up if err has s's sign.
  if (err > 0 === s > 0) {
    bitsU32[LOW] += 1; // low bit was 0, so no carry
  } else if (bitsU32[LOW] === 0) {
    bitsU32[LOW] = 0xffffffff;
    bitsU32[HIGH] -= 1;
  } else {
    bitsU32[LOW] -= 1;
  }
  return bitsF64[0];
}

/** float fma(a, b, c) for float a, b, c: a * b is exact in double (48 bits). */
export function fmaFloat(a: number, b: number, c: number): number {
  return Math.fround(addRoundToOdd(a * b, c));
}

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp split into two 26-bit halves

/** Exact error of the double product a * b (Dekker); valid away from overflow. */
function productError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return al * bl - (p - ah * bh - al * bh - ah * bl);
}

/** double fma(a, b, c), Boldo & Melquiond's emulation with rounding to odd. */
export function fmaDouble(a: number, b: number, c: number): number {
  const p = a * b;
  if (p === 0 || !Number.isFinite(p) || !Number.isFinite(c)) return p + c;
  const pErr = productError(a, b, p);
  const hi = c + p;
  const bb = hi - c;
  const lo = c - (hi - bb) + (p - bb);
  return hi + addRoundToOdd(lo, pErr);
}
