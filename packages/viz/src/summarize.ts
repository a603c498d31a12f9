import { scopeAtDepth, scopeDepth } from "./scopes";
import type { FlatNode } from "./source";

/**
 * One box of the picture: a single node, every node of a collapsed scope, or (past the budget,
 * when even the top-level scopes are too many) a run of consecutive such boxes.
 */
export interface Unit {
  /** Graph positions of the nodes it stands for; the first is the smallest. */
  readonly members: readonly number[];
  /** The collapsed scope's path (undefined for single nodes and runs). */
  readonly scope: string | undefined;
  /** For a run: the boxes it merged, named for its label. */
  readonly merged?: readonly Unit[];
}

interface Grouping {
  /** In order of their first member. */
  readonly units: readonly Unit[];
  /** Why the picture holds fewer boxes than the user asked for, if it does. */
  readonly note: string | undefined;
}

interface GroupingOptions {
  /** Collapse every scope this many levels deep (and deeper) into one box. */
  readonly collapseDepth: number | undefined;
  readonly maxNodes: number;
  readonly maxEdges: number;
  /** The edges a picture of these boxes would draw (the box count is checked first: it is cheaper). */
  readonly countEdges: (units: readonly Unit[]) => number;
}

/** Thousands separators, independent of the machine's locale so output stays byte-identical. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function unitsAt(nodes: readonly FlatNode[], drawn: readonly number[], depth: number | undefined): Unit[] {
  const units: Unit[] = [];
  const byScope = new Map<string, number[]>();
  for (const i of drawn) {
    const scope = depth === undefined ? undefined : scopeAtDepth(nodes[i].scope, depth);
    if (scope === undefined) {
      units.push({ members: [i], scope: undefined });
      continue;
    }
    let members = byScope.get(scope);
    if (members === undefined) {
      members = [];
      byScope.set(scope, members);
      units.push({ members, scope });
    }
    members.push(i);
  }
  return units;
}

function countAt(nodes: readonly FlatNode[], drawn: readonly number[], depth: number): number {
  let singles = 0;
  const scopes = new Set<string>();
  for (const i of drawn) {
    const scope = scopeAtDepth(nodes[i].scope, depth);
    if (scope === undefined) singles++;
    else scopes.add(scope);
  }
  return singles + scopes.size;
}

/** Merges runs of consecutive boxes; consecutive in first-member order keeps the flow readable. */
function mergeRuns(units: readonly Unit[], maxUnits: number): Unit[] {
  const runLength = Math.ceil(units.length / maxUnits);
  const runs: Unit[] = [];
  for (let start = 0; start < units.length; start += runLength) {
    const merged = units.slice(start, start + runLength);
    runs.push({ members: merged.flatMap((u) => u.members), scope: undefined, merged });
  }
  return runs;
}

/**
 * Decides the boxes: the user's collapse depth if it fits the budgets of boxes and of edges, else
 * the deepest depth that fits, else runs of top-level boxes, fewer until their edges fit too. The
 * full graph is never materialized past the box budget. Edges are budgeted because Graphviz's
 * time follows them: a collapse that keeps the boxes few but the edges long and many is slower
 * to lay out than no collapse at all.
 */
export function groupNodes(nodes: readonly FlatNode[], drawn: readonly number[], options: GroupingOptions): Grouping {
  const { collapseDepth, maxNodes, maxEdges, countEdges } = options;
  const requestedCount = collapseDepth === undefined ? drawn.length : countAt(nodes, drawn, collapseDepth);
  let over = `the graph has ${formatCount(drawn.length)} nodes, more than the budget of ${formatCount(maxNodes)}`;
  if (requestedCount <= maxNodes) {
    const units = unitsAt(nodes, drawn, collapseDepth);
    const edges = countEdges(units);
    if (edges <= maxEdges) return { units, note: undefined };
    over = `the picture has ${formatCount(edges)} edges, more than the budget of ${formatCount(maxEdges)}`;
  }

  let deepest = 0;
  for (const i of drawn) deepest = Math.max(deepest, scopeDepth(nodes[i].scope));
  const start = Math.min(collapseDepth === undefined ? deepest : collapseDepth - 1, deepest);
  for (let depth = start; depth >= 1; depth--) {
    if (countAt(nodes, drawn, depth) > maxNodes) continue;
    const units = unitsAt(nodes, drawn, depth);
    if (countEdges(units) <= maxEdges) return { units, note: `Collapsed scopes at depth ${depth}: ${over}` };
  }
  const topLevel = unitsAt(nodes, drawn, 1);
  let runs = mergeRuns(topLevel, maxNodes);
  // Halving the runs ends at one run, which has no edges.
  for (let target = maxNodes; runs.length > 1 && countEdges(runs) > maxEdges; ) {
    target = Math.ceil(target / 2);
    runs = mergeRuns(topLevel, target);
  }
  const runLength = runs[0].merged!.length;
  return {
    units: runs,
    note: `Summarized as ${formatCount(runs.length)} runs of up to ${formatCount(runLength)} consecutive top-level boxes: ${over}`,
  };
}
