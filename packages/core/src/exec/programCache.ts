import { copyOf, dtypes, type TypedArray } from "../basics/dtype";
import type { Attrs } from "../ir/attrs";
import { sameAttrs } from "../ir/graph";
import { type AnyOpDef, opNumber } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { lowerToProgram } from "./compile";
import type { Program } from "./compile/program";
import { evaluationStats } from "./stats";

/**
 * Automatic compilation. The evaluator describes the graph it is asked to run as a signature:
 * every op with its attributes and which earlier node or fed value each input is, and every fed
 * value (a leaf's data, or a value already known) by dtype and shape only. A graph seen again
 * with the same signature (the next step of a training loop: new nodes, same structure) is run
 * by the program compiled for it, fed with this graph's values, instead of being interpreted.
 * Programs compute exactly what the evaluator computes, bit for bit.
 */
export interface ProgramCacheOptions {
  /** Off, every graph is interpreted (programs already compiled are kept for when it is on again). On by default. */
  enabled?: boolean;
  /** Programs kept; the least recently used one is dropped past this. 64 by default. */
  capacity?: number;
  /** A signature is compiled the time it is seen this often (2 by default: the second step of a loop). */
  compileOnSighting?: number;
  /** Graphs with fewer ops are interpreted: compiling them would cost more than it saves. 4 by default. */
  minOps?: number;
  /**
   * Graphs with more ops are interpreted: a 10,000-step sequence is rarely run twice, and its
   * signature alone would hold millions of numbers. 50,000 by default.
   */
  maxOps?: number;
}

/** The program cache's counters since start-up (or since `clearProgramCache`). */
export interface ProgramCacheStats {
  /** Evaluations run by a cached program. */
  hits: number;
  /** Evaluations interpreted although large enough to compile (first sightings, or cache off). */
  misses: number;
  compiled: number;
  evicted: number;
  /** Programs held now. */
  size: number;
}

const settings: Required<ProgramCacheOptions> = { enabled: true, capacity: 64, compileOnSighting: 2, minOps: 4, maxOps: 50_000 };
const counters = { hits: 0, misses: 0, compiled: 0, evicted: 0 };

/** Turns the cache of compiled programs on or off, and sets how many it keeps and which graphs it compiles. */
export function configureProgramCache(options: ProgramCacheOptions): void {
  const { enabled = settings.enabled, capacity = settings.capacity, compileOnSighting = settings.compileOnSighting, minOps = settings.minOps, maxOps = settings.maxOps } = options;
  if (typeof enabled !== "boolean") throw new TypeError(`configureProgramCache: enabled must be true or false, got ${String(enabled)}`);
  for (const [key, value] of Object.entries({ capacity, compileOnSighting, minOps, maxOps })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`configureProgramCache: ${key} must be a positive integer, got ${String(value)}`);
  }
  Object.assign(settings, { enabled, capacity, compileOnSighting, minOps, maxOps });
  while (entries.size > capacity) evictOldest();
}

/** How often evaluations ran a cached program, and how many programs are cached. */
export function programCacheStats(): ProgramCacheStats {
  let size = 0;
  for (const bucket of entries.values()) for (const entry of bucket) if (entry.program !== undefined) size++;
  return { ...counters, size };
}

/** Drops every program (and every signature seen so far); the counters are kept. */
export function clearProgramCache(): void {
  entries.clear();
}

/** What distinguishes one graph from another for a program: everything but the fed values. */
interface Signature {
  /** Ops and references, as numbers (see `describe`). */
  readonly codes: number[];
  readonly defs: AnyOpDef[];
  readonly attrs: Attrs[];
  /** Values of the shared scalars, compiled into the program as constants. */
  readonly constants: number[];
  readonly hash: number;
}

interface Entry {
  readonly signature: Signature;
  sightings: number;
  program?: Program;
}

/** By hash; a Map iterates in insertion order, so re-inserting on use keeps it least-recently-used first. */
const entries = new Map<number, Entry[]>();

function evictOldest(): void {
  const [hash, bucket] = entries.entries().next().value!;
  const evicted = bucket.shift()!;
  if (evicted.program !== undefined) counters.evicted++;
  if (bucket.length === 0) entries.delete(hash);
}

function mix(hash: number, word: number): number {
  let h = Math.imul(hash ^ word, 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) ^ (h >>> 16);
}

// Codes in a signature.
const OP = -1;
const FED = -2;
const CONSTANT = -3;
const OUTPUTS = -4;

/** A graph about to be evaluated: its signature, and what to feed a program for it. */
interface Described {
  readonly signature: Signature;
  /** The fed values, in the order the program takes them, and the nodes that stand for them. */
  readonly feeds: TypedArray[];
  readonly fedNodes: Tensor[];
}

/**
 * Describes the graph `order` (a topological order ending at `outputs`, whose leaves and already
 * known values are fed) or gives up (undefined) when a program cannot stand for it: a leaf read
 * in two versions by different nodes, an unfed placeholder, an output that is no op of the graph.
 */
function describe(order: readonly Tensor[], outputs: readonly Tensor[]): Described | undefined {
  const codes: number[] = [];
  const defs: AnyOpDef[] = [];
  const attrs: Attrs[] = [];
  const constants: number[] = [];
  const feeds: TypedArray[] = [];
  const fedNodes: Tensor[] = [];
  const fedIndex = new Map<TypedArray, number>();
  const alreadyFed = new Set<Tensor>();
  const constantIndex = new Map<Tensor, number>();
  // A reference: an op's number among the computed ops (>= 0, kept in `walkIndex`), or a fed
  // value or a constant (< 0, see below).
  let ops = 0;
  for (const node of order) node.walkIndex = node.def === undefined || node.cachedValue !== undefined ? -1 : ops++;
  let hash = 0;
  const emit = (code: number) => {
    codes.push(code);
    hash = mix(hash, code);
  };
  const fed = (node: Tensor, data: TypedArray | undefined): number | undefined => {
    // An unfed placeholder: the evaluator reports it.
    if (data === undefined) return undefined;
    let index = fedIndex.get(data);
    if (index === undefined) {
      if (alreadyFed.has(node)) return undefined;
      alreadyFed.add(node);
      index = feeds.length;
      fedIndex.set(data, index);
      feeds.push(data);
      fedNodes.push(node);
      emit(FED);
      emit(dtypes.indexOf(node.dtype));
      emit(node.shape.length);
      for (const d of node.shape) emit(d);
    }
    return -2 * index - 1;
  };
  const constant = (node: Tensor): number => {
    let index = constantIndex.get(node);
    if (index === undefined) {
      index = constants.length;
      constantIndex.set(node, index);
      const value = node.leafValue![0];
      constants.push(value);
      emit(CONSTANT);
      emit(dtypes.indexOf(node.dtype));
      hash = mix(hash, (value * 1e6) | 0);
    }
    return -2 * index - 2;
  };
  /** How `node` reads its input `i`. */
  const reference = (node: Tensor, i: number): number | undefined => {
    const input = node.inputs[i];
    if (input.walkIndex >= 0) return input.walkIndex;
    if (input.frozen) return constant(input);
    return fed(input, input.def === undefined ? (node.leafVersions?.[i]?.data ?? input.leafValue) : input.cachedValue);
  };
  const refs: number[] = [];
  for (const node of order) {
    if (node.walkIndex < 0) continue;
    // Fed values and constants are declared where first read, before the op that reads them.
    for (let i = 0; i < node.inputs.length; i++) {
      const ref = reference(node, i);
      if (ref === undefined) return undefined;
      refs[i] = ref;
    }
    emit(OP);
    emit(opNumber(node.def!));
    emit(node.inputs.length);
    for (let i = 0; i < node.inputs.length; i++) emit(refs[i]);
    defs.push(node.def!);
    attrs.push(node.attrs);
  }
  emit(OUTPUTS);
  for (const output of outputs) {
    if (output.walkIndex < 0) return undefined;
    emit(output.walkIndex);
  }
  return { signature: { codes, defs, attrs, constants, hash }, feeds, fedNodes };
}

function sameSignature(a: Signature, b: Signature): boolean {
  if (a.codes.length !== b.codes.length || a.defs.length !== b.defs.length || a.constants.length !== b.constants.length) return false;
  for (let i = 0; i < a.codes.length; i++) if (a.codes[i] !== b.codes[i]) return false;
  for (let i = 0; i < a.defs.length; i++) if (a.defs[i] !== b.defs[i] || !sameAttrs(a.attrs[i], b.attrs[i])) return false;
  for (let i = 0; i < a.constants.length; i++) if (!Object.is(a.constants[i], b.constants[i])) return false;
  return true;
}

function lookUp(signature: Signature): Entry | undefined {
  const bucket = entries.get(signature.hash);
  const entry = bucket?.find((e) => sameSignature(e.signature, signature));
  if (entry === undefined) return undefined;
  // Most recently used last.
  entries.delete(signature.hash);
  entries.set(signature.hash, bucket!);
  return entry;
}

function remember(signature: Signature): Entry {
  const entry: Entry = { signature, sightings: 0 };
  const bucket = entries.get(signature.hash);
  if (bucket === undefined) entries.set(signature.hash, [entry]);
  else bucket.push(entry);
  if (entries.size > settings.capacity) evictOldest();
  return entry;
}

/**
 * The values of `outputs` from a cached program, or undefined: the graph is too small, the cache
 * is off, or this signature has not been seen often enough yet (the evaluator interprets it then).
 * Returned arrays are fresh: the program's own are overwritten by its next run.
 */
export function runCachedProgram(order: readonly Tensor[], outputs: readonly Tensor[], ops: number): TypedArray[] | undefined {
  if (!settings.enabled || ops < settings.minOps || ops > settings.maxOps) return undefined;
  const described = describe(order, outputs);
  if (described === undefined) return undefined;
  const entry = lookUp(described.signature) ?? remember(described.signature);
  if (entry.program === undefined) {
    if (++entry.sightings < settings.compileOnSighting) {
      counters.misses++;
      return undefined;
    }
    entry.program = lowerToProgram(described.fedNodes, outputs);
    counters.compiled++;
  } else {
    counters.hits++;
  }
  const program = entry.program;
  evaluationStats.kernelInvocations += program.stats.kernels;
  return program.run(described.feeds).map(copyOf);
}
