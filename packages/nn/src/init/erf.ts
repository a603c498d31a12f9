/**
 * The error function and its inverse in double precision, for `truncNormal`: PyTorch's
 * trunc_normal_ computes its bounds with Python's `math.erf` and maps uniform draws through
 * `Tensor.erfinv_`. JS has neither.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
/** erf uses the series below this, 1 − erfc above, where the continued fraction converges fast. */
const ERF_SERIES_LIMIT = 2.5;
/** erfinv solves through erfc above this |y|: there x > 1.02, where the continued fraction needs at most about 190 terms. */
const ERFINV_TAIL = 0.85;

/**
 * erf(x) = 2/√π · x·e^(−x²) · Σ (2x²)ⁿ / (1·3·…·(2n+1)): every term is positive, so the sum
 * carries no cancellation and is good to a few ulps.
 */
function erfSeries(x: number): number {
  const twoXSquared = 2 * x * x;
  let term = 1;
  let sum = 1;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= twoXSquared / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * x * Math.exp(-x * x) * sum;
}

/**
 * erfc(x) for x > 0 (fast from x ≈ 1 on), from the continued fraction
 * erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated by modified Lentz.
 */
function erfcContinuedFraction(x: number): number {
  // Every partial numerator k/2 and denominator x is positive, so no denominator of Lentz's recurrences vanishes.
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = 1 / (x + a * d);
    c = x + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

export function erf(x: number): number {
  const magnitude = Math.abs(x);
  if (!(magnitude >= ERF_SERIES_LIMIT)) return Number.isNaN(x) ? NaN : erfSeries(x);
  const value = 1 - erfcContinuedFraction(magnitude);
  return x < 0 ? -value : value;
}

/**
 * The inverse of erf on [−1, 1] (±Infinity at ±1, NaN outside), by Halley's method from a rough
 * start. Near ±1 it solves erfc(x) = 1 − |y| instead, whose right side is exact there, so the
 * tail keeps its relative accuracy.
 */
export function erfinv(y: number): number {
  const magnitude = Math.abs(y);
  if (!(magnitude <= 1)) return NaN;
  if (magnitude === 1) return y * Infinity;
  if (magnitude === 0) return y;
  const tail = magnitude > ERFINV_TAIL;
  const remainder = 1 - magnitude; // exact for magnitude >= 1/2
  let x: number;
  if (tail) {
    // erfc(x) ≈ e^(−x²)/(x√π): one fixed-point step from x = sqrt(−ln r).
    const first = Math.sqrt(-Math.log(remainder));
    x = Math.sqrt(-Math.log(remainder * Math.sqrt(Math.PI) * first));
  } else {
    // The series of erfinv to y⁵.
    const y2 = magnitude * magnitude;
    x = (Math.sqrt(Math.PI) / 2) * magnitude * (1 + y2 * (Math.PI / 12 + y2 * ((7 * Math.PI * Math.PI) / 480)));
  }
  for (let iteration = 0; iteration < 10; iteration++) {
    // f(x) = erf(x) − |y|, written as (1 − |y|) − erfc(x) in the tail; f''/f' = −2x.
    const residual = tail ? remainder - erfcContinuedFraction(x) : erfSeries(x) - magnitude;
    const newton = residual / (TWO_OVER_SQRT_PI * Math.exp(-x * x));
    const step = newton / (1 + x * newton);
    x -= step;
    // Halley's error cubes at each step: what is left after a step of 1e-8 is far below an ulp.
    if (Math.abs(step) <= Math.abs(x) * 1e-8) break;
  }
  return y < 0 ? -x : x;
}
