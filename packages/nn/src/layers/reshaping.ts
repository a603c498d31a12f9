/**
 * The layers that only pass their input on or reshape it: torch.nn.Identity, Flatten and
 * Unflatten. Their outputs are views (reshape), so gradients flow back unchanged.
 */
import { type Tensor, formatShape } from "@gradgraph/core";
import { Module, type ModuleOptions } from "../module";
import { pyTuple } from "../pythonRepr";
import { checkInteger, checkTensor, describeValue, readOptions } from "../validation";

/** torch.nn.Identity: returns its input, a placeholder where a model's slot needs a module. */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

/** `dim` of a tensor of `rank` dims counted from 0, with PyTorch's IndexError wording (a 0-d tensor has dims -1 and 0). */
function normalizeDim(owner: string, dim: number, rank: number): number {
  const size = Math.max(rank, 1);
  if (dim < -size || dim >= size) throw new RangeError(`${owner}: Dimension out of range (expected to be in range of [${-size}, ${size - 1}], but got ${dim})`);
  return dim < 0 ? dim + size : dim;
}

/** torch.nn.Flatten(start_dim=1, end_dim=-1): dims startDim..endDim merged into one, so (N, C, H, W) becomes (N, C·H·W). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
    options?: ModuleOptions,
  ) {
    super(readOptions("Flatten", options, ["name"]));
    checkInteger("Flatten", "startDim", startDim);
    checkInteger("Flatten", "endDim", endDim);
  }

  forward(input: Tensor): Tensor {
    checkTensor("Flatten", "input", input);
    const start = normalizeDim("Flatten", this.startDim, input.ndim);
    const end = normalizeDim("Flatten", this.endDim, input.ndim);
    if (start > end) throw new RangeError("Flatten: flatten() has invalid args: start_dim cannot come after end_dim");
    if (input.ndim === 0) return input.reshape(1);
    const merged = input.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
    return input.reshape(...input.shape.slice(0, start), merged, ...input.shape.slice(end + 1));
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** torch.nn.Unflatten(dim, unflattened_size): dim `dim` split into `unflattenedSize` (one entry may be -1, inferred). */
export class Unflatten extends Module {
  readonly unflattenedSize: readonly number[];

  constructor(
    readonly dim: number,
    unflattenedSize: readonly number[],
    options?: ModuleOptions,
  ) {
    super(readOptions("Unflatten", options, ["name"]));
    checkInteger("Unflatten", "dim", dim);
    if (!Array.isArray(unflattenedSize) || !unflattenedSize.every((size) => Number.isInteger(size) && size >= -1)) {
      throw new TypeError(`Unflatten: unflattenedSize must be an array of sizes (one may be -1), got ${describeValue(unflattenedSize)}`);
    }
    if (unflattenedSize.filter((size) => size === -1).length > 1) {
      throw new RangeError(`Unflatten: only one dimension can be inferred, got unflattenedSize ${formatShape(unflattenedSize)}`);
    }
    this.unflattenedSize = [...unflattenedSize];
  }

  forward(input: Tensor): Tensor {
    checkTensor("Unflatten", "input", input);
    if (input.ndim === 0) throw new RangeError("Unflatten: a 0-d input has no dim to unflatten");
    const d = normalizeDim("Unflatten", this.dim, input.ndim);
    const size = input.shape[d];
    const known = this.unflattenedSize.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
    const inferred = this.unflattenedSize.includes(-1) && known > 0 && size % known === 0 ? size / known : undefined;
    const sizes = this.unflattenedSize.map((s) => (s === -1 ? inferred : s));
    if (sizes.includes(undefined) || sizes.reduce((a, b) => a! * b!, 1) !== size) {
      throw new RangeError(
        `Unflatten: Provided sizes ${formatShape(this.unflattenedSize)} don't multiply up to the size of dim ${d} (${size}) in the input tensor`,
      );
    }
    return input.reshape(...input.shape.slice(0, d), ...(sizes as number[]), ...input.shape.slice(d + 1));
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}
