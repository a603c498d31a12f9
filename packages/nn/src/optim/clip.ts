import { type Tensor, cast, evaluate, noGrad, stack, tensor } from "@gradgraph/core";
import { checkTensor, describeValue } from "../validation";

/** The p-norm of all entries of `x` (p > 0, or Infinity for the largest magnitude). */
function norm(x: Tensor, p: number): Tensor {
  if (p === Infinity) return x.abs().max();
  if (p === 2) return x.mul(x).sum().sqrt();
  return x.abs().pow(p).sum().pow(1 / p);
}

/**
 * PyTorch's `clip_grad_norm_`: the norm of all gradients together (as if concatenated) is
 * computed; if it exceeds `maxNorm`, every gradient is scaled by `maxNorm / (norm + 1e-6)`.
 * Returns that total norm (which may be NaN or Infinity when a gradient is). Parameters
 * without a gradient are ignored.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2): number {
  if (params === null || typeof params !== "object" || !(Symbol.iterator in params)) {
    throw new TypeError(`clipGradNorm: params must be an iterable of Tensors, got ${describeValue(params)}`);
  }
  if (!(typeof maxNorm === "number" && maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be >= 0, got ${describeValue(maxNorm)}`);
  if (!(typeof normType === "number" && normType > 0)) {
    throw new Error(`clipGradNorm: normType must be positive or Infinity, got ${describeValue(normType)}`);
  }
  const all = [...params];
  all.forEach((p, i) => checkTensor("clipGradNorm", `parameter ${i}`, p));
  const withGrad = all.filter((p) => p.grad !== undefined && p.grad.size > 0);
  if (withGrad.length === 0) return 0;
  return noGrad(() => {
    // Each gradient's norm in its own dtype, then the norm of those norms in float64 (dtypes may differ).
    const perParam = withGrad.map((p) => cast(norm(p.grad!, normType), "float64"));
    const total = norm(stack(perParam), normType).item();
    const coefficient = Math.min(maxNorm / (total + 1e-6), 1);
    if (coefficient === 1) return total;
    const scaled = evaluate(withGrad.map((p) => p.grad!.mul(coefficient)));
    withGrad.forEach((p, i) => {
      p.grad = tensor(scaled[i], { shape: p.shape, dtype: p.dtype });
    });
    return total;
  });
}
