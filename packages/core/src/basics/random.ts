/**
 * A random number generator that reproduces PyTorch 1.13's CPU generator
 * (`torch.manual_seed`, `Tensor.uniform_`, `torch.rand`, `Tensor.normal_`).
 *
 * The engine is a plain 32-bit mt19937. What makes the values match PyTorch
 * is everything around it: which draws are 32- and which 64-bit, how many
 * mantissa bits are kept, the dtype the arithmetic runs in, and that
 * `from`/`to` are first cast to the tensor's dtype.
 */
import { fmaDouble, fmaFloat } from "./fma";

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

const TWO_POW_32 = 4294967296;
// float32 keeps 24 significant bits, float64 53; torch masks the raw draw to that width.
const FLOAT_MASK = 0xffffff;
const FLOAT_SCALE = 2 ** -24;
const DOUBLE_HI_MASK = 0x1fffff; // 21 bits of the high word + 32 of the low = 53
const DOUBLE_SCALE = 2 ** -53;
const FLOAT32_MAX = 3.4028234663852886e38;

/** torch's `default_rng_seed_val`, used until someone seeds. */
const DEFAULT_SEED = 67280421310721;

type FloatArray = Float32Array | Float64Array;

/**
 * torch.Generator: PyTorch's CPU generator (mt19937, with its uniform, normal and integer draws), so that a
 * seed gives PyTorch's numbers.
 */
export class Generator {
  private readonly state = new Uint32Array(N);
  private index = N;
  // Box-Muller makes two values per draw; torch keeps the second for the next scalar call.
  private cachedNormal: number | null = null;

  constructor(seed: number = DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  /**
   * Same as `torch.manual_seed(seed)`. torch accepts any int64/uint64 seed but
   * mt19937 only uses its low 32 bits (two's complement for negatives), so any
   * safe integer works.
   */
  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`manualSeed: the seed must be a safe integer, got ${typeof seed === "string" ? JSON.stringify(seed) : String(seed)}`);
    }
    const low = ((seed % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
    const st = this.state;
    st[0] = low;
    for (let j = 1; j < N; j++) {
      const prev = st[j - 1];
      st[j] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + j) >>> 0;
    }
    this.index = N;
    this.cachedNormal = null;
    return this;
  }

  /** torch's `random()`: one mt19937 output. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** torch's `random64()`: the first 32-bit draw is the high word. */
  nextUint64(): bigint {
    const hi = this.nextUint32();
    const lo = this.nextUint32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /**
   * `torch.Tensor.uniform_(from, to)` on a contiguous tensor of the array's
   * dtype; bit-identical. float32 consumes one 32-bit draw per element and
   * float64 one 64-bit draw.
   */
  fillUniform(out: FloatArray, from: number, to: number): void {
    const f32 = out instanceof Float32Array;
    checkUniformBounds(from, to, f32);
    if (f32) {
      // torch casts the double arguments to float, then works in float.
      const lo = Math.fround(from);
      const range = Math.fround(Math.fround(to) - lo);
      for (let i = 0; i < out.length; i++) out[i] = this.uniformFloat(lo, range);
    } else {
      const range = to - from;
      for (let i = 0; i < out.length; i++) out[i] = this.uniformDouble(from, range);
    }
  }

  /**
   * `torch.Tensor.normal_(mean, std)`: NOT guaranteed bit-identical. The
   * structure is torch's exactly (which path, how many draws and in what
   * order, the scalar path's cached twin, the rounding order and the final
   * fma), so the generator state afterwards matches torch and so do the
   * values up to the transcendental functions: JS `Math.log/sin/cos` (fdlibm)
   * stand in for glibc's. Those agree to within about an ulp, so a few
   * elements may differ in the last bit. For float32 with >= 16 elements this
   * follows torch's portable `normal_fill`; AVX2 builds instead use
   * avx_mathfun polynomials and a float 2*pi there, which can differ by a
   * few ulps more.
   */
  fillNormal(out: FloatArray, mean: number, std: number): void {
    if (!(std >= 0) || !Number.isFinite(mean)) {
      throw new RangeError(`normal_ expects std >= 0 and a finite mean, got mean=${mean} std=${std}`);
    }
    const n = out.length;
    if (n >= 16) {
      this.normalFill(out, mean, std);
      return;
    }
    // torch's small-tensor path samples normal_distribution<double> and casts.
    const f32 = out instanceof Float32Array;
    for (let i = 0; i < n; i++) {
      const v = this.normalDouble(mean, std);
      out[i] = f32 ? Math.fround(v) : v;
    }
  }

  private twist(): void {
    const st = this.state;
    for (let k = 0; k < N; k++) {
      const y = (st[k] & UPPER_MASK) | (st[(k + 1) % N] & LOWER_MASK);
      st[k] = st[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.index = 0;
  }

  /** uniform_real<float>: `x * (to - from) + from` in float, fused (see fmaFloat). */
  private uniformFloat(from: number, range: number): number {
    const x = (this.nextUint32() & FLOAT_MASK) * FLOAT_SCALE; // exact in float
    return fmaFloat(x, range, from);
  }

  /** uniform_real<double>: 53 bits of random64(), then double arithmetic. */
  private uniformDouble(from: number, range: number): number {
    const hi = this.nextUint32() & DOUBLE_HI_MASK;
    const lo = this.nextUint32();
    const x = (hi * TWO_POW_32 + lo) * DOUBLE_SCALE; // exact: 53-bit integer times a power of two
    return fmaDouble(x, range, from);
  }

  /** at::normal_distribution<double> (scalar Box-Muller with a cached twin). */
  private normalDouble(mean: number, std: number): number {
    if (this.cachedNormal !== null) {
      const z = this.cachedNormal;
      this.cachedNormal = null;
      return fmaDouble(z, std, mean);
    }
    const u1 = this.uniformDouble(0, 1);
    const u2 = this.uniformDouble(0, 1);
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return fmaDouble(r * Math.cos(theta), std, mean);
  }

  /**
   * torch's `normal_fill`: fill with uniforms, Box-Muller each block of 16
   * (first 8 paired with last 8), and if the length is not a multiple of 16,
   * redraw 16 fresh uniforms for the last 16 slots and transform those.
   * Leaves the scalar normal cache untouched, as torch does.
   */
  private normalFill(out: FloatArray, mean: number, std: number): void {
    const f32 = out instanceof Float32Array;
    const n = out.length;
    const m = f32 ? Math.fround(mean) : mean;
    const s = f32 ? Math.fround(std) : std;
    const fillUniform01 = (start: number): void => {
      for (let i = start; i < n; i++) {
        out[i] = f32 ? this.uniformFloat(0, 1) : this.uniformDouble(0, 1);
      }
    };
    fillUniform01(0);
    for (let i = 0; i + 16 <= n; i += 16) boxMuller16(out, i, m, s, f32);
    if (n % 16 !== 0) {
      fillUniform01(n - 16);
      boxMuller16(out, n - 16, m, s, f32);
    }
  }
}

/** torch's uniform_ argument checks, in the tensor's dtype. */
function checkUniformBounds(from: number, to: number, f32: boolean): void {
  const max = f32 ? FLOAT32_MAX : Number.MAX_VALUE;
  if (!(Math.abs(from) <= max) || !(Math.abs(to) <= max)) {
    throw new RangeError(`uniform_ expects finite from/to within the dtype's range, got ${from}, ${to}`);
  }
  if (!(from <= to)) throw new RangeError(`uniform_ expects from <= to, got ${from} > ${to}`);
  if (!(to - from <= max)) throw new RangeError(`uniform_ range ${to - from} overflows the dtype`);
}

/** normal_fill_16: in place on out[start .. start+16). */
function boxMuller16(out: FloatArray, start: number, mean: number, std: number, f32: boolean): void {
  // torch writes `2.0f * c10::pi<double> * u2`: the product is formed in double.
  const twoPi = 2 * Math.PI;
  for (let j = start; j < start + 8; j++) {
    if (f32) {
      const u1 = Math.fround(1 - out[j]);
      const u2 = out[j + 8];
      const radius = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(u1)))));
      const theta = Math.fround(twoPi * u2);
      const c = Math.fround(Math.cos(theta));
      const sn = Math.fround(Math.sin(theta));
      out[j] = fmaFloat(Math.fround(radius * c), std, mean);
      out[j + 8] = fmaFloat(Math.fround(radius * sn), std, mean);
    } else {
      const radius = Math.sqrt(-2 * Math.log(1 - out[j]));
      const theta = twoPi * out[j + 8];
      out[j] = fmaDouble(radius * Math.cos(theta), std, mean);
      out[j + 8] = fmaDouble(radius * Math.sin(theta), std, mean);
    }
  }
}

/**
 * PyTorch's default generator: what the random functions draw from unless given another; seeded by
 * `manualSeed`.
 */
export const defaultGenerator: Generator = new Generator();

/** `torch.manual_seed(seed)` for the shared default generator. */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
