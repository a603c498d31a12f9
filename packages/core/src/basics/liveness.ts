/**
 * Counts of live graph nodes and arrays, kept only while tracking is on: tests use them to show
 * that a training loop's memory is flat (after a forced GC, the counts at step 50 and step 500
 * are equal). Tracking registers every new object with a FinalizationRegistry, so it is off by
 * default.
 */
export type LiveKind = "nodes" | "buffers";

const live: Record<LiveKind, number> = { nodes: 0, buffers: 0 };
let registry: FinalizationRegistry<LiveKind> | undefined;

/** Starts (or stops) counting the nodes and arrays created from now on. */
export function trackLiveObjects(enabled: boolean): void {
  registry = enabled ? new FinalizationRegistry((kind) => live[kind]--) : undefined;
  live.nodes = 0;
  live.buffers = 0;
}

/** How many tracked objects the garbage collector has not yet reclaimed. */
export function liveObjects(): Readonly<Record<LiveKind, number>> {
  return { ...live };
}

export function track(kind: LiveKind, object: object): void {
  if (registry === undefined) return;
  live[kind]++;
  registry.register(object, kind);
}
