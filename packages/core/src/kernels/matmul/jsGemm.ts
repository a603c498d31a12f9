/**
 * Pure-JS GEMM paths: a direct loop for tiny products and a cache-blocked,
 * packed kernel for everything else (float64 always, float32 when WebAssembly
 * is unavailable or the JS backend is selected).
 */
export type FloatArray = Float32Array | Float64Array;

/**
 * Strides that make op(A)[i, p] = a[aOffset + i·aRow + p·aCol] (same for B),
 * so the transposed layouts are read in place. The sum runs in double precision
 * from 0 over p = 0 … k−1. With `accumulate`, the sum is rounded to out's type
 * first and then added: out[i] + round(T), exactly what a separate product and
 * add give.
 */
export function naiveGemm(
  m: number, n: number, k: number,
  a: FloatArray, aOffset: number, transA: boolean,
  b: FloatArray, bOffset: number, transB: boolean,
  out: FloatArray, outOffset: number, accumulate = false,
): void {
  const f32 = out instanceof Float32Array;
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    const ai = aOffset + i * aRow;
    const oi = outOffset + i * n;
    for (let j = 0; j < n; j++) {
      let s = 0;
      let pa = ai;
      let pb = bOffset + j * bCol;
      for (let p = 0; p < k; p++) {
        s += a[pa] * b[pb];
        pa += aCol;
        pb += bRow;
      }
      if (accumulate) out[oi + j] += f32 ? Math.fround(s) : s;
      else out[oi + j] = s;
    }
  }
}

// 4×4 register tile; 16 accumulators are all V8 keeps in registers without spilling.
const MR = 4;
const NR = 4;
// A tile's k-block (4·256 doubles = 8 KB) stays in L1 while it sweeps a block of
// B panels (256·4·64 doubles = 512 KB) held in L2.
const KC = 256;
const NC_PANELS = 64;

// Scratch grows monotonically and is reused so repeated calls do not allocate.
let packA: Float64Array = new Float64Array(0);
let packB: Float64Array = new Float64Array(0);
let cBuf: Float64Array = new Float64Array(0);

function ensure(buf: Float64Array, size: number): Float64Array {
  return buf.length >= size ? buf : new Float64Array(Math.max(size, buf.length * 2));
}

/**
 * Packs both operands into float64 panels (so the hot loop is monomorphic on
 * Float64Array whatever the input dtype, and sums carry in double precision),
 * accumulates into a float64 C, then converts once on the way out.
 * The k-blocks are summed in C (T = (0 + r₁) + r₂ + …, in double), and C_old
 * never enters that sum: with `accumulate` it is added once on the way out,
 * out[i] + round(T), so the bits equal a separate product and add for every k.
 */
export function blockedGemm(
  m: number, n: number, k: number,
  a: FloatArray, aOffset: number, transA: boolean,
  b: FloatArray, bOffset: number, transB: boolean,
  out: FloatArray, outOffset: number, accumulate = false,
): void {
  const tiles = Math.ceil(m / MR);
  const panels = Math.ceil(n / NR);
  const ldc = panels * NR;
  packA = ensure(packA, tiles * MR * k);
  packB = ensure(packB, panels * NR * k);
  cBuf = ensure(cBuf, tiles * MR * ldc);
  const pa = packA;
  const pb = packB;
  const c = cBuf;
  packTilesJs(m, k, a, aOffset, transA, pa, MR);
  packPanelsJs(n, k, b, bOffset, transB, pb, NR);
  c.fill(0, 0, tiles * MR * ldc);

  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    for (let jb = 0; jb < panels; jb += NC_PANELS) {
      const jEnd = Math.min(jb + NC_PANELS, panels);
      for (let t = 0; t < tiles; t++) {
        const aBase = (t * k + p0) * MR;
        for (let j = jb; j < jEnd; j++) {
          kernel4x4(pa, aBase, pb, (j * k + p0) * NR, c, t * MR * ldc + j * NR, ldc, kc);
        }
      }
    }
  }

  if (!accumulate) {
    for (let i = 0; i < m; i++) {
      const src = i * ldc;
      const dst = outOffset + i * n;
      for (let j = 0; j < n; j++) out[dst + j] = c[src + j];
    }
  } else if (out instanceof Float32Array) {
    for (let i = 0; i < m; i++) {
      const src = i * ldc;
      const dst = outOffset + i * n;
      for (let j = 0; j < n; j++) out[dst + j] += Math.fround(c[src + j]);
    }
  } else {
    for (let i = 0; i < m; i++) {
      const src = i * ldc;
      const dst = outOffset + i * n;
      for (let j = 0; j < n; j++) out[dst + j] += c[src + j];
    }
  }
}

function kernel4x4(
  a: Float64Array, ai: number, b: Float64Array, bi: number,
  c: Float64Array, ci: number, ldc: number, kc: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
    const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += MR;
    bi += NR;
  }
  c[ci] += c00; c[ci + 1] += c01; c[ci + 2] += c02; c[ci + 3] += c03;
  ci += ldc;
  c[ci] += c10; c[ci + 1] += c11; c[ci + 2] += c12; c[ci + 3] += c13;
  ci += ldc;
  c[ci] += c20; c[ci + 1] += c21; c[ci + 2] += c22; c[ci + 3] += c23;
  ci += ldc;
  c[ci] += c30; c[ci + 1] += c31; c[ci + 2] += c32; c[ci + 3] += c33;
}

/**
 * Row tiles of op(A) (m×k): tile t holds, for each p, rows t·mr … t·mr+mr−1 of
 * column p contiguously; rows past m are zero so kernels need no edge cases.
 * Shared by the WASM path (which packs into a Float32Array view of its memory).
 */
function packTilesJs(
  m: number, k: number, a: FloatArray, aOffset: number, transA: boolean,
  dst: FloatArray, mr: number, dstOffset = 0,
): void {
  const tiles = Math.ceil(m / mr);
  for (let t = 0; t < tiles; t++) {
    const base = dstOffset + t * k * mr;
    const rows = Math.min(mr, m - t * mr);
    if (transA) {
      // A is stored k×m: the mr values of a step are adjacent in memory.
      for (let p = 0; p < k; p++) {
        const src = aOffset + p * m + t * mr;
        const d = base + p * mr;
        for (let r = 0; r < rows; r++) dst[d + r] = a[src + r];
        for (let r = rows; r < mr; r++) dst[d + r] = 0;
      }
    } else {
      for (let r = 0; r < rows; r++) {
        let src = aOffset + (t * mr + r) * k;
        let d = base + r;
        for (let p = 0; p < k; p++) {
          dst[d] = a[src++];
          d += mr;
        }
      }
      for (let r = rows; r < mr; r++) {
        for (let p = 0, d = base + r; p < k; p++, d += mr) dst[d] = 0;
      }
    }
  }
}

/**
 * Column panels of op(B) (k×n): panel j holds, for each p, columns
 * j·nr … j·nr+nr−1 of row p contiguously; columns past n are zero.
 */
function packPanelsJs(
  n: number, k: number, b: FloatArray, bOffset: number, transB: boolean,
  dst: FloatArray, nr: number, dstOffset = 0,
): void {
  const panels = Math.ceil(n / nr);
  for (let j = 0; j < panels; j++) {
    const base = dstOffset + j * k * nr;
    const cols = Math.min(nr, n - j * nr);
    if (transB) {
      // B is stored n×k: each column of op(B) is a contiguous row of B.
      for (let c = 0; c < cols; c++) {
        let src = bOffset + (j * nr + c) * k;
        let d = base + c;
        for (let p = 0; p < k; p++) {
          dst[d] = b[src++];
          d += nr;
        }
      }
      for (let c = cols; c < nr; c++) {
        for (let p = 0, d = base + c; p < k; p++, d += nr) dst[d] = 0;
      }
    } else {
      for (let p = 0; p < k; p++) {
        const src = bOffset + p * n + j * nr;
        const d = base + p * nr;
        for (let c = 0; c < cols; c++) dst[d + c] = b[src + c];
        for (let c = cols; c < nr; c++) dst[d + c] = 0;
      }
    }
  }
}
