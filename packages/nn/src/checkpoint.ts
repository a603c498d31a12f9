/**
 * Checkpoints: a module's state dict (its parameters and persistent buffers), and optionally an
 * optimizer's state, in one safetensors file. Tensor names are the PyTorch state-dict keys
 * (`rnn.weight_ih_l0`, `bn.running_mean`), so the weights load in Python with
 * `safetensors.torch.load_file`. Optimizer buffers sit beside them as
 * `optimizer.state.<param index>.<buffer>` (`optimizer.state.0.exp_avg`); the optimizer's
 * scalars (hyperparameters, step counts) go into `__metadata__` as JSON strings, next to the
 * checksums that let `load` notice damage (training/checksums.ts). Only float32 and float64
 * tensors are written, so a module with an int32 persistent buffer cannot be saved.
 *
 * Paths need Node's file system; in a browser, `saveToBytes` gives the same file as bytes, and
 * `load` and `restore` take bytes as well as paths.
 */
import { Tensor, formatShape, isFloat, tensor } from "@gradgraph/core";
import { type AnyModule, Module } from "./module";
import { type Hyperparameters, Optimizer, type OptimizerStateDict, type ParamState } from "./optim";
import { CheckpointError, type TensorRecord, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint } from "./training";
import { nodeFiles } from "./training/nodeFiles";
import { JsonSyntaxError, parseStrictJson, toPlainJson } from "./training/strictJson";
import { describeValue, readOptions } from "./validation";

/** Options of `save`: an optimizer to save alongside, and metadata. */
export interface SaveOptions {
  /** An optimizer (or its `stateDict()`), saved alongside so training can resume exactly. */
  optimizer?: Optimizer<any> | OptimizerStateDict;
  /** Free-form strings stored in the file's `__metadata__` (keys starting with "optimizer." are reserved). */
  metadata?: Record<string, string>;
}

/** What `load` reads: a state dict, the optimizer's state if saved, and the metadata. */
export interface Checkpoint {
  /** Module parameters and persistent buffers under their state-dict keys; feed to `module.loadStateDict`. */
  stateDict: Record<string, Tensor>;
  /** Present when the checkpoint was saved with an optimizer; feed to `optimizer.loadStateDict`. */
  optimizerState?: OptimizerStateDict;
  /** The user's metadata. */
  metadata: Record<string, string>;
}

const OPTIMIZER = "optimizer.";
const STATE_PREFIX = `${OPTIMIZER}state.`;
const GROUPS_KEY = `${OPTIMIZER}param_groups`;
const STEPS_KEY = `${OPTIMIZER}steps`;

/** Writes the checkpoint atomically: a crash mid-save leaves the previous file intact. Node only; in a browser see {@link saveToBytes}. */
export async function save(source: AnyModule | Record<string, Tensor>, path: string, options?: SaveOptions): Promise<void> {
  nodeFiles("save", BROWSER_CHECKPOINTS);
  checkPath("save", path);
  const { tensors, metadata } = pack("save", source, readOptions("save", options, ["optimizer", "metadata"]));
  await saveCheckpoint(tensors, path, metadata);
}

/**
 * The checkpoint `save` would write, as the file's bytes: for a browser (a download, IndexedDB, an
 * upload), or anywhere a file is not wanted. `load(bytes)` and `restore(bytes, module)` read them back.
 */
export async function saveToBytes(source: AnyModule | Record<string, Tensor>, options?: SaveOptions): Promise<Uint8Array> {
  const { tensors, metadata } = pack("saveToBytes", source, readOptions("saveToBytes", options, ["optimizer", "metadata"]));
  return encodeCheckpoint(tensors, metadata);
}

/**
 * Reads a checkpoint written by `save` (a path, Node only) or by `saveToBytes` (its bytes), verifying
 * its checksums; or any safetensors file of F32/F64 tensors, unverified.
 */
export async function load(source: string | Uint8Array): Promise<Checkpoint> {
  checkSource("load", source);
  if (typeof source === "string") nodeFiles("load", BROWSER_CHECKPOINTS);
  const { tensors, metadata } = typeof source === "string" ? await loadCheckpoint(source) : await decodeCheckpoint(source);
  return unpack(tensors, metadata);
}

/** What a browser uses instead of the file functions. */
const BROWSER_CHECKPOINTS =
  "saveToBytes(module, options) gives the checkpoint's bytes to keep or download, and load(bytes) / restore(bytes, module) read them back (new Uint8Array(await response.arrayBuffer()) for a fetched file)";

function checkPath(owner: string, path: unknown): asserts path is string {
  if (typeof path !== "string" || path === "") throw new TypeError(`${owner}: path must be a non-empty string, got ${describeValue(path)}`);
}

function checkSource(owner: string, source: unknown): asserts source is string | Uint8Array {
  if (source instanceof Uint8Array) return;
  if (typeof source !== "string" || source === "") {
    throw new TypeError(`${owner}: expected a path (a non-empty string) or a checkpoint's bytes (a Uint8Array), got ${describeValue(source)}`);
  }
}

function record(owner: string, name: string, t: Tensor): TensorRecord {
  if (!(t instanceof Tensor)) throw new CheckpointError(`${owner}: "${name}" is not a Tensor (got ${describeValue(t)})`);
  if (!isFloat(t.dtype)) throw new CheckpointError(`${owner}: "${name}" is ${t.dtype}; checkpoints hold float32 and float64 tensors`);
  return { dtype: t.dtype, shape: [...t.shape], data: t.data() as Float32Array | Float64Array };
}

function pack(owner: string, source: AnyModule | Record<string, Tensor>, { optimizer, metadata = {} }: SaveOptions) {
  const stateDict = source instanceof Module ? source.stateDict() : source;
  if (stateDict === null || typeof stateDict !== "object" || Array.isArray(stateDict) || stateDict instanceof Tensor) {
    throw new CheckpointError(`${owner}: expected a Module or a state dict (an object from names to tensors), got ${describeValue(source)}`);
  }
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
    throw new CheckpointError(`${owner}: metadata must be an object of strings, got ${describeValue(metadata)}`);
  }
  const tensors: Record<string, TensorRecord> = {};
  for (const [name, t] of Object.entries(stateDict)) setOwn(tensors, name, record(owner, name, t));

  const reserved = Object.keys(metadata).filter((k) => k.startsWith(OPTIMIZER));
  if (reserved.length > 0) throw new CheckpointError(`${owner}: metadata key(s) ${reserved.join(", ")} are reserved for the optimizer`);
  const allMetadata: Record<string, string> = { ...metadata };
  if (optimizer === undefined) return { tensors, metadata: allMetadata };

  const clashes = Object.keys(tensors).filter((k) => k.startsWith(OPTIMIZER));
  if (clashes.length > 0) throw new CheckpointError(`${owner}: state-dict key(s) ${clashes.join(", ")} clash with the optimizer's`);
  const optimizerState = optimizer instanceof Optimizer ? optimizer.stateDict() : optimizer;
  if (optimizerState === null || typeof optimizerState !== "object" || typeof optimizerState.state !== "object" || optimizerState.state === null) {
    throw new CheckpointError(`${owner}: optimizer must be an Optimizer or its stateDict(), got ${describeValue(optimizer)}`);
  }
  const steps: Record<string, number> = {};
  for (const [index, { step, buffers }] of Object.entries(optimizerState.state)) {
    steps[index] = step;
    for (const [name, buffer] of Object.entries(buffers)) {
      const key = `${STATE_PREFIX}${index}.${name}`;
      tensors[key] = record(owner, key, buffer);
    }
  }
  allMetadata[GROUPS_KEY] = JSON.stringify(optimizerState.paramGroups);
  allMetadata[STEPS_KEY] = JSON.stringify(steps);
  return { tensors, metadata: allMetadata };
}

function unpack(tensors: Record<string, TensorRecord>, metadata: Record<string, string>): Checkpoint {
  // Without optimizer metadata every tensor is the module's, whatever its name.
  const hasOptimizer = Object.hasOwn(metadata, GROUPS_KEY) || Object.hasOwn(metadata, STEPS_KEY);
  const stateDict: Record<string, Tensor> = {};
  const optimizerTensors: [string, TensorRecord][] = [];
  for (const [name, r] of Object.entries(tensors)) {
    if (hasOptimizer && name.startsWith(STATE_PREFIX)) optimizerTensors.push([name.slice(STATE_PREFIX.length), r]);
    else setOwn(stateDict, name, toTensor(r));
  }
  if (!hasOptimizer) return { stateDict, metadata: { ...metadata } };
  const userMetadata = Object.fromEntries(Object.entries(metadata).filter(([k]) => !k.startsWith(OPTIMIZER)));

  const paramGroups = parseJson(metadata, GROUPS_KEY);
  if (!Array.isArray(paramGroups) || !paramGroups.every(isParamGroup)) {
    throw new CheckpointError(`"${GROUPS_KEY}" must be a list of {params: [indices], ...hyperparameters}`);
  }
  const steps = parseJson(metadata, STEPS_KEY);
  if (steps === null || typeof steps !== "object" || Array.isArray(steps)) throw new CheckpointError(`"${STEPS_KEY}" must be an object`);
  const state: Record<number, ParamState> = {};
  for (const [index, step] of Object.entries(steps as Record<string, unknown>)) {
    if (!/^(0|[1-9][0-9]*)$/.test(index) || !Number.isSafeInteger(step) || (step as number) < 0) {
      throw new CheckpointError(`"${STEPS_KEY}": entry ${JSON.stringify(index)}: ${JSON.stringify(step)} is not a step count`);
    }
    state[Number(index)] = { step: step as number, buffers: {} };
  }
  for (const [rest, r] of optimizerTensors) {
    const dot = rest.indexOf(".");
    const entry = dot > 0 ? state[Number(rest.slice(0, dot))] : undefined;
    if (entry === undefined || !/^(0|[1-9][0-9]*)$/.test(rest.slice(0, dot))) {
      throw new CheckpointError(`optimizer tensor "${STATE_PREFIX}${rest}" names no parameter listed in "${STEPS_KEY}" (shape ${formatShape(r.shape)})`);
    }
    setOwn(entry.buffers, rest.slice(dot + 1), toTensor(r));
  }
  return { stateDict, optimizerState: { state, paramGroups }, metadata: userMetadata };
}

const toTensor = (r: TensorRecord): Tensor => tensor(r.data, { shape: r.shape, dtype: r.dtype });

/** Plain assignment would turn a tensor named "__proto__" into a prototype change instead of a key. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Optimizer metadata is read as strictly as the header around it: duplicate keys or absurd nesting are damage, not data. */
function parseJson(metadata: Record<string, string>, key: string): unknown {
  if (!Object.hasOwn(metadata, key)) throw new CheckpointError(`checkpoint has optimizer metadata but no "${key}"`);
  try {
    return toPlainJson(parseStrictJson(metadata[key]));
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new CheckpointError(`checkpoint metadata "${key}" is not valid JSON: ${err.message}`);
    throw err;
  }
}

function isParamGroup(g: unknown): g is Hyperparameters & { params: number[] } {
  if (g === null || typeof g !== "object" || Array.isArray(g)) return false;
  const params = (g as { params?: unknown }).params;
  return Array.isArray(params) && params.every((i) => Number.isSafeInteger(i) && i >= 0);
}

/**
 * Loads a checkpoint (a path, Node only, or its bytes) into a module (strictly: every key must
 * match) and, if given, an optimizer built over that module's parameters. Returns the user's metadata.
 */
export async function restore(source: string | Uint8Array, module: AnyModule, optimizer?: Optimizer<any>): Promise<Record<string, string>> {
  checkSource("restore", source);
  if (!(module instanceof Module)) throw new TypeError(`restore: module must be a Module, got ${describeValue(module)}`);
  if (optimizer !== undefined && !(optimizer instanceof Optimizer)) {
    throw new TypeError(`restore: optimizer must be an Optimizer, got ${describeValue(optimizer)}`);
  }
  if (typeof source === "string") nodeFiles("restore", BROWSER_CHECKPOINTS);
  const checkpoint = await load(source);
  if (optimizer !== undefined && checkpoint.optimizerState === undefined) {
    throw new CheckpointError(`restore: ${typeof source === "string" ? source : "the checkpoint"} holds no optimizer state`);
  }
  module.loadStateDict(checkpoint.stateDict);
  if (optimizer !== undefined) optimizer.loadStateDict(checkpoint.optimizerState!);
  return checkpoint.metadata;
}
