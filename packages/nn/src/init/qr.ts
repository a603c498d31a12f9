/**
 * The orthonormal factor of a QR decomposition, for `orthogonal`. PyTorch's orthogonal_ takes Q
 * from LAPACK's geqrf/orgqr and multiplies each column by the sign of R's diagonal entry: that
 * makes Q the unique factor whose R has a positive diagonal (for a matrix of full column rank),
 * so any correct QR gives the same Q up to rounding. This one is Householder's, in float64.
 */

/**
 * Q (m × n, row-major) of the m × n row-major matrix `a` (m ≥ n), with each column multiplied by
 * the sign of R's diagonal entry (0 for a zero entry, as torch.sign gives): PyTorch's
 * `q * torch.diag(r).sign()`.
 */
export function signedOrthonormalFactor(a: Float64Array, m: number, n: number): Float64Array {
  const r = Float64Array.from(a);
  // Reflector k is I − 2·v·vᵀ/(vᵀv) with v = column k of r below the diagonal, minus alpha·e_k.
  const reflectors: Float64Array[] = [];
  const diagonal = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm = Math.hypot(norm, r[i * n + k]);
    const head = r[k * n + k];
    // alpha takes the sign opposite to head, so v's first entry is a sum, never a cancellation.
    const alpha = head > 0 ? -norm : norm;
    diagonal[k] = alpha;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = r[i * n + k];
    v[0] -= alpha;
    reflectors.push(v);
    applyReflector(v, r, k, k, m, n);
  }
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  // Q = H_0 · H_1 ⋯ H_(n−1) · [I; 0], applied from the right end; columns left of k are still
  // unit vectors with zeros where H_k acts, so it starts at column k.
  for (let k = n - 1; k >= 0; k--) applyReflector(reflectors[k], q, k, k, m, n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) q[i * n + j] *= Math.sign(diagonal[j]);
  }
  return q;
}

/** Rows `firstRow..m` of columns `firstColumn..n` of `target` become (I − 2·v·vᵀ/(vᵀv)) times themselves. */
function applyReflector(v: Float64Array, target: Float64Array, firstRow: number, firstColumn: number, m: number, n: number): void {
  let squaredNorm = 0;
  for (const entry of v) squaredNorm += entry * entry;
  if (squaredNorm === 0) return; // a zero column: the reflector is the identity
  for (let j = firstColumn; j < n; j++) {
    let dot = 0;
    for (let i = firstRow; i < m; i++) dot += v[i - firstRow] * target[i * n + j];
    const scale = (2 * dot) / squaredNorm;
    for (let i = firstRow; i < m; i++) target[i * n + j] -= scale * v[i - firstRow];
  }
}
