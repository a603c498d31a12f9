import type { DType } from "../../basics/dtype";
import { rootOf, type Storage } from "./layout";
import type { Step } from "./schedule";

export interface MemoryPlan {
  /** The arrays to allocate once. */
  readonly buffers: readonly { readonly dtype: DType; readonly size: number }[];
  /** Where each temporary lives: a buffer, and its offset there (non-zero for a block of a placement). */
  readonly placement: ReadonlyMap<Storage, { readonly buffer: number; readonly offset: number }>;
}

/**
 * Liveness-based reuse. A temporary (with the windows placed inside it) is alive from the first
 * step that writes any part of it to the last step that reads any part; then its buffer returns to
 * a free list keyed by dtype and size, and later temporaries of that dtype and size take it. A step
 * never writes a buffer it reads, except an elementwise loop over an input read only at the element
 * being written, whose last use it is (in place). `keep` (outputs, update values) live to the end.
 */
export function planMemory(steps: readonly Step[], keep: ReadonlySet<Storage>): MemoryPlan {
  const first = new Map<Storage, number>();
  const last = new Map<Storage, number>();
  const windowed = new Set<Storage>();
  steps.forEach((step, i) => {
    const { root } = rootOf(step.out);
    if (root !== step.out) windowed.add(root);
    if (!first.has(root)) first.set(root, i);
    for (const read of step.reads) if (read.kind === "temp") last.set(rootOf(read).root, i);
  });
  for (const s of keep) if (s.kind === "temp") last.set(rootOf(s).root, Infinity);
  /** Only a buffer holding exactly one value, nothing placed in or around it, can change hands in place. */
  const plain = (s: Storage) => s.window === undefined && !windowed.has(s);

  const buffers: { dtype: DType; size: number }[] = [];
  const bufferOf = new Map<Storage, number>();
  const free = new Map<string, number[]>();
  const keyOf = (s: Storage) => `${s.dtype}:${s.size}`;
  steps.forEach((step, i) => {
    const { root } = rootOf(step.out);
    const dying = [...new Set(step.reads.filter((s) => s.kind === "temp").map((s) => rootOf(s).root))].filter((r) => last.get(r) === i);
    let donor: Storage | undefined;
    if (first.get(root) === i) {
      donor = plain(root) ? step.inPlace.find((s) => plain(s) && dying.includes(s)) : undefined;
      let buffer = donor === undefined ? free.get(keyOf(root))?.pop() : bufferOf.get(donor)!;
      if (buffer === undefined) buffer = buffers.push({ dtype: root.dtype, size: root.size }) - 1;
      bufferOf.set(root, buffer);
    }
    for (const r of dying) {
      if (r === donor) continue;
      const list = free.get(keyOf(r)) ?? [];
      list.push(bufferOf.get(r)!);
      free.set(keyOf(r), list);
    }
  });

  const placement = new Map<Storage, { buffer: number; offset: number }>();
  for (const step of steps) {
    const { root, offset } = rootOf(step.out);
    placement.set(step.out, { buffer: bufferOf.get(root)!, offset });
    // An array only its windows write (the blocks of a merged product's operand) is read whole too.
    if (!placement.has(root)) placement.set(root, { buffer: bufferOf.get(root)!, offset: 0 });
  }
  return { buffers, placement };
}
