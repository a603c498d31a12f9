import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  type OnnxAttrs,
  type OnnxBuilder,
  type OnnxDType,
  type OnnxTensor,
  type OnnxValue,
  OpError,
  type Tensor,
  type TensorMeta,
  formatShape,
} from "@gradgraph/core";
import {
  AttributeProto_AttributeType,
  type AttributeProtoSchema,
  type GraphProtoSchema,
  ModelProtoSchema,
  type NodeProtoSchema,
  TensorProto_DataType,
  type TensorProtoSchema,
  type ValueInfoProtoSchema,
} from "./proto/onnx_pb";

/** The operator set every mapping is written for (ONNX 1.12): reductions other than ReduceSum take their axes as attributes. */
export const OPSET_VERSION = 17;
/** The IR version that goes with opset 17. */
const IR_VERSION = 8n;

/** What `toOnnx` exports: which leaves are the inputs, the outputs' names, symbolic dims. */
export interface ToOnnxOptions {
  /**
   * The graph's inputs: placeholders (or any leaf that should be fed rather than stored), by name
   * (`{ x }`) or as a list named by their own `name`.
   */
  readonly inputs: Readonly<Record<string, Tensor>> | readonly Tensor[];
  /** The outputs' names, in order; `output_0`, `output_1`, ... by default. */
  readonly outputNames?: readonly string[];
  /**
   * Dims of inputs and outputs that are symbolic, by value name and dim: `{ x: { 0: "batch" } }`.
   * The graph is exported for the sizes it was built with; reshape and expand follow the dims they
   * keep, but a size an op creates (an expand to the batch, a slice of it) stays fixed.
   */
  readonly dynamicAxes?: Readonly<Record<string, Readonly<Record<number, string>>>>;
  /** The graph's name in the model; `gradgraph`. */
  readonly graphName?: string;
  /** Names for leaves stored as initializers, instead of their own `name` (exportOnnx: state-dict keys). */
  readonly names?: ReadonlyMap<Tensor, string>;
}

const dataTypes: Record<OnnxDType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT,
  float64: TensorProto_DataType.DOUBLE,
  int32: TensorProto_DataType.INT32,
  int64: TensorProto_DataType.INT64,
  bool: TensorProto_DataType.BOOL,
};

/** Row-major values as the little-endian bytes of `raw_data`. */
function rawBytes(values: ArrayLike<number>, dtype: OnnxDType): Uint8Array {
  const n = values.length;
  const array =
    dtype === "float32" ? Float32Array.from(values)
    : dtype === "float64" ? Float64Array.from(values)
    : dtype === "int32" ? Int32Array.from(values)
    : dtype === "int64" ? BigInt64Array.from(Array.from(values, (v) => BigInt(v)))
    : Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
  if (!isLittleEndian && dtype !== "bool") throw new Error("toOnnx: a big-endian machine needs byte swapping, which is not written yet");
  return new Uint8Array(array.buffer, array.byteOffset, n * array.BYTES_PER_ELEMENT);
}
const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function attributeProto(name: string, value: NonNullable<OnnxAttrs[string]>): MessageInitShape<typeof AttributeProtoSchema> {
  const T = AttributeProto_AttributeType;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`attribute '${name}' is ${value}: an INT attribute must be an integer (write { float: ${value} } for FLOAT)`);
    return { name, type: T.INT, i: BigInt(value) };
  }
  if (typeof value === "string") return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if ("float" in value) return { name, type: T.FLOAT, f: value.float };
  if ("floats" in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  if ("strings" in value) return { name, type: T.STRINGS, strings: value.strings.map((text) => new TextEncoder().encode(text)) };
  return { name, type: T.INTS, ints: (value as readonly number[]).map((v) => BigInt(v)) };
}

interface Dims {
  readonly shape: readonly number[];
  /** Symbolic names of some dims, by dim. */
  readonly symbolic?: Readonly<Record<number, string>>;
}

function valueInfo(name: string, dtype: OnnxDType, dims: Dims | undefined): MessageInitShape<typeof ValueInfoProtoSchema> {
  const shape =
    dims === undefined ? undefined : {
      dim: dims.shape.map((size, d) => {
        const param = dims.symbolic?.[d];
        return { value: param !== undefined ? { case: "dimParam" as const, value: param } : { case: "dimValue" as const, value: BigInt(size) } };
      }),
    };
  return { name, type: { value: { case: "tensorType", value: { elemType: dataTypes[dtype], shape } } } };
}

/** Names each ONNX node and value once; a node's name carries the gradgraph op and its scope (`rnn.l0.t2/matmul#12`). */
export class GraphBuilder implements OnnxBuilder {
  readonly nodes: MessageInitShape<typeof NodeProtoSchema>[] = [];
  readonly initializers: MessageInitShape<typeof TensorProtoSchema>[] = [];
  readonly valueInfos: MessageInitShape<typeof ValueInfoProtoSchema>[] = [];
  /** Names that ONNX nodes compute (not inputs or initializers): the ones value_info describes. */
  readonly computed = new Set<string>();
  private readonly usedNames = new Set<string>();
  private readonly smallConstants = new Map<string, OnnxValue>();
  /** The gradgraph node whose mapping is running: its op and scope name the ONNX nodes it adds. */
  current: { op: string; scope: string | undefined; index: number } | undefined;
  private nodeCount = 0;
  /** How many gradgraph nodes were exported so far: numbers them in the ONNX node names. */
  nodesExported = 0;

  uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.usedNames.has(name); k++) name = `${base}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  op(opType: string, inputs: readonly (OnnxValue | null)[], attrs: OnnxAttrs = {}, meta?: { shape?: readonly number[]; dtype?: OnnxDType }): OnnxValue {
    return { ...this.opOutputs(opType, inputs, attrs, 1)[0], ...meta };
  }

  opOutputs(opType: string, inputs: readonly (OnnxValue | null)[], attrs: OnnxAttrs, count: number): OnnxValue[] {
    const where = this.current;
    const label = where === undefined ? opType : `${where.scope === undefined ? "" : `${where.scope}/`}${where.op}#${where.index}`;
    const outputs = Array.from({ length: count }, () => this.uniqueName(`${label}:${opType}`));
    for (const output of outputs) this.computed.add(output);
    this.nodes.push({
      name: this.uniqueName(`${label}/${opType}_${this.nodeCount++}`),
      opType,
      input: inputs.map((input) => input?.name ?? ""),
      output: outputs,
      attribute: Object.entries(attrs).flatMap(([name, value]) => (value === undefined ? [] : [attributeProto(name, value)])),
      docString: where === undefined ? "" : `gradgraph ${where.op}${where.scope === undefined ? "" : ` in '${where.scope}'`}`,
    });
    return outputs.map((name) => ({ name }));
  }

  constant(values: ArrayLike<number>, shape: readonly number[], dtype: OnnxDType, base = "const"): OnnxValue {
    // The shapes, axes and scalars that mappings ask for repeat from step to step: stored once.
    const key = base === "const" && values.length <= 16 ? `${dtype} [${shape.join(",")}] ${Array.from(values).join(",")}` : undefined;
    const known = key === undefined ? undefined : this.smallConstants.get(key);
    if (known !== undefined) return known;
    const name = this.uniqueName(base);
    this.initializers.push({ name, dims: shape.map((d) => BigInt(d)), dataType: dataTypes[dtype], rawData: rawBytes(values, dtype) });
    const value = { name, shape, dtype };
    if (key !== undefined) this.smallConstants.set(key, value);
    return value;
  }

  int64s(values: readonly number[]): OnnxValue {
    return this.constant(values, [values.length], "int64");
  }

  scalar(value: number, dtype: OnnxDType): OnnxValue {
    return this.constant([value], [], dtype);
  }

  cast(x: OnnxValue, dtype: OnnxDType): OnnxValue {
    return x.dtype === dtype ? x : this.op("Cast", [x], { to: dataTypes[dtype] }, { shape: x.shape, dtype });
  }
}

function namedInputs(inputs: ToOnnxOptions["inputs"]): [string, Tensor][] {
  if (Array.isArray(inputs)) {
    return (inputs as readonly Tensor[]).map((t, i) => {
      if (t.name === undefined) throw new Error(`toOnnx: input ${i} (${t.describe()}) has no name: name the placeholder, or pass inputs as { name: tensor }`);
      return [t.name, t];
    });
  }
  return Object.entries(inputs as Record<string, Tensor>);
}

/** What a model is made of: its typed inputs and outputs, and the nodes that compute the outputs. */
interface ModelSpec {
  readonly inputs: readonly { readonly name: string; readonly meta: TensorMeta }[];
  readonly outputs: readonly { readonly name: string; readonly meta: TensorMeta }[];
  readonly dynamicAxes?: ToOnnxOptions["dynamicAxes"];
  readonly graphName?: string;
  /** Adds the nodes (and initializers) and returns each output's value, given the inputs'. */
  build(b: GraphBuilder, inputs: readonly OnnxTensor[]): readonly OnnxValue[];
}

/** The serialized ModelProto of `spec`: names checked, outputs named through Identity nodes. */
export function encodeModel(spec: ModelSpec, caller: string): Uint8Array {
  const dynamicAxes = spec.dynamicAxes ?? {};
  const b = new GraphBuilder();
  for (const { name } of [...spec.inputs, ...spec.outputs]) {
    if (b.uniqueName(name) !== name) throw new Error(`${caller}: the name '${name}' is given to two inputs or outputs`);
  }
  const typed = ({ name, meta }: ModelSpec["inputs"][number]) => valueInfo(name, meta.dtype, { shape: meta.shape, symbolic: dynamicAxes[name] });
  const values = spec.build(
    b,
    spec.inputs.map(({ name, meta }) => ({ name, shape: meta.shape, dtype: meta.dtype })),
  );
  b.current = undefined;
  spec.outputs.forEach(({ name }, i) => {
    b.nodes.push({ name: `output/${name}`, opType: "Identity", input: [values[i].name], output: [name], attribute: [], docString: "" });
  });
  // With symbolic dims the inner sizes recorded now would contradict the sizes fed later.
  const valueInfos = Object.keys(dynamicAxes).length === 0 ? b.valueInfos : [];
  const graph: MessageInitShape<typeof GraphProtoSchema> = {
    name: spec.graphName ?? "gradgraph",
    node: b.nodes,
    initializer: b.initializers,
    input: spec.inputs.map(typed),
    output: spec.outputs.map(typed),
    valueInfo: valueInfos,
  };
  const model = create(ModelProtoSchema, {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: BigInt(OPSET_VERSION) }],
    producerName: "gradgraph",
    producerVersion: "0.1.0",
    graph,
  });
  return toBinary(ModelProtoSchema, model);
}

/**
 * Nodes that are exported as a whole, in place of the graph that computed them: a recurrent
 * module's outputs as ONNX's own RNN/LSTM/GRU node, from the module's inputs (undefined for an
 * absent initial state), instead of the steps its forward unrolled into.
 */
export interface Substitute {
  readonly inputs: readonly (Tensor | undefined)[];
  readonly outputs: readonly Tensor[];
  build(b: GraphBuilder, inputs: readonly (OnnxTensor | undefined)[]): readonly OnnxValue[];
}

/**
 * The nodes to export, each after what it reads: a post-order walk from the outputs, in which a
 * substitute's output reads the substitute's inputs (the nodes between are not exported).
 */
function exportOrder(outputs: readonly Tensor[], substituteOf: ReadonlyMap<Tensor, Substitute>): Tensor[] {
  const order: Tensor[] = [];
  const state = new Map<Tensor, "open" | "done">();
  const readsOf = (node: Tensor): readonly Tensor[] => {
    const substitute = substituteOf.get(node);
    if (substitute !== undefined) return substitute.inputs.filter((t): t is Tensor => t !== undefined);
    return node.isLeaf ? [] : node.inputs;
  };
  for (const output of outputs) {
    const stack: Tensor[] = [output];
    while (stack.length > 0) {
      const node = stack[stack.length - 1];
      const seen = state.get(node);
      if (seen === "done") {
        stack.pop();
      } else if (seen === "open") {
        stack.pop();
        state.set(node, "done");
        order.push(node);
      } else {
        state.set(node, "open");
        // Pushed last to first, so the first input is exported first, as the graph lists it.
        const reads = readsOf(node);
        for (let i = reads.length - 1; i >= 0; i--) if (!state.has(reads[i])) stack.push(reads[i]);
      }
    }
  }
  return order;
}

/**
 * The ONNX model (a serialized ModelProto, opset 17) that computes `outputs` from `inputs`:
 * leaves that require gradients (parameters) are initializers under their own names, other
 * constants are initializers too, and every node's ONNX nodes are named after its op and scope.
 */
export function toOnnx(outputs: Tensor | readonly Tensor[], options: ToOnnxOptions): Uint8Array {
  return exportGraph(outputs, options, []);
}

/** `toOnnx`, with `substitutes` exported in place of the graphs that computed their outputs. */
export function exportGraph(outputs: Tensor | readonly Tensor[], options: ToOnnxOptions, substitutes: readonly Substitute[]): Uint8Array {
  const outputList: readonly Tensor[] = Array.isArray(outputs) ? outputs : [outputs as Tensor];
  const outputNames = options.outputNames ?? outputList.map((_, i) => `output_${i}`);
  if (outputNames.length !== outputList.length) {
    throw new Error(`toOnnx: ${outputList.length} outputs but ${outputNames.length} output names (${outputNames.join(", ")})`);
  }
  const inputs = namedInputs(options.inputs);
  const seen = new Set<Tensor>();
  for (const [name, t] of inputs) {
    if (!t.isLeaf) throw new Error(`toOnnx: input '${name}' is ${t.describe()}, not a placeholder or leaf`);
    if (seen.has(t)) throw new Error(`toOnnx: input '${name}' is given twice`);
    seen.add(t);
  }
  const substituteOf = new Map(substitutes.flatMap((s) => s.outputs.map((t) => [t, s] as const)));
  return encodeModel(
    {
      inputs: inputs.map(([name, t]) => ({ name, meta: t })),
      outputs: outputList.map((t, i) => ({ name: outputNames[i], meta: t })),
      dynamicAxes: options.dynamicAxes,
      graphName: options.graphName,
      build(b, inputValues) {
        const values = new Map<Tensor, OnnxTensor>(inputs.map(([, t], i) => [t, inputValues[i]]));
        for (const node of exportOrder(outputList, substituteOf)) {
          if (values.has(node)) continue;
          const substitute = substituteOf.get(node);
          if (substitute !== undefined) {
            const built = substitute.build(b, substitute.inputs.map((t) => (t === undefined ? undefined : values.get(t))));
            substitute.outputs.forEach((t, k) => values.set(t, { name: built[k].name, shape: t.shape, dtype: t.dtype }));
            continue;
          }
          if (node.isLeaf) {
            if (node.op === "placeholder") {
              throw new Error(`toOnnx: the outputs read placeholder ${node.describe()}, which is not among the inputs (${inputs.map(([n]) => n).join(", ") || "none"})`);
            }
            const name = options.names?.get(node) ?? node.name ?? (node.requiresGrad ? "parameter" : "const");
            values.set(node, { ...b.constant(node.leafValue!, node.shape, node.dtype, name), shape: node.shape, dtype: node.dtype });
            continue;
          }
          values.set(node, exportNode(b, node, values));
        }
        return outputList.map((t) => values.get(t)!);
      },
    },
    "toOnnx",
  );
}

/** One node's ONNX nodes, from its op's mapping; errors name the op and the node's module path. */
function exportNode(b: GraphBuilder, node: Tensor, values: ReadonlyMap<Tensor, OnnxTensor>): OnnxTensor {
  const mapping = node.def!.onnx;
  if (mapping === undefined) {
    throw new OpError(node.op, `toOnnx: the op has no ONNX mapping (a registerOp definition declares one in its 'onnx' field)`, { scope: node.scope });
  }
  b.current = { op: node.op, scope: node.scope, index: b.nodesExported++ };
  let result: OnnxValue;
  try {
    result = mapping(b, node.inputs.map((input) => values.get(input)!), node.attrs, node);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new OpError(node.op, `toOnnx: the ONNX mapping failed: ${message}`, { scope: node.scope, cause: error });
  }
  if (typeof result?.name !== "string") {
    throw new OpError(node.op, `toOnnx: the ONNX mapping must return a value the builder made, got ${String(result)}`, { scope: node.scope });
  }
  if (result.dtype !== undefined && result.dtype !== node.dtype) {
    throw new OpError(node.op, `toOnnx: the ONNX mapping gave a ${result.dtype} value for a ${node.dtype} node`, { scope: node.scope });
  }
  if (result.shape !== undefined && formatShape(result.shape) !== formatShape(node.shape)) {
    throw new OpError(node.op, `toOnnx: the ONNX mapping gave shape ${formatShape(result.shape)} for a node of shape ${formatShape(node.shape)}`, { scope: node.scope });
  }
  if (b.computed.has(result.name)) b.valueInfos.push(valueInfo(result.name, node.dtype, { shape: node.shape }));
  return { name: result.name, shape: node.shape, dtype: node.dtype };
}
