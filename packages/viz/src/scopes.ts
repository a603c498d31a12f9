/**
 * Scope paths (`rnn.l0.t2`, `backward.rnn.l0.t2`) become nested clusters. Depths count scope
 * levels below any leading `backward` segments, so the gradient half of a graph collapses at the
 * same level as the forward half it mirrors.
 */
const BACKWARD = "backward";

function scopeSegments(scope: string | undefined): string[] {
  return scope === undefined ? [] : scope.split(".");
}

function backwardPrefixLength(segments: readonly string[]): number {
  let count = 0;
  while (count < segments.length && segments[count] === BACKWARD) count++;
  return count;
}

/** Nodes that `grad` built carry scope `backward` or `backward.<forward scope>`. */
export function isGradientScope(scope: string | undefined): boolean {
  return scope !== undefined && (scope === BACKWARD || scope.startsWith(`${BACKWARD}.`));
}

/** The number of forward scope levels in the path. */
export function scopeDepth(scope: string | undefined): number {
  const segments = scopeSegments(scope);
  return segments.length - backwardPrefixLength(segments);
}

/** The path of the enclosing scope `depth` levels deep, or undefined when the node sits shallower. */
export function scopeAtDepth(scope: string | undefined, depth: number): string | undefined {
  const segments = scopeSegments(scope);
  const keep = backwardPrefixLength(segments) + depth;
  return segments.length < keep ? undefined : segments.slice(0, keep).join(".");
}

/** The path without its last segment, or undefined at the top. */
export function parentScope(scope: string): string | undefined {
  const dot = scope.lastIndexOf(".");
  return dot < 0 ? undefined : scope.slice(0, dot);
}

export function lastSegment(scope: string): string {
  return scope.slice(scope.lastIndexOf(".") + 1);
}
