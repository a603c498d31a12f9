import { allocate, type DType, dtypes, isFloat, type TypedArray } from "../basics/dtype";
import { checkTensorList } from "../ir/args";
import { describeValue } from "../basics/errors";
import { decodeNumber, encodeNumber, type JsonNumber, specialNumberNames } from "../basics/jsonNumber";
import { isPlainRecord, own, type PlainRecord } from "../basics/plainData";
import { formatShape, isShapeList, MAX_ELEMENTS, sameShape, type Shape, sizeOf } from "../basics/shape";
import { type Attrs, noAttrs } from "../ir/attrs";
import { apply, constantNode, placeholderNode, topologicalOrder } from "../ir/graph";
import { getOp } from "../ir/registry";
import { withExactScope } from "../ir/scope";
import type { Tensor } from "../ir/tensor";
// Graphs name built-in ops, so they must be registered before any file is read.
import "../ops";

const format = "gradgraph-graph/1";


/** One node of a `GraphJSON`: its op, the indices of its inputs, its attributes, shape and dtype, and a constant's values. */
export interface NodeJSON {
  op: string;
  inputs: number[];
  attrs: Attrs;
  shape: number[];
  dtype: DType;
  scope?: string;
  name?: string;
  requiresGrad?: boolean;
  /** Constants only: row-major values. */
  data?: JsonNumber[];
}

/** A graph as plain data (`toJSON`), nodes in topological order; `fromJSON` reads it back exactly. */
export interface GraphJSON {
  format: typeof format;
  nodes: NodeJSON[];
  /** Indices into `nodes`. */
  outputs: number[];
}

/**
 * Number attributes that JSON cannot hold (clamp's `min: -Infinity`) travel as the special
 * strings, which the ops' number readers (`numberAttr`) take back.
 */
function encodeAttrs(attrs: Attrs): Attrs {
  if (!Object.values(attrs).some((v) => typeof v === "number" && encodeNumber(v) !== v)) return attrs;
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, typeof v === "number" ? encodeNumber(v) : v]));
}

/** The subgraph the outputs depend on, as plain data: ops, attributes, shapes, dtypes and constants. */
export function toJSON(outputs: readonly Tensor[]): GraphJSON {
  checkTensorList("toJSON", "outputs", outputs);
  const order = topologicalOrder(outputs);
  const index = new Map(order.map((node, i) => [node, i]));
  const nodes = order.map((node): NodeJSON => {
    const json: NodeJSON = { op: node.op, inputs: node.inputs.map((i) => index.get(i)!), attrs: encodeAttrs(node.attrs), shape: [...node.shape], dtype: node.dtype };
    if (node.scope !== undefined) json.scope = node.scope;
    if (node.name !== undefined) json.name = node.name;
    if (node.requiresGrad) json.requiresGrad = true;
    if (node.op === "constant") json.data = Array.from(node.leafValue!, encodeNumber);
    return json;
  });
  return { format, nodes, outputs: outputs.map((o) => index.get(o)!) };
}

const graphFields = ["format", "nodes", "outputs"];
const nodeFields = ["op", "inputs", "attrs", "shape", "dtype", "scope", "name", "requiresGrad", "data"];

function invalid(at: number, message: string, cause?: unknown): Error {
  return new Error(`fromJSON: node ${at}: ${message}`, cause === undefined ? undefined : { cause });
}

function isIndexBelow(value: unknown, end: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) < end;
}

function optional<T>(spec: PlainRecord, key: string, at: number, expected: string, ok: (value: unknown) => value is T): T | undefined {
  const value = own(spec, key);
  if (value !== undefined && !ok(value)) throw invalid(at, `${key} must be ${expected}, got ${describeValue(value)}`);
  return value as T | undefined;
}

const isString = (value: unknown): value is string => typeof value === "string";
const isBoolean = (value: unknown): value is boolean => typeof value === "boolean";

/** The number `v` stands for in a tensor of `dtype`, or undefined when it stands for none. */
function decodeValue(v: unknown, dtype: DType): number | undefined {
  if (dtype === "int32") return typeof v === "number" && v === (v | 0) ? v : undefined;
  if (dtype === "bool") return v === 0 || v === 1 ? v : undefined;
  const value = decodeNumber(v);
  // A finite value that float32 would round to infinity is not what the file says either.
  return dtype === "float32" && value !== undefined && Number.isFinite(value) && !Number.isFinite(Math.fround(value)) ? undefined : value;
}

const expectedValue: Record<DType, string> = {
  int32: "an integer in int32 range",
  bool: "0 or 1",
  float32: `a finite number in float32 range, or ${specialNumberNames}`,
  float64: `a finite number, or ${specialNumberNames}`,
};

/**
 * A constant's values, checked against its shape and dtype before anything is allocated: the
 * file must hold every value it declares, so its size bounds what loading it can allocate.
 */
function decodeData(values: unknown, shape: Shape, dtype: DType, at: number): TypedArray {
  const size = sizeOf(shape);
  if (!Array.isArray(values)) throw invalid(at, `a constant needs data, a list of ${size} values, got ${describeValue(values)}`);
  if (values.length !== size) throw invalid(at, `shape ${formatShape(shape)} needs ${size} values, the data holds ${values.length}`);
  for (let i = 0; i < size; i++) {
    if (decodeValue(values[i], dtype) === undefined) throw invalid(at, `data[${i}] must be ${expectedValue[dtype]} for ${dtype}, got ${describeValue(values[i])}`);
  }
  const data = allocate(dtype, size);
  for (let i = 0; i < size; i++) data[i] = decodeValue(values[i], dtype)!;
  return data;
}

function loadLeaf(kind: "constant" | "placeholder", spec: PlainRecord, at: number, shape: Shape, dtype: DType, scope: string | undefined): Tensor {
  const requiresGrad = optional(spec, "requiresGrad", at, "true or false", isBoolean) ?? false;
  if (requiresGrad && !isFloat(dtype)) throw invalid(at, `only float leaves can require gradients, this one is ${dtype}`);
  if (kind === "placeholder") {
    if (own(spec, "data") !== undefined) throw invalid(at, "a placeholder holds no data");
    const node = withExactScope(scope, () => placeholderNode(shape, dtype));
    node.requiresGrad = requiresGrad;
    return node;
  }
  const data = decodeData(own(spec, "data"), shape, dtype, at);
  return withExactScope(scope, () => constantNode(data, shape, dtype, requiresGrad));
}

/** Runs the node through `apply()`, as building it does: canonical attributes, the shape rule, then the file's record is checked against it. */
function loadOp(op: string, spec: PlainRecord, at: number, inputs: Tensor[], shape: Shape, dtype: DType, scope: string | undefined): Tensor {
  optional(spec, "requiresGrad", at, "true or false", isBoolean);
  if (own(spec, "data") !== undefined) throw invalid(at, `only constants hold data, this node is '${op}'`);
  const attrs = own(spec, "attrs");
  let node: Tensor;
  try {
    node = withExactScope(scope, () => apply(getOp(op), inputs, attrs === undefined ? noAttrs : (attrs as Attrs)));
  } catch (error) {
    throw invalid(at, error instanceof Error ? error.message : describeValue(error), error);
  }
  if (!sameShape(node.shape, shape) || node.dtype !== dtype) {
    throw invalid(at, `'${op}' gives ${node.dtype} ${formatShape(node.shape)} but the file says ${dtype} ${formatShape(shape)}`);
  }
  return node;
}

function loadNode(spec: unknown, at: number, earlier: readonly Tensor[]): Tensor {
  if (!isPlainRecord(spec)) throw invalid(at, `expected an object, got ${describeValue(spec)}`);
  for (const key of Object.keys(spec)) {
    if (!nodeFields.includes(key)) throw invalid(at, `unknown field '${key}' (expected ${nodeFields.join(", ")})`);
  }
  const op = own(spec, "op");
  if (typeof op !== "string") throw invalid(at, `op must be a string, got ${describeValue(op)}`);
  const dtype = own(spec, "dtype");
  if (!(dtypes as readonly unknown[]).includes(dtype)) throw invalid(at, `dtype must be one of ${dtypes.join(", ")}, got ${describeValue(dtype)}`);
  const shape = own(spec, "shape");
  if (!isShapeList(shape)) throw invalid(at, `shape must be a list of non-negative integers, got ${describeValue(shape)}`);
  if (sizeOf(shape) > MAX_ELEMENTS) {
    throw invalid(at, `shape ${formatShape(shape)} has ${sizeOf(shape)} elements, more than the ${MAX_ELEMENTS} a tensor can hold`);
  }
  const inputIndices = own(spec, "inputs");
  if (!Array.isArray(inputIndices)) throw invalid(at, `inputs must be a list of node indices, got ${describeValue(inputIndices)}`);
  const inputs: Tensor[] = [];
  for (let i = 0; i < inputIndices.length; i++) {
    if (!isIndexBelow(inputIndices[i], at)) throw invalid(at, `input ${i} must be the index of an earlier node, got ${describeValue(inputIndices[i])}`);
    inputs.push(earlier[inputIndices[i]]);
  }
  const scope = optional(spec, "scope", at, "a string", isString);
  const name = optional(spec, "name", at, "a string", isString);
  let node: Tensor;
  if (op === "constant" || op === "placeholder") {
    if (inputs.length > 0) throw invalid(at, `a ${op} has no inputs, got ${inputs.length}`);
    const attrs = own(spec, "attrs");
    if (attrs !== undefined && !(isPlainRecord(attrs) && Object.keys(attrs).length === 0)) {
      throw invalid(at, `a ${op} has no attributes, got ${describeValue(attrs)}`);
    }
    node = loadLeaf(op, spec, at, shape, dtype as DType, scope);
  } else {
    node = loadOp(op, spec, at, inputs, shape, dtype as DType, scope);
  }
  // Records of one node (same op, inputs and attributes) load as one node, named by the first.
  if (name !== undefined) node.name ??= name;
  return node;
}

/**
 * Rebuilds a graph saved by `toJSON`. A file is untrusted: every field is checked, nothing is
 * read from a prototype, constants must hold exactly the values their shape declares (so a small
 * file cannot make us allocate a large array), and every op node goes through `apply()` (user
 * ops must be registered first), whose canonical attributes and shape rule must give the shape
 * and dtype the file records. Every error is an Error whose message starts with "fromJSON".
 */
export function fromJSON(json: unknown): { outputs: Tensor[]; nodes: Tensor[] } {
  if (!isPlainRecord(json) || own(json, "format") !== format) {
    throw new Error(`fromJSON: expected an object with format "${format}", got ${describeValue(json)}`);
  }
  for (const key of Object.keys(json)) {
    if (!graphFields.includes(key)) throw new Error(`fromJSON: unknown field '${key}' (expected ${graphFields.join(", ")})`);
  }
  const specs = own(json, "nodes");
  const outputIndices = own(json, "outputs");
  if (!Array.isArray(specs)) throw new Error(`fromJSON: nodes must be a list, got ${describeValue(specs)}`);
  if (!Array.isArray(outputIndices)) throw new Error(`fromJSON: outputs must be a list of node indices, got ${describeValue(outputIndices)}`);
  const nodes: Tensor[] = [];
  for (let at = 0; at < specs.length; at++) nodes.push(loadNode(specs[at], at, nodes));
  const outputs: Tensor[] = [];
  for (let k = 0; k < outputIndices.length; k++) {
    const index = outputIndices[k];
    if (!isIndexBelow(index, nodes.length)) throw new Error(`fromJSON: output ${k} must be the index of a node (of ${nodes.length}), got ${describeValue(index)}`);
    outputs.push(nodes[index]);
  }
  return { outputs, nodes };
}
