import { allocate, type DType, type TypedArray } from "../../basics/dtype";
import { formatShape, type Shape, sizeOf } from "../../basics/shape";
import type { Tensor } from "../../ir/tensor";
import { batchedGemm, type FloatArray, gemm } from "../../kernels/matmul";
import { runKernel } from "../runKernel";
import type { Ref, Storage } from "./layout";
import { instantiateLoop } from "./loops";
import type { MemoryPlan } from "./memory";
import type { Part, Schedule } from "./schedule";

/** What compiling did to a graph: nodes merged, folded and fused, buffers planned. */
export interface ProgramStats {
  /** Distinct tensors the outputs and updates depend on. */
  readonly graphNodes: number;
  /** Nodes that duplicated another (same op, inputs and attrs) and were merged. */
  readonly mergedNodes: number;
  /** Nodes computed once at compile time because all their inputs are immutable constants. */
  readonly foldedNodes: number;
  /** Kernel calls per run (loops, matmuls, copies). */
  readonly kernels: number;
  /** Graph ops evaluated inside another op's loop rather than by a kernel of their own. */
  readonly fusedOps: number;
  /** Values kept in temporary buffers, and the buffers the memory plan needed for them. */
  readonly storedValues: number;
  readonly buffers: number;
  readonly bufferBytes: number;
}

/** One value `run()` is fed: its shape, dtype and name. */
export interface FeedSpec {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly name: string | undefined;
}

interface LeafBinding {
  readonly tensor: Tensor;
  readonly array: TypedArray;
}

/**
 * A compiled graph: a flat list of kernels bound to preallocated arrays. `run()` builds no graph,
 * walks no graph and allocates nothing (ops with no compiled meaning, such as indexing, still
 * allocate inside their own kernel).
 */
export class Program {
  /** What compiling did: nodes merged, folded and fused, kernels and buffers. */
  readonly stats: ProgramStats;
  private readonly kernels: readonly (() => void)[];
  private readonly feedArrays: readonly TypedArray[];
  private readonly results: readonly TypedArray[];
  private readonly writes: readonly (LeafBinding & { readonly value: TypedArray })[];
  private readonly leaves: readonly LeafBinding[];

  /** What `run()` is fed, in order (only shapes, dtypes and names: a program keeps no graph alive). */
  readonly inputs: readonly FeedSpec[];

  constructor(
    inputs: readonly Tensor[],
    schedule: Schedule,
    plan: MemoryPlan,
    graphStats: Pick<ProgramStats, "graphNodes" | "mergedNodes" | "foldedNodes">,
  ) {
    this.inputs = inputs.map(({ shape, dtype, name }) => ({ shape, dtype, name }));
    const buffers = plan.buffers.map((b) => allocate(b.dtype, b.size));
    this.feedArrays = inputs.map((x) => allocate(x.dtype, x.size));
    const feedOf = new Map(inputs.map((x, i) => [x, this.feedArrays[i]]));
    const arrayOf = (s: Storage): TypedArray => {
      switch (s.kind) {
        case "temp": {
          const { buffer, offset } = plan.placement.get(s)!;
          const array = buffers[buffer];
          return offset === 0 && s.size === array.length ? array : array.subarray(offset, offset + s.size);
        }
        case "input":
          return feedOf.get(s.tensor!)!;
        case "leaf":
          return s.tensor!.leafValue!;
        case "const":
          return s.value!;
      }
    };
    const window = (ref: Ref): TypedArray => {
      const array = arrayOf(ref.storage);
      const size = sizeOf(ref.shape);
      return ref.offset === 0 && size === array.length ? array : array.subarray(ref.offset, ref.offset + size);
    };
    this.kernels = schedule.steps.flatMap((step) => step.parts.map((part) => bind(part, arrayOf(step.out), arrayOf, window)));
    this.results = schedule.outputs.map(window);
    this.writes = schedule.updates.map(({ leaf, value }) => ({ tensor: leaf.tensor!, array: arrayOf(leaf), value: window(value) }));
    this.leaves = schedule.storages.filter((s) => s.kind === "leaf").map((s) => ({ tensor: s.tensor!, array: arrayOf(s) }));
    this.stats = {
      ...graphStats,
      kernels: this.kernels.length,
      fusedOps: schedule.steps.reduce((n, step) => n + step.ops - 1, 0),
      storedValues: plan.placement.size,
      buffers: plan.buffers.length,
      bufferBytes: buffers.reduce((n, b) => n + b.byteLength, 0),
    };
  }

  /**
   * Copies `feeds` (one per input, in order) into the program's input arrays, runs every kernel,
   * then writes the update values into their leaves' arrays (all computed before any is written):
   * a new version of each leaf, while tensors built before keep the values they were built with.
   * Returns the outputs' values in arrays the program
   * owns and overwrites on the next run: copy them to keep them.
   */
  run(feeds: readonly ArrayLike<number>[] = []): readonly TypedArray[] {
    const arrays = this.feedArrays;
    if (feeds.length !== arrays.length) throw new Error(`run: expected ${arrays.length} feeds (one per input), got ${feeds.length}`);
    for (let i = 0; i < arrays.length; i++) {
      const feed = feeds[i];
      if (feed.length !== arrays[i].length) {
        const x = this.inputs[i];
        throw new Error(`run: feed ${i}${x.name === undefined ? "" : ` '${x.name}'`} needs ${arrays[i].length} values for ${formatShape(x.shape)}, got ${feed.length}`);
      }
      arrays[i].set(feed);
    }
    this.syncLeaves();
    const kernels = this.kernels;
    for (let i = 0; i < kernels.length; i++) kernels[i]();
    const writes = this.writes;
    for (let i = 0; i < writes.length; i++) {
      const { tensor, array, value } = writes[i];
      tensor.releaseForWriting();
      array.set(value);
    }
    return this.results;
  }

  /**
   * Kernels hold the leaves' arrays; `assign()` gives a leaf a new one. Its values are copied
   * back into the array the kernels hold, which the leaf then uses again.
   */
  private syncLeaves(): void {
    const leaves = this.leaves;
    for (let i = 0; i < leaves.length; i++) {
      const { tensor, array } = leaves[i];
      const current = tensor.leafValue;
      if (current === array) continue;
      if (current === undefined) throw new Error(`run: ${tensor.describe()} was released`);
      array.set(current);
      tensor.moveLeafData(array);
    }
  }
}

function bind(part: Part, out: TypedArray, arrayOf: (s: Storage) => TypedArray, window: (ref: Ref) => TypedArray): () => void {
  switch (part.kind) {
    case "loop":
      return instantiateLoop(part.spec, out, part.params.map(arrayOf));
    case "zero":
      return () => out.fill(0);
    case "gemm": {
      const { m, n, k, transA, transB, aOffsets, bOffsets, outOffsets, accumulate } = part;
      const a = arrayOf(part.a) as FloatArray;
      const b = arrayOf(part.b) as FloatArray;
      const c = out as FloatArray;
      if (outOffsets.length === 1) {
        const [aOffset, bOffset] = [aOffsets[0], bOffsets[0]];
        return () => gemm(m, n, k, a, aOffset, transA, b, bOffset, transB, c, 0, accumulate);
      }
      return () => batchedGemm(m, n, k, a, aOffsets, transA, b, bOffsets, transB, c, outOffsets, accumulate);
    }
    case "kernel": {
      const { node } = part;
      const values = part.inputs.map((ref) => ({ data: window(ref), shape: ref.shape, dtype: ref.storage.dtype }));
      return () => out.set(runKernel(node, values));
    }
  }
}
