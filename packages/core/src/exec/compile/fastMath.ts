/**
 * Faster float32 tanh, sigmoid and exp for generated loops, bit-identical to the ops' formulas.
 *
 * V8's Math.tanh and Math.exp are C calls with data-dependent branches (~17 ns per element on
 * random data, the largest cost of an RNN's forward pass). Here e^y is computed inline as
 * 2^(k/8)·e^r with |r| ≤ ln2/16 and a degree-7 series (relative error below 1e-13), then the
 * formula is finished in double precision. Rounding to float32 is accepted only when the whole
 * interval v·(1 ± 1e-12), which contains the reference formula's double result, rounds to one
 * float32; otherwise (once in tens of thousands of elements, and always for NaN) the loop evaluates the
 * op's own formula. So the result is Math.fround(formula(a)) exactly, for every float32 `a`:
 * bench/verify-fast-math.ts checks this for all 2^32 inputs. (With V8's current Math.tanh and
 * Math.exp the fast value alone already rounds correctly for every input; the interval makes that
 * hold by construction, whatever those functions' last-bit behavior.)
 */

const tableOffset = 1024;

/** 2^(k/8) for k in [-1024, 1024], indexed by k + 1024. */
export const powersOfTwo: Float64Array = (() => {
  const table = new Float64Array(2 * tableOffset + 1);
  for (let k = -tableOffset; k <= tableOffset; k++) table[k + tableOffset] = 2 ** (k / 8);
  return table;
})();

const eighthsPerUnit = String(8 / Math.LN2);
const eighthOfLn2 = String(Math.LN2 / 8);
/** 1/n! for n = 2 … 7, the series of (e^r - 1)/r after its leading 1. */
const series = [2, 6, 24, 120, 720, 5040].map((factorial) => String(1 / factorial));
const tolerance = 1e-12;
const below = String(1 - tolerance);
const above = String(1 + tolerance);

/**
 * Statements setting `_s` = 2^(k/8) and `_p` = e^r - 1 where y = k·ln2/8 + r, so e^y = _s·(1 + _p).
 * `y` must lie in [-88, 88] (the table's range).
 */
function expParts(y: string): string {
  const [c2, c3, c4, c5, c6, c7] = series;
  return [
    `const _k = (${y} * ${eighthsPerUnit} + ${tableOffset + 0.5}) | 0;`,
    `const _r = ${y} - (_k - ${tableOffset}) * ${eighthOfLn2};`,
    "const _r2 = _r * _r;",
    `const _p = _r * ((1 + ${c2} * _r) + _r2 * ((${c3} + ${c4} * _r) + _r2 * ((${c5} + ${c6} * _r) + _r2 * ${c7})));`,
    "const _s = pow2[_k];",
  ].join(" ");
}

/** Fast versions of the built-in formulas, as statements computing `_v` from `a` (NaN forces the fallback). */
const fastFormulas = new Map<string, string>([
  // tanh = (e^2a - 1)/(e^2a + 1), with e^2a - 1 formed without cancellation; |a| ≥ 10 rounds to ±1.
  ["Math.tanh(a)", `const _y = a > 10 ? 20 : a < -10 ? -20 : a + a; ${expParts("_y")} const _m = _s * _p - (1 - _s); const _v = _m / (_m + 2);`],
  ["1 / (1 + Math.exp(-a))", `const _y = -a; const _c = _y > 80 ? 80 : _y < -80 ? -80 : _y; ${expParts("_c")} const _v = _c === _y ? 1 / (1 + (_s + _s * _p)) : NaN;`],
  ["Math.exp(a)", `const _c = a > 80 ? 80 : a < -80 ? -80 : a; ${expParts("_c")} const _v = _c === a ? _s + _s * _p : NaN;`],
]);

/**
 * Statements assigning `target` the float32 result of `expr` applied to the float32 value bound to
 * `a`, through the fast path, or undefined if `expr` has none.
 */
export function fastFloat32(expr: string, target: string): string | undefined {
  const fast = fastFormulas.get(expr);
  if (fast === undefined) return undefined;
  return `${fast} const _lo = f(_v * ${below}); ${target} = _lo === f(_v * ${above}) ? _lo : f(${expr});`;
}
