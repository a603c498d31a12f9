import type { DType, TypedArray } from "../basics/dtype";
import { errorInOp, OpError } from "../basics/errors";
import { formatShape, sizeOf } from "../basics/shape";
import type { Attrs } from "../ir/attrs";
import type { AnyOpDef, TensorMeta, Value } from "../ir/registry";

const arrayTypes = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } satisfies Record<DType, unknown>;

/** "a Float64Array of 6 values", "an Array of 6 values", "undefined". */
function describeArray(value: unknown): string {
  const kind = Object.prototype.toString.call(value).slice(8, -1);
  if (value === null || value === undefined) return kind.toLowerCase();
  const length = (value as { length?: unknown }).length;
  const article = /^[AEIOU]/.test(kind) ? "an" : "a";
  return typeof length === "number" ? `${article} ${kind} of ${length} values` : `${article} ${kind}`;
}

/** A node whose kernel runs: a graph node (Tensor), or the compiler's copy of one. */
interface KernelNode extends TensorMeta {
  readonly def?: AnyOpDef;
  readonly attrs: Attrs;
  /** The module path that built the node, named in errors. */
  readonly scope?: string;
}

/**
 * Runs `node`'s kernel on its inputs' values. The result must be a typed array of the node's
 * dtype and size: anything else (a plain Array, a Float64Array for a float32 node, a short
 * array) would reach other kernels and the compiler's buffers as silently wrong values. An error
 * inside the kernel is rethrown naming the op and the node's module path. Both checks are a few
 * comparisons per kernel call, so they are always on.
 */
export function runKernel(node: KernelNode, inputs: readonly Value[]): TypedArray {
  const def = node.def!;
  let data: unknown;
  try {
    data = def.kernel(inputs, node.attrs, node);
  } catch (error) {
    throw errorInOp(def.name, node.scope, "kernel", error);
  }
  const type = arrayTypes[node.dtype];
  const size = sizeOf(node.shape);
  if (!(data instanceof type) || data.length !== size) {
    throw new OpError(
      def.name,
      `the kernel returned ${describeArray(data)}; expected a ${type.name} of ${size} values for ${node.dtype} ${formatShape(node.shape)}`,
      { scope: node.scope },
    );
  }
  return data;
}
