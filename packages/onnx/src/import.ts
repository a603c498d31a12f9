import { fromBinary } from "@bufbuild/protobuf";
import {
  type Attrs,
  type BuiltinOpName,
  type DType,
  type OpDef,
  type Tensor,
  apply,
  broadcastShapes,
  builtinOps,
  isFloat,
  mean,
  placeholder,
  tensor,
  where,
  withScope,
} from "@gradgraph/core";
import { type RecurrentOperator, unrollRecurrent } from "./importRecurrent";
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  type GraphProto,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  TensorProto_DataLocation,
  TensorProto_DataType,
  type TensorProto,
  type ValueInfoProto,
} from "./proto/onnx_pb";

/** What `fromOnnx` needs besides the bytes: the sizes of symbolic input dims. */
export interface FromOnnxOptions {
  /** Each graph input's shape, by name: required for an input with symbolic dims (`batch`), checked against the fixed ones. */
  readonly inputs?: Readonly<Record<string, readonly number[]>>;
}

/** The rebuilt graph: placeholders to feed, the outputs' tensors, and the initializers read as values (parameters and constants). */
export interface FromOnnxResult {
  /** The graph inputs as placeholders under their names: `assign()` them, then read the outputs. */
  readonly inputs: Record<string, Tensor>;
  /** The graph outputs by name. */
  readonly outputs: Record<string, Tensor>;
  /** The initializers the nodes read as values (parameters and constants), as leaves under their names; those read only as shapes or axes are not here. */
  readonly initializers: Record<string, Tensor>;
}

/**
 * The opsets whose operators the table below reads as written. 13 made the axes of ReduceSum,
 * Squeeze and Unsqueeze inputs; 18 those of the other reductions too (ReduceMax, ReduceMean, ...),
 * gave Split num_outputs, Pad an axes input and Resize axes (the table reads them), and added
 * Mish; its other changes are to operators the table does not read (CenterCropPad, Col2Im,
 * GroupNormalization, the bitwise ones, ...) or values it refuses (Resize's antialias and keep_aspect_ratio_policy, the max and min reductions of
 * ScatterElements and ScatterND).
 */
const OPSETS = { min: 13, max: 18 } as const;

/**
 * The most elements a value computed as the graph is built may hold (ConstantOfShape, Range, a
 * folded node): such values are shapes and small tables, and a hostile model must not make
 * fromOnnx allocate gigabytes.
 */
const FOLDED_ELEMENTS = 2 ** 24;

/** An error in the model, not in the code reading it: `fromOnnx: node 'x' (Tanh): ...`. */
class OnnxImportError extends Error {
  override name = "OnnxImportError";
}
const fail = (message: string, cause?: unknown): never => {
  throw new OnnxImportError(`fromOnnx: ${message}`, cause === undefined ? undefined : { cause });
};

/** ONNX element types as gradgraph dtypes; int64 (ONNX's index type) becomes int32, gradgraph's. */
const dtypeOf: Partial<Record<number, DType>> = {
  [TensorProto_DataType.FLOAT]: "float32",
  [TensorProto_DataType.DOUBLE]: "float64",
  [TensorProto_DataType.INT32]: "int32",
  [TensorProto_DataType.INT64]: "int32",
  [TensorProto_DataType.BOOL]: "bool",
};
const typeName = (dataType: number) => TensorProto_DataType[dataType] ?? `type ${dataType}`;

/** A value known when the graph is built (an initializer, a Constant node, shape arithmetic folded): numbers, row-major, its size checked against its dims. */
interface Constant {
  /** What it is, for errors: `initializer 'w'`, `node 'c' (Constant)`. */
  readonly what: string;
  readonly dataType: number;
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

const bytesPer: Partial<Record<number, number>> = {
  [TensorProto_DataType.FLOAT]: 4,
  [TensorProto_DataType.DOUBLE]: 8,
  [TensorProto_DataType.INT32]: 4,
  [TensorProto_DataType.INT64]: 8,
  [TensorProto_DataType.BOOL]: 1,
};

/** An int64 as a JS number; beyond ±2^53 (INT64_MAX as "to the end" in Slice) it is clamped, which only a bound can mean. */
const int64Number = (v: bigint) => Number(v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : v < BigInt(Number.MIN_SAFE_INTEGER) ? Number.MIN_SAFE_INTEGER : v);

function readDims(dims: readonly bigint[], what: string): number[] {
  return dims.map((d, i) => {
    if (d < 0n || d > 2n ** 31n) fail(`${what} has dim ${i} of size ${d}`);
    return Number(d);
  });
}

function readConstant(t: TensorProto, what: string): Constant {
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL) fail(`${what} is stored in an external file, which fromOnnx does not read`);
  const width = bytesPer[t.dataType];
  if (width === undefined) fail(`${what} is ${typeName(t.dataType)}; gradgraph reads FLOAT, DOUBLE, INT32, INT64 and BOOL`);
  const shape = readDims(t.dims, what);
  const size = shape.reduce((a, b) => a * b, 1);
  let values: number[];
  if (t.rawData.length > 0) {
    if (t.rawData.length !== size * width!) fail(`${what} of shape [${shape.join(", ")}] needs ${size * width!} bytes of raw_data, got ${t.rawData.length}`);
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const at = (i: number) => {
      switch (t.dataType) {
        case TensorProto_DataType.FLOAT: return view.getFloat32(i * 4, true);
        case TensorProto_DataType.DOUBLE: return view.getFloat64(i * 8, true);
        case TensorProto_DataType.INT32: return view.getInt32(i * 4, true);
        case TensorProto_DataType.INT64: return int64Number(view.getBigInt64(i * 8, true));
        default: return view.getUint8(i) !== 0 ? 1 : 0;
      }
    };
    values = Array.from({ length: size }, (_, i) => at(i));
  } else {
    // ONNX keeps bool and int32 in int32_data, int64 in int64_data.
    values =
      t.dataType === TensorProto_DataType.FLOAT ? t.floatData
      : t.dataType === TensorProto_DataType.DOUBLE ? t.doubleData
      : t.dataType === TensorProto_DataType.INT64 ? t.int64Data.map(int64Number)
      : t.int32Data;
    if (values.length !== size) fail(`${what} of shape [${shape.join(", ")}] needs ${size} values, got ${values.length}`);
  }
  return { what, dataType: t.dataType, shape, values };
}

/** A graph input's shape: fixed dims from the model, symbolic ones from `options.inputs`. */
function inputShape(info: ValueInfoProto, given: readonly number[] | undefined): number[] {
  const type = info.type?.value;
  if (type?.case !== "tensorType") fail(`input '${info.name}' is not a tensor`);
  const dims = (type!.value as { shape?: { dim: { value: { case?: string; value?: unknown } }[] } }).shape?.dim;
  if (dims === undefined) {
    if (given === undefined) fail(`input '${info.name}' has no shape in the model: give it in options.inputs`);
    return [...given!];
  }
  if (given !== undefined && given.length !== dims.length) fail(`input '${info.name}' has ${dims.length} dims in the model, options.inputs gives [${given.join(", ")}]`);
  return dims.map(({ value }, d) => {
    if (value.case === "dimValue") {
      const size = Number(value.value as bigint);
      if (given !== undefined && given[d] !== size) fail(`input '${info.name}' has size ${size} at dim ${d} in the model, options.inputs gives ${given[d]}`);
      if (!(size >= 0 && size <= 2 ** 31)) fail(`input '${info.name}' has dim ${d} of size ${size}`);
      return size;
    }
    if (given === undefined) fail(`input '${info.name}' has a symbolic dim ${d} (${String(value.value ?? "unnamed")}): give its shape in options.inputs`);
    return given![d];
  });
}

/** What a builder sees of one ONNX node: its inputs as tensors or as constants, its attributes checked by type. */
class NodeReader {
  constructor(
    readonly node: NodeProto,
    /** The model's default-domain opset: operators read some settings from attributes before 18, from inputs after. */
    readonly opset: number,
    private readonly tensorOf: (name: string) => Tensor,
    private readonly constantOf: (name: string) => Constant | undefined,
  ) {}

  get label(): string {
    return `node '${this.node.name}' (${this.node.opType})`;
  }

  has(i: number): boolean {
    return i < this.node.input.length && this.node.input[i] !== "";
  }

  input(i: number): Tensor {
    if (!this.has(i)) fail(`${this.label}: input ${i} is missing`);
    return this.tensorOf(this.node.input[i]);
  }

  inputs(): Tensor[] {
    return this.node.input.map((_, i) => this.input(i));
  }

  /** Input i's value when it is known as the graph is built, else undefined. */
  known(i: number): Constant | undefined {
    return this.has(i) ? this.constantOf(this.node.input[i]) : undefined;
  }

  /** Every input there is known: the node can be computed as the graph is built. */
  allKnown(): boolean {
    return this.node.input.every((name, i) => name === "" || this.known(i) !== undefined);
  }

  /** Input i's shape, whether it is known or computed. */
  shapeOf(i: number): readonly number[] {
    return this.known(i)?.shape ?? this.input(i).shape;
  }

  /** A constant input (shapes, axes, bounds): gradgraph fixes these in attributes, so they must be known as the graph is built. */
  constant(i: number, what: string): readonly number[] {
    if (!this.has(i)) fail(`${this.label}: input ${i} (${what}) is missing`);
    const found = this.known(i);
    if (found === undefined) {
      fail(`${this.label}: input ${i} (${what}) '${this.node.input[i]}' must be known as the graph is built (an initializer, a Constant node, or integer arithmetic on those and on shapes, which fromOnnx folds): gradgraph fixes it in the op; this one depends on values fed at run time`);
    }
    return found!.values;
  }

  scalar(i: number, what: string): number {
    const values = this.constant(i, what);
    if (values.length !== 1) fail(`${this.label}: input ${i} (${what}) must hold one value, got ${values.length}`);
    return values[0];
  }

  attribute(name: string, type: AttributeProto_AttributeType): AttributeProto | undefined {
    const found = this.node.attribute.find((a) => a.name === name);
    if (found !== undefined && found.type !== type) {
      fail(`${this.label}: attribute '${name}' must be ${AttributeProto_AttributeType[type]}, got ${AttributeProto_AttributeType[found.type] ?? `type ${found.type}`}`);
    }
    return found;
  }

  int(name: string, fallback: number): number {
    const a = this.attribute(name, AttributeProto_AttributeType.INT);
    return a === undefined ? fallback : int64Number(a.i);
  }

  requiredInt(name: string): number {
    const a = this.attribute(name, AttributeProto_AttributeType.INT);
    return a === undefined ? fail(`${this.label}: attribute '${name}' is missing`) : int64Number(a.i);
  }

  ints(name: string): number[] | undefined {
    return this.attribute(name, AttributeProto_AttributeType.INTS)?.ints.map(int64Number);
  }

  floats(name: string): number[] | undefined {
    return this.attribute(name, AttributeProto_AttributeType.FLOATS)?.floats;
  }

  tensor(name: string): TensorProto | undefined {
    const a = this.attribute(name, AttributeProto_AttributeType.TENSOR);
    if (a !== undefined && a.t === undefined) fail(`${this.label}: attribute '${name}' holds no tensor`);
    return a?.t;
  }

  /** A FLOAT attribute as the shortest decimal that rounds to its float32: 0.01, as written, rather than 0.009999999776. */
  float(name: string, fallback: number): number {
    const a = this.attribute(name, AttributeProto_AttributeType.FLOAT);
    return a === undefined ? fallback : shortestDecimal(a.f);
  }

  strings(name: string): string[] | undefined {
    return this.attribute(name, AttributeProto_AttributeType.STRINGS)?.strings.map((s) => new TextDecoder().decode(s));
  }

  string(name: string, fallback: string): string {
    const a = this.attribute(name, AttributeProto_AttributeType.STRING);
    return a === undefined ? fallback : new TextDecoder().decode(a.s);
  }

  /** An attribute gradgraph has only one value for (HardSigmoid's alpha = 1/6): another value is refused. */
  expect(name: string, actual: number, wanted: number): void {
    // FLOAT attributes hold float32: the constant toOnnx wrote comes back rounded.
    if (Math.fround(actual) !== Math.fround(wanted)) fail(`${this.label}: attribute '${name}' is ${actual}; gradgraph reads ${this.node.opType} with ${wanted} only`);
  }
}

/**
 * ONNX stores FLOAT attributes in float32, so the 0.01 a float64 graph was built with comes back
 * as 0.009999999776...: the shortest decimal with the same float32 is the number that was written.
 */
function shortestDecimal(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits < 9; digits++) {
    const decimal = Number(value.toPrecision(digits));
    if (Math.fround(decimal) === value) return decimal;
  }
  return value;
}

/** A registered gradgraph op on these inputs and attributes: the node toOnnx exported, rebuilt. */
const op = (name: BuiltinOpName, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor => apply(builtinOps[name] as OpDef<Attrs>, inputs, attrs);

type Builder = (n: NodeReader) => Tensor | Tensor[];

const unary = (name: BuiltinOpName): Builder => (n) => op(name, [n.input(0)]);
const binary = (name: BuiltinOpName): Builder => (n) => op(name, [n.input(0), n.input(1)]);

/** A dim as ONNX writes it (negative from the end) checked against the rank, as gradgraph's ops take it. */
function axis(n: NodeReader, value: number, rank: number, what = "axis"): number {
  if (!Number.isInteger(value) || value < -Math.max(rank, 1) || value >= Math.max(rank, 1)) fail(`${n.label}: ${what} ${value} is out of range for a tensor of rank ${rank}`);
  return value < 0 ? value + rank : value;
}

/**
 * A reduction over the axes its node lists: in an input (ReduceSum since opset 13, the others since
 * 18) or, before, in an attribute; none listed means every dim, or with noop_with_empty_axes
 * (where axes are an input) none, the input as it is.
 */
function reduction(reduce: (x: Tensor, dims: number[], keepdim: boolean) => Tensor, axesInputSince: 13 | 18 = 18): Builder {
  return (n) => {
    const x = n.input(0);
    const axesAsInput = n.opset >= axesInputSince;
    if (axesAsInput && n.ints("axes") !== undefined) fail(`${n.label}: attribute 'axes' was made input 1 in opset ${axesInputSince}; this model's opset is ${n.opset}`);
    if (!axesAsInput && n.has(1)) fail(`${n.label}: input 1 (axes) came in opset ${axesInputSince}; in this model's opset ${n.opset} axes are an attribute`);
    const axes = axesAsInput ? (n.has(1) ? n.constant(1, "axes") : []) : (n.ints("axes") ?? []);
    if (axes.length === 0 && axesAsInput && n.int("noop_with_empty_axes", 0) !== 0) return x;
    const dims = axes.length === 0 ? x.shape.map((_, d) => d) : axes.map((a) => axis(n, a, x.shape.length, "axes"));
    return reduce(x, dims, n.int("keepdims", 1) !== 0);
  };
}
const reduceOp = (name: "sum" | "max" | "min" | "prod") => (x: Tensor, dims: number[], keepdim: boolean) => op(name, [x], { dims, keepdim });
const sumOf = reduceOp("sum");

function argExtremum(name: "argmax" | "argmin"): Builder {
  return (n) => {
    const x = n.input(0);
    n.expect("select_last_index", n.int("select_last_index", 0), 0);
    return op(name, [x], { dim: axis(n, n.int("axis", 0), x.shape.length), keepdim: n.int("keepdims", 1) !== 0 });
  };
}

/** The shape after inserting (Unsqueeze) or removing (Squeeze) size-1 dims. */
function unsqueezed(n: NodeReader, shape: readonly number[], axes: readonly number[]): number[] {
  const rank = shape.length + axes.length;
  const inserted = new Set(axes.map((a) => axis(n, a, rank, "axes")));
  if (inserted.size !== axes.length) fail(`${n.label}: axes [${axes.join(", ")}] repeat a dim`);
  const rest = [...shape];
  return Array.from({ length: rank }, (_, d) => (inserted.has(d) ? 1 : rest.shift()!));
}

/** GatherND's and ScatterND's indices (..., k) as k int32 index tensors, one for each of the data's first k dims (gradgraph's advanced indexing). */
function leadingIndices(n: NodeReader, data: Tensor, indices: Tensor): Tensor[] {
  const k = indices.shape.at(-1) ?? 0;
  if (k < 1 || k > data.shape.length) fail(`${n.label}: indices of shape [${indices.shape.join(", ")}] for data of rank ${data.shape.length}: the last dim must be between 1 and the rank`);
  const last = indices.shape.length - 1;
  return Array.from({ length: k }, (_, j) => op("slice", [indices], { dim: last, start: j, end: j + 1, step: 1 }).reshape(indices.shape.slice(0, -1)));
}

/** Conv's and the pools' window attributes, ONNX's defaults filled in, auto_pad refused (toOnnx writes pads). */
function windowAttributes(n: NodeReader, spatial: number) {
  const autoPad = n.string("auto_pad", "NOTSET");
  if (autoPad !== "NOTSET") fail(`${n.label}: auto_pad '${autoPad}' is not read yet: write the pads`);
  const list = (name: string, length: number, fallback: number) => {
    const values = n.ints(name) ?? Array<number>(length).fill(fallback);
    if (values.length !== length || values.some((v) => !Number.isInteger(v) || v < (name === "pads" ? 0 : 1))) fail(`${n.label}: attribute '${name}' is [${values.join(", ")}]; ${length} values ${name === "pads" ? "≥ 0" : "≥ 1"} expected`);
    return values;
  };
  const pads = list("pads", 2 * spatial, 0);
  return { stride: list("strides", spatial, 1), dilation: list("dilations", spatial, 1), before: pads.slice(0, spatial), after: pads.slice(spatial) };
}

/**
 * ONNX's RNN, LSTM and GRU, unrolled: either layout, sequence lengths, clip, LSTM peepholes and both
 * GRU forms; other activations than the defaults (RNN: Tanh or Relu), their alpha and beta, and
 * LSTM's input_forget are refused by name.
 */
function recurrent(operator: RecurrentOperator): Builder {
  return (n) => {
    const direction = n.string("direction", "forward");
    if (!["forward", "reverse", "bidirectional"].includes(direction)) fail(`${n.label}: direction '${direction}' is not forward, reverse or bidirectional`);
    const directions = direction === "bidirectional" ? 2 : 1;
    const hiddenSize = n.requiredInt("hidden_size");
    if (!(Number.isSafeInteger(hiddenSize) && hiddenSize > 0)) fail(`${n.label}: attribute 'hidden_size' must be a positive integer, got ${hiddenSize}`);
    const layout = n.int("layout", 0);
    if (layout !== 0 && layout !== 1) fail(`${n.label}: attribute 'layout' is ${layout}, not 0 (seq first) or 1 (batch first)`);
    const clip = n.node.attribute.some((a) => a.name === "clip") ? n.float("clip", 0) : undefined;
    if (clip !== undefined && !(clip > 0)) fail(`${n.label}: attribute 'clip' is ${clip}; a positive threshold expected`);
    for (const name of ["activation_alpha", "activation_beta"]) if (n.node.attribute.some((a) => a.name === name)) fail(`${n.label}: attribute '${name}' is not read yet (the default activations take none)`);
    if (operator === "LSTM" && n.int("input_forget", 0) !== 0) fail(`${n.label}: attribute 'input_forget' 1 (coupled input and forget gates) is not read yet`);
    const linearBeforeReset = n.int("linear_before_reset", 0);
    if (operator === "GRU" && linearBeforeReset !== 0 && linearBeforeReset !== 1) fail(`${n.label}: attribute 'linear_before_reset' is ${linearBeforeReset}, not 0 or 1`);
    const defaults = operator === "RNN" ? ["Tanh"] : operator === "LSTM" ? ["Sigmoid", "Tanh", "Tanh"] : ["Sigmoid", "Tanh"];
    const activations = n.strings("activations") ?? Array.from({ length: directions }, () => defaults).flat();
    const allowed = (a: string, i: number) => (operator === "RNN" ? a === "Tanh" || a === "Relu" : a === defaults[i % defaults.length]);
    if (activations.length !== defaults.length * directions || !activations.every(allowed)) {
      fail(`${n.label}: activations [${activations.join(", ")}]; gradgraph reads ${operator === "RNN" ? "Tanh or Relu per direction" : `[${defaults.join(", ")}] per direction`}`);
    }
    const optional = (i: number) => (n.has(i) ? n.input(i) : undefined);
    const X = n.input(0);
    const sequenceLengths = optional(4);
    const known = n.has(4) ? n.known(4) : undefined;
    if (known !== undefined) {
      // Known lengths are checked here; lengths fed at run time past the steps count every step.
      const steps = X.shape[layout === 1 ? 1 : 0];
      const wrong = known.values.find((length) => !(length >= 0 && length <= steps));
      if (wrong !== undefined) fail(`${n.label}: input 4 (sequence_lens) holds ${wrong}; lengths from 0 to the ${steps} steps expected`);
    }
    return unrollRecurrent({
      operator, X, W: n.input(1), R: n.input(2), B: optional(3), sequenceLengths, initialH: optional(5),
      initialC: operator === "LSTM" ? optional(6) : undefined, peepholes: operator === "LSTM" ? optional(7) : undefined,
      hiddenSize, directions, reverse: direction === "reverse", batchFirst: layout === 1, clip, linearBeforeReset: linearBeforeReset === 1,
      activations: activations as ("Tanh" | "Relu")[],
    });
  };
}

/**
 * The inverse of the ONNX mappings in the op files: an ONNX operator as the gradgraph op that
 * exports to it, so an exported model reads back into the same nodes (compositions, as gelu's Erf
 * chain, come back as their parts).
 */
const builders: Record<string, Builder> = {
  Identity: (n) => n.input(0),
  Abs: unary("abs"), Acos: unary("acos"), Acosh: unary("acosh"), Asin: unary("asin"), Asinh: unary("asinh"),
  Atan: unary("atan"), Atanh: unary("atanh"), Ceil: unary("ceil"), Cos: unary("cos"), Cosh: unary("cosh"),
  Erf: unary("erf"), Exp: unary("exp"), Floor: unary("floor"), Log: unary("log"), Neg: unary("neg"),
  Reciprocal: unary("reciprocal"), Relu: unary("relu"), Round: unary("round"), Sigmoid: unary("sigmoid"),
  Sign: unary("sign"), Sin: unary("sin"), Sinh: unary("sinh"), Sqrt: unary("sqrt"), Tan: unary("tan"),
  Tanh: unary("tanh"), Softsign: unary("softsign"), HardSwish: unary("hardswish"), IsNaN: unary("isnan"),
  Not: unary("logicalNot"),
  // Opset 18's Mish: x · tanh(softplus(x)), as PyTorch's.
  Mish: unary("mish"),
  // ONNX's Softplus has no threshold: log(1 + exp(x)) everywhere.
  Softplus: (n) => op("softplus", [n.input(0)], { beta: 1, threshold: Infinity }),
  Add: binary("add"), Sub: binary("sub"), Mul: binary("mul"), Pow: binary("pow"),
  Div: (n) => {
    const [a, b] = [n.input(0), n.input(1)];
    if (isFloat(a.dtype)) return op("div", [a, b]);
    // ONNX divides integers toward zero (C's /), floorDivide rounds down: one up where they differ.
    const floor = a.floorDivide(b);
    return where(a.sub(floor.mul(b)).ne(0).logicalAnd(floor.lt(0)), floor.add(1), floor);
  },
  Max: binary("maximum"), Min: binary("minimum"), MatMul: binary("matmul"),
  Equal: binary("eq"), Less: binary("lt"), Greater: binary("gt"), LessOrEqual: binary("le"), GreaterOrEqual: binary("ge"),
  // Add and Mul of bools export as Or and And: gradgraph's logical ops give the same values.
  And: binary("logicalAnd"), Or: binary("logicalOr"), Xor: binary("logicalXor"),
  // fmod = 1 is C's fmod (the dividend's sign); 0 is Python's % (the divisor's), gradgraph's remainder.
  Mod: (n) => op(n.int("fmod", 0) === 1 ? "fmod" : "remainder", [n.input(0), n.input(1)]),
  Where: (n) => op("where", [n.input(0), n.input(1), n.input(2)]),
  LeakyRelu: (n) => op("leakyRelu", [n.input(0)], { negativeSlope: n.float("alpha", 0.01) }),
  Elu: (n) => op("elu", [n.input(0)], { alpha: n.float("alpha", 1) }),
  Celu: (n) => op("celu", [n.input(0)], { alpha: n.float("alpha", 1) }),
  Selu: (n) => {
    n.expect("alpha", n.float("alpha", 1.6732632423543772), 1.6732632423543772);
    n.expect("gamma", n.float("gamma", 1.0507009873554805), 1.0507009873554805);
    return op("selu", [n.input(0)]);
  },
  HardSigmoid: (n) => {
    n.expect("alpha", n.float("alpha", 0.2), 1 / 6);
    n.expect("beta", n.float("beta", 0.5), 0.5);
    return op("hardsigmoid", [n.input(0)]);
  },
  IsInf: (n) => {
    const x = n.input(0);
    const [negative, positive] = [n.int("detect_negative", 1) !== 0, n.int("detect_positive", 1) !== 0];
    if (negative && positive) return op("isinf", [x]);
    if (!negative && !positive) fail(`${n.label}: detect_negative and detect_positive are both 0`);
    return op("eq", [x, tensor(positive ? Infinity : -Infinity, { dtype: x.dtype })]);
  },
  Clip: (n) => {
    const bound = (i: number, what: string, fallback: number) => (n.has(i) ? n.scalar(i, what) : fallback);
    return op("clamp", [n.input(0)], { min: bound(1, "min", -Infinity), max: bound(2, "max", Infinity) });
  },
  Cast: (n) => {
    const to = n.requiredInt("to");
    const dtype = dtypeOf[to];
    if (dtype === undefined) fail(`${n.label}: attribute 'to' is ${typeName(to)}; gradgraph casts to FLOAT, DOUBLE, INT32, INT64 (as int32) and BOOL`);
    const x = n.input(0);
    return x.dtype === dtype ? x : op("cast", [x], { dtype: dtype! });
  },
  Reshape: (n) => {
    const x = n.input(0);
    const allowZero = n.int("allowzero", 0) !== 0;
    const shape = n.constant(1, "shape").map((size, d) => (size === 0 && !allowZero ? (x.shape[d] ?? fail(`${n.label}: size 0 at dim ${d} copies a dim the input (rank ${x.shape.length}) lacks`)) : size));
    return op("reshape", [x], { shape });
  },
  Expand: (n) => {
    const x = n.input(0);
    // ONNX's Expand broadcasts both ways: a size-1 requested dim keeps the input's size.
    return op("expand", [x], { shape: broadcastShapes("Expand", x.shape, n.constant(1, "shape")) });
  },
  Transpose: (n) => {
    const x = n.input(0);
    return op("permute", [x], { dims: n.ints("perm") ?? x.shape.map((_, d) => x.shape.length - 1 - d) });
  },
  Concat: (n) => {
    const inputs = n.inputs();
    if (inputs.length === 0) fail(`${n.label}: no inputs`);
    return op("concat", inputs, { dim: axis(n, n.requiredInt("axis"), inputs[0].shape.length) });
  },
  Unsqueeze: (n) => {
    const x = n.input(0);
    return op("reshape", [x], { shape: unsqueezed(n, x.shape, n.constant(1, "axes")) });
  },
  Squeeze: (n) => {
    const x = n.input(0);
    const axes = n.has(1) ? n.constant(1, "axes").map((a) => axis(n, a, x.shape.length, "axes")) : x.shape.flatMap((size, d) => (size === 1 ? [d] : []));
    for (const a of axes) if (x.shape[a] !== 1) fail(`${n.label}: dim ${a} has size ${x.shape[a]}, not 1`);
    return op("reshape", [x], { shape: x.shape.filter((_, d) => !axes.includes(d)) });
  },
  Slice: (n) => {
    const x = n.input(0);
    const starts = n.constant(1, "starts");
    const ends = n.constant(2, "ends");
    const axes = n.has(3) ? n.constant(3, "axes") : starts.map((_, i) => i);
    const steps = n.has(4) ? n.constant(4, "steps") : starts.map(() => 1);
    if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
      fail(`${n.label}: starts, ends, axes and steps must be as long, got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`);
    }
    return starts.reduce((sliced, start, i) => {
      const dim = axis(n, axes[i], x.shape.length, "axes");
      const size = x.shape[dim];
      if (steps[i] > 0) return op("slice", [sliced], { dim, start, end: ends[i], step: steps[i] });
      if (steps[i] === 0) fail(`${n.label}: step 0 on axis ${axes[i]}`);
      if (size === 0) return sliced;
      // A backward slice is the flipped dim sliced forward, from the mirror of start (clamped to
      // the dim, as ONNX clamps for negative steps) to the mirror of end (clamped to just before
      // the first element); over the whole dim it is flip, flip's export.
      const clamp = (value: number, low: number) => Math.min(Math.max(value < 0 ? value + size : value, low), size - 1);
      const [from, to] = [size - 1 - clamp(start, 0), size - 1 - clamp(ends[i], -1)];
      const flipped = op("flip", [sliced], { dims: [dim] });
      return from === 0 && to === size && steps[i] === -1 ? flipped : op("slice", [flipped], { dim, start: from, end: Math.max(from, to), step: -steps[i] });
    }, x);
  },
  ReduceSum: reduction(sumOf, 13),
  ReduceMax: reduction(reduceOp("max")),
  ReduceMin: reduction(reduceOp("min")),
  ReduceProd: reduction(reduceOp("prod")),
  ReduceMean: reduction((x, dims, keepdim) => mean(x, dims, keepdim)),
  ReduceL1: reduction((x, dims, keepdim) => sumOf(x.abs(), dims, keepdim)),
  ReduceL2: reduction((x, dims, keepdim) => sumOf(x.square(), dims, keepdim).sqrt()),
  ReduceSumSquare: reduction((x, dims, keepdim) => sumOf(x.square(), dims, keepdim)),
  TopK: (n) => {
    const x = n.input(0);
    const dim = axis(n, n.int("axis", -1), x.shape.length);
    const k = n.scalar(1, "k");
    if (!(Number.isInteger(k) && k >= 0 && k <= (x.shape[dim] ?? 1))) fail(`${n.label}: k ${k} is not between 0 and the size ${x.shape[dim] ?? 1} of dim ${dim}`);
    // Sorted or not, the k first of a stable sort are a valid answer: ties keep the lower index first, as ONNX says.
    const order = op("argsort", [x], { dim, descending: n.int("largest", 1) !== 0 });
    const indices = k === x.shape[dim] ? order : op("slice", [order], { dim, start: 0, end: k, step: 1 });
    return [op("gather", [x, indices], { dim }), indices];
  },
  ArgMax: argExtremum("argmax"),
  ArgMin: argExtremum("argmin"),
  Gather: (n) => {
    const x = n.input(0);
    const dim = axis(n, n.int("axis", 0), x.shape.length);
    const size = x.shape[dim];
    const known = n.known(1);
    const outOfRange = known?.values.find((i) => !(Number.isInteger(i) && i >= -size && i < size));
    if (outOfRange !== undefined) fail(`${n.label}: index ${outOfRange} is out of range for dim ${dim} of size ${size}`);
    // ONNX counts negative indices from the end; indexSelect wants them from the start.
    const index = known?.values.some((i) => i < 0) ? tensor(known.values.map((i) => (i < 0 ? i + size : i)), { shape: known.shape, dtype: "int32" }) : n.input(1);
    if (index.shape.length === 1) return op("indexSelect", [x, index], { dim });
    // Indices of any other rank (a scalar, as torch's x.size(0) exports): selected flat, then in the indices' shape.
    const picked = op("indexSelect", [x, index.reshape(index.shape.reduce((a, b) => a * b, 1))], { dim });
    return picked.reshape([...x.shape.slice(0, dim), ...index.shape, ...x.shape.slice(dim + 1)]);
  },
  Split: (n) => {
    const x = n.input(0);
    const dim = axis(n, n.int("axis", 0), x.shape.length);
    const size = x.shape[dim];
    const count = n.node.output.length;
    const numOutputs = n.opset >= 18 ? n.int("num_outputs", 0) : 0;
    if (numOutputs !== 0 && numOutputs !== count) fail(`${n.label}: attribute 'num_outputs' is ${numOutputs}, the node has ${count} outputs`);
    // Opset 18's num_outputs makes the last part the smaller one; without it the parts are equal.
    const part = numOutputs !== 0 ? Math.ceil(size / count) : size / count;
    const sizes = n.has(1) ? n.constant(1, "split") : Array.from({ length: count }, (_, i) => Math.max(0, Math.min(part, size - i * part)));
    if (sizes.length !== count || sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((a, b) => a + b, 0) !== size) {
      fail(`${n.label}: parts [${sizes.join(", ")}] for ${count} outputs do not split dim ${dim} of size ${size}`);
    }
    let start = 0;
    return sizes.map((s) => op("slice", [x], { dim, start, end: (start += s), step: 1 }));
  },
  Shape: (n) => {
    const shape = n.shapeOf(0);
    // Opset 15's start and end: negative from the end, clamped to the rank.
    const bound = (name: string, fallback: number) => {
      const b = n.int(name, fallback);
      return Math.min(Math.max(b < 0 ? b + shape.length : b, 0), shape.length);
    };
    const dims = shape.slice(bound("start", 0), bound("end", shape.length));
    return tensor(dims, { shape: [dims.length], dtype: "int32" });
  },
  Size: (n) => tensor(n.shapeOf(0).reduce((a, b) => a * b, 1), { dtype: "int32" }),
  ConstantOfShape: (n) => {
    const shape = n.constant(0, "shape");
    const size = shape.reduce((a, b) => a * b, 1);
    if (shape.some((d) => !Number.isInteger(d) || d < 0) || size > FOLDED_ELEMENTS) fail(`${n.label}: shape [${shape.join(", ")}] is no shape of at most ${FOLDED_ELEMENTS} elements, as fromOnnx builds constants`);
    const given = n.tensor("value");
    const value = given === undefined ? { dataType: TensorProto_DataType.FLOAT, values: [0] } : readConstant(given, `${n.label}: attribute 'value'`);
    if (value.values.length !== 1) fail(`${n.label}: attribute 'value' holds ${value.values.length} values, one expected`);
    return constantTensor({ what: n.label, dataType: value.dataType, shape, values: Array<number>(size).fill(value.values[0]) });
  },
  Range: (n) => {
    const [start, limit, delta] = [n.scalar(0, "start"), n.scalar(1, "limit"), n.scalar(2, "delta")];
    const count = Math.max(Math.ceil((limit - start) / delta), 0);
    if (!(count <= FOLDED_ELEMENTS)) fail(`${n.label}: start ${start}, limit ${limit} and delta ${delta} give no range of at most ${FOLDED_ELEMENTS} elements, as fromOnnx builds constants`);
    return constantTensor({ what: n.label, dataType: n.known(0)!.dataType, shape: [count], values: Array.from({ length: count }, (_, i) => start + i * delta) });
  },
  GatherND: (n) => {
    const x = n.input(0);
    if (n.int("batch_dims", 0) !== 0) fail(`${n.label}: batch_dims ${n.int("batch_dims", 0)} is not read yet (0 is)`);
    const indices = leadingIndices(n, x, n.input(1));
    return op("advancedIndex", [x, ...indices], { dims: indices.map((_, d) => d) });
  },
  ScatterND: (n) => {
    const x = n.input(0);
    const reduction = n.string("reduction", "none");
    if (reduction !== "none" && reduction !== "add") fail(`${n.label}: reduction '${reduction}' is not read yet (none and add are)`);
    const indices = leadingIndices(n, x, n.input(1));
    return op("indexPut", [x, n.input(2), ...indices], { dims: indices.map((_, d) => d), accumulate: reduction === "add" });
  },
  GatherElements: (n) => op("gather", [n.input(0), n.input(1)], { dim: axis(n, n.int("axis", 0), n.input(0).shape.length) }),
  ScatterElements: (n) => {
    const reduction = n.string("reduction", "none");
    // Opset 18's max and min are not read: where NaN meets a number gradgraph's amax (PyTorch's) and ONNX Runtime's may differ.
    if (reduction !== "none" && reduction !== "add" && reduction !== "mul") fail(`${n.label}: reduction '${reduction}' is not read yet (none, add and mul are)`);
    const [x, index, updates] = [n.input(0), n.input(1), n.input(2)];
    const dim = axis(n, n.int("axis", 0), x.shape.length);
    if (reduction === "mul") return op("scatterReduce", [x, index, updates], { dim, reduce: "prod", includeSelf: true });
    return op(reduction === "add" ? "scatterAdd" : "scatter", [x, index, updates], { dim });
  },
  CumSum: (n) => {
    const x = n.input(0);
    n.expect("exclusive", n.int("exclusive", 0), 0);
    return op("cumsum", [x], { dim: axis(n, n.scalar(1, "axis"), x.shape.length), reverse: n.int("reverse", 0) !== 0 });
  },
  Pad: (n) => {
    const x = n.input(0);
    const rank = x.shape.length;
    // Opset 18's axes input pads the dims it lists only; before, pads lists every dim.
    if (n.has(3) && n.opset < 18) fail(`${n.label}: input 3 (axes) came in opset 18; this model's opset is ${n.opset}`);
    const padded = n.has(3) ? n.constant(3, "axes").map((a) => axis(n, a, rank, "axes")) : x.shape.map((_, d) => d);
    if (new Set(padded).size !== padded.length) fail(`${n.label}: axes [${padded.join(", ")}] repeat a dim`);
    const listed = n.constant(1, "pads");
    if (listed.length !== 2 * padded.length) fail(`${n.label}: pads has ${listed.length} values for ${padded.length} padded dims, which need ${2 * padded.length}`);
    const amounts = Array<number>(2 * rank).fill(0);
    padded.forEach((d, i) => [amounts[d], amounts[rank + d]] = [listed[i], listed[padded.length + i]]);
    const mode = n.string("mode", "constant");
    const modes: Record<string, string> = { constant: "constant", reflect: "reflect", edge: "replicate" };
    if (!Object.hasOwn(modes, mode)) fail(`${n.label}: mode '${mode}' is not one of constant, reflect, edge`);
    // ONNX lists every dim's befores then its afters; gradgraph (and PyTorch) pairs from the last dim back.
    const pads = Array.from({ length: rank }, (_, p) => [amounts[rank - 1 - p], amounts[2 * rank - 1 - p]]).flat();
    return op("pad", [x], { pads, mode: modes[mode], ...(mode === "constant" ? { value: n.has(2) ? n.scalar(2, "constant_value") : 0 } : {}) });
  },
  Conv: (n) => {
    const [x, w] = [n.input(0), n.input(1)];
    const spatial = w.shape.length - 2;
    if (spatial < 1 || x.shape.length !== spatial + 2) fail(`${n.label}: input of shape [${x.shape.join(", ")}] and weight of shape [${w.shape.join(", ")}]: Conv reads (N, C, ...) inputs with a weight of the same rank`);
    const { stride, dilation, before, after } = windowAttributes(n, spatial);
    const kernel = w.shape.slice(2);
    // gradgraph's padding is the one before; the one after comes in as the number of windows.
    const outputSize = x.shape.slice(2).map((size, d) => Math.floor((size + before[d] + after[d] - (dilation[d] * (kernel[d] - 1) + 1)) / stride[d]) + 1);
    return op("conv", n.has(2) ? [x, w, n.input(2)] : [x, w], { stride, padding: before, dilation, groups: n.int("group", 1), outputSize });
  },
  ConvTranspose: (n) => {
    const [x, w] = [n.input(0), n.input(1)];
    const spatial = w.shape.length - 2;
    if (spatial < 1 || x.shape.length !== spatial + 2) fail(`${n.label}: input of shape [${x.shape.join(", ")}] and weight of shape [${w.shape.join(", ")}]: ConvTranspose reads (N, C, ...) inputs with a weight of the same rank`);
    if (n.ints("output_shape") !== undefined) fail(`${n.label}: attribute 'output_shape' is not read yet: write pads and output_padding`);
    const { stride, dilation, before, after } = windowAttributes(n, spatial);
    const kernel = w.shape.slice(2);
    const declared = n.ints("kernel_shape");
    if (declared !== undefined && declared.join() !== kernel.join()) fail(`${n.label}: kernel_shape [${declared.join(", ")}] is not the weight's [${kernel.join(", ")}]`);
    const outputPadding = n.ints("output_padding") ?? kernel.map(() => 0);
    if (outputPadding.length !== spatial || outputPadding.some((p) => !Number.isInteger(p) || p < 0)) fail(`${n.label}: attribute 'output_padding' is [${outputPadding.join(", ")}]; ${spatial} values ≥ 0 expected`);
    // The full adjoint, cropped by the pads either side, output_padding more at the end.
    const outputSize = x.shape.slice(2).map((size, d) => (size - 1) * stride[d] + dilation[d] * (kernel[d] - 1) + 1 - before[d] - after[d] + outputPadding[d]);
    return op("convTranspose", n.has(2) ? [x, w, n.input(2)] : [x, w], { stride, padding: before, dilation, groups: n.int("group", 1), outputSize });
  },
  Resize: (n) => {
    const x = n.input(0);
    const rank = x.shape.length;
    const mode = n.string("mode", "nearest");
    const coordinates = n.string("coordinate_transformation_mode", "half_pixel");
    // PyTorch's positions in ONNX's terms (as toOnnx and torch.onnx.export write them): nearest's
    // floor(o · in / out) is asymmetric with floor; linear's is half_pixel, or align_corners.
    // torch.onnx.export's pytorch_half_pixel is half_pixel but for an output of size 1 (checked below).
    const linear = mode === "linear" && ["half_pixel", "pytorch_half_pixel", "align_corners"].includes(coordinates);
    const nearest = mode === "nearest" && coordinates === "asymmetric" && n.string("nearest_mode", "round_prefer_floor") === "floor";
    if (!linear && !nearest) {
      fail(`${n.label}: mode '${mode}' with coordinate_transformation_mode '${coordinates}'${mode === "nearest" ? ` and nearest_mode '${n.string("nearest_mode", "round_prefer_floor")}'` : ""} is not read (gradgraph's interpolate is nearest asymmetric floor, or linear half_pixel or align_corners)`);
    }
    if (n.int("antialias", 0) !== 0) fail(`${n.label}: antialias 1 is not read (gradgraph's interpolate has none)`);
    if (n.string("keep_aspect_ratio_policy", "stretch") !== "stretch") fail(`${n.label}: keep_aspect_ratio_policy '${n.string("keep_aspect_ratio_policy", "stretch")}' is not read (stretch is)`);
    // Opset 18's axes: scales and sizes for the listed dims only, the others kept.
    const axes = (n.ints("axes") ?? x.shape.map((_, d) => d)).map((a) => axis(n, a, rank, "axes"));
    const listed = (values: readonly number[], what: string) => {
      if (values.length !== axes.length) fail(`${n.label}: ${what} has ${values.length} values for ${axes.length} dims`);
      const all: (number | undefined)[] = Array(rank).fill(undefined);
      axes.forEach((d, i) => (all[d] = values[i]));
      return all;
    };
    const givenScales = n.has(2) ? n.constant(2, "scales") : [];
    const givenSizes = n.has(3) ? n.constant(3, "sizes") : [];
    if ((givenScales.length > 0) === (givenSizes.length > 0)) fail(`${n.label}: exactly one of scales and sizes must be given`);
    const scales = givenScales.length > 0 ? listed(givenScales, "scales") : undefined;
    // ONNX Runtime sizes by floor(in · scale) in float32.
    const sizes = scales !== undefined ? x.shape.map((size, d) => (scales[d] === undefined ? size : Math.floor(Math.fround(size * Math.fround(scales[d]!))))) : listed(givenSizes, "sizes").map((size, d) => size ?? x.shape[d]);
    if (sizes.some((size) => !(Number.isInteger(size) && size >= 1))) fail(`${n.label}: output sizes [${sizes.join(", ")}] must be positive integers`);
    if (coordinates === "pytorch_half_pixel" && sizes.some((size, d) => size === 1 && x.shape[d] !== 1)) {
      fail(`${n.label}: pytorch_half_pixel to an output of size 1 reads position 0, where PyTorch's linear interpolation (gradgraph's) reads the middle`);
    }
    // gradgraph resamples the last dims of (N, C, ...) inputs; the two first keep their size.
    const spatial = rank - 2;
    if (spatial < 1 || spatial > 2 || sizes[0] !== x.shape[0] || sizes[1] !== x.shape[1]) fail(`${n.label}: resizing [${x.shape.join(", ")}] to [${sizes.join(", ")}]; gradgraph resamples the 1 or 2 dims after (N, C)`);
    return op("interpolate", [x], {
      mode,
      alignCorners: coordinates === "align_corners",
      outputSize: sizes.slice(2),
      // A scale factor places PyTorch's samples as ONNX's scale does; sizes alone place them by in / out.
      scales: sizes.slice(2).map((_, d) => scales?.[d + 2] ?? 0),
    });
  },
  AveragePool: (n) => {
    const x = n.input(0);
    const kernelSize = n.ints("kernel_shape") ?? fail(`${n.label}: attribute 'kernel_shape' is missing`);
    const { stride, dilation, before, after } = windowAttributes(n, kernelSize.length);
    if (dilation.some((d) => d !== 1)) fail(`${n.label}: dilations [${dilation.join(", ")}]: gradgraph's average pooling has none`);
    if (before.some((p, d) => p !== after[d])) fail(`${n.label}: pads [${[...before, ...after].join(", ")}] are not symmetric, as gradgraph's average pooling pads`);
    return op("avgPool", [x], { kernelSize, stride, padding: before, ceilMode: n.int("ceil_mode", 0) !== 0, countIncludePad: n.int("count_include_pad", 0) !== 0 });
  },
  MaxPool: (n) => {
    const x = n.input(0);
    const kernelSize = n.ints("kernel_shape") ?? fail(`${n.label}: attribute 'kernel_shape' is missing`);
    const spatial = kernelSize.length;
    if (x.shape.length !== spatial + 2) fail(`${n.label}: input of shape [${x.shape.join(", ")}] for a ${spatial}-d kernel: MaxPool reads (N, C, ...) inputs`);
    const { stride, dilation, before, after } = windowAttributes(n, spatial);
    if (before.some((p, d) => p !== after[d])) fail(`${n.label}: pads [${[...before, ...after].join(", ")}] are not symmetric, as gradgraph's max pooling pads`);
    if (n.int("storage_order", 0) !== 0) fail(`${n.label}: storage_order 1 (column-major indices) is not read yet`);
    const positions = op("maxPoolIndices", [x], { kernelSize, stride, padding: before, dilation, ceilMode: n.int("ceil_mode", 0) !== 0 });
    const values = op("maxPoolValues", [x, positions], { spatialDims: spatial });
    // ONNX's indices count over the whole tensor, gradgraph's within each (N, C) plane.
    const planeSize = x.shape.slice(2).reduce((a, b) => a * b, 1);
    const planes = x.shape[0] * x.shape[1];
    const offsets = tensor(Array.from({ length: planes }, (_, p) => p * planeSize), { shape: [x.shape[0], x.shape[1], ...kernelSize.map(() => 1)], dtype: "int32" });
    return [values, op("add", [positions, offsets])];
  },
  RNN: recurrent("RNN"), LSTM: recurrent("LSTM"), GRU: recurrent("GRU"),
  Trilu: (n) => op(n.int("upper", 1) !== 0 ? "triu" : "tril", [n.input(0)], { diagonal: n.has(1) ? n.scalar(1, "k") : 0 }),
};

/** The scope toOnnx wrote in the node's doc_string (`gradgraph tanh in 'rnn.l0.t2'`). */
function scopeOf(node: NodeProto): string | undefined {
  return /^gradgraph \S+ in '([^']+)'$/.exec(node.docString)?.[1];
}

/** The model's graph, and its opset of the default domain (one fromOnnx reads). */
function decode(bytes: Uint8Array): { graph: GraphProto; opset: number } {
  if (!(bytes instanceof Uint8Array)) fail(`the model must be a Uint8Array of ModelProto bytes, got ${bytes === null ? "null" : typeof bytes}`);
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (error) {
    return fail(`the bytes are not an ONNX ModelProto (${error instanceof Error ? error.message : String(error)})`, error);
  }
  const defaultDomain = model.opsetImport.find((o) => o.domain === "" || o.domain === "ai.onnx");
  const version = defaultDomain === undefined ? undefined : Number(defaultDomain.version);
  if (version === undefined || version < OPSETS.min || version > OPSETS.max) {
    fail(`the model imports opset ${version ?? "none"} of the default domain; fromOnnx reads opsets ${OPSETS.min} to ${OPSETS.max} (toOnnx writes 17)`);
  }
  if (model.graph === undefined) fail("the model has no graph");
  return { graph: model.graph!, opset: version! };
}

/**
 * The gradgraph graph of an ONNX model (opsets 13 to 18) of the operators toOnnx writes, and the
 * forms torch.onnx.export adds (Constant nodes, shape arithmetic, recurrent nodes with layout 1,
 * sequence lengths, clip, peepholes): graph inputs become placeholders, initializers constant
 * leaves under their names, each node the gradgraph op its operator is the export of, in the scope
 * its doc_string names. Constant nodes, Shape and Size, and integer arithmetic on known values are
 * computed as the graph is built (folded), so a Reshape can read a shape computed from shapes. The
 * bytes are untrusted: every name, attribute, size and the nodes' order are checked, and errors name the node.
 */
export function fromOnnx(bytes: Uint8Array, options: FromOnnxOptions = {}): FromOnnxResult {
  const { graph, opset } = decode(bytes);
  /** The values known as the graph is built: initializers, then Constant nodes and what is folded from them and from shapes. */
  const constants = new Map<string, Constant>();
  for (const t of graph.initializer) {
    if (t.name === "") fail("an initializer has no name");
    if (constants.has(t.name)) fail(`two initializers are named '${t.name}'`);
    constants.set(t.name, readConstant(t, `initializer '${t.name}'`));
  }
  const initializerNames = new Set(constants.keys());
  const values = new Map<string, Tensor>();
  const inputs: Record<string, Tensor> = {};
  for (const info of graph.input) {
    // Before IR version 4 initializers were listed as inputs too: those are not fed.
    if (constants.has(info.name)) continue;
    if (values.has(info.name)) fail(`two inputs are named '${info.name}'`);
    const type = info.type?.value;
    const dtype = type?.case === "tensorType" ? dtypeOf[type.value.elemType] : undefined;
    if (dtype === undefined) fail(`input '${info.name}' is ${type?.case === "tensorType" ? typeName(type.value.elemType) : "not a tensor"}; gradgraph reads FLOAT, DOUBLE, INT32, INT64 and BOOL`);
    const shape = inputShape(info, options.inputs?.[info.name]);
    let slot: Tensor;
    try {
      slot = placeholder(shape, dtype!, info.name);
    } catch (error) {
      return fail(`input '${info.name}' of shape [${shape.join(", ")}]: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    values.set(info.name, slot);
    inputs[info.name] = slot;
  }
  for (const name of Object.keys(options.inputs ?? {})) if (inputs[name] === undefined) fail(`options.inputs names '${name}', which is not an input of the model (${Object.keys(inputs).join(", ") || "none"})`);

  const producedLater = new Map<string, NodeProto>();
  for (const node of graph.node) for (const output of node.output) if (output !== "") producedLater.set(output, node);
  const initializers: Record<string, Tensor> = {};
  const tensorOf = (reader: () => string) => (name: string): Tensor => {
    const known = values.get(name);
    if (known !== undefined) return known;
    const constant = constants.get(name);
    if (constant !== undefined) {
      const t = constantTensor(constant);
      values.set(name, t);
      if (initializerNames.has(name)) {
        t.name = name;
        initializers[name] = t;
      }
      return t;
    }
    const later = producedLater.get(name);
    return fail(
      later !== undefined
        ? `${reader()} reads '${name}', which node '${later.name}' (${later.opType}) computes after it: the nodes must be in topological order, and the graph must have no cycle`
        : `${reader()} reads '${name}', which no input, initializer or node defines`,
    );
  };

  for (const node of graph.node) {
    const readInput = tensorOf(() => `node '${node.name}' (${node.opType})`);
    const reader = new NodeReader(node, opset, readInput, (name) => constants.get(name));
    const define = (name: string) => {
      if (values.has(name) || constants.has(name)) fail(`${reader.label}: output '${name}' is defined twice`);
      producedLater.delete(name);
    };
    if (node.opType === "Constant" && (node.domain === "" || node.domain === "ai.onnx")) {
      const value = constantNode(reader);
      define(node.output[0]);
      constants.set(node.output[0], value);
      continue;
    }
    if (folds(reader)) {
      // Computed now on constant leaves of its own, so shape arithmetic leaves no nodes in the graph.
      const onConstants = new NodeReader(node, opset, (name) => (constants.has(name) ? constantTensor(constants.get(name)!) : readInput(name)), (name) => constants.get(name));
      const results = buildNode(onConstants);
      if (node.output.length > results.length) fail(`${reader.label}: ${node.output.length} outputs, the operator has ${results.length}`);
      node.output.forEach((name, i) => {
        if (name === "") return;
        define(name);
        constants.set(name, evaluated(reader, results[i]));
      });
      continue;
    }
    const results = buildNode(reader);
    // Trailing outputs may be left out (an RNN's Y_h when only Y is read).
    if (node.output.length > results.length) fail(`${reader.label}: ${node.output.length} outputs, the operator has ${results.length}`);
    node.output.forEach((name, i) => {
      if (name === "") return;
      define(name);
      values.set(name, results[i]);
    });
  }
  const outputs: Record<string, Tensor> = {};
  for (const info of graph.output) outputs[info.name] = tensorOf(() => `graph output '${info.name}'`)(info.name);
  return { inputs, outputs, initializers };
}

function constantTensor({ what, dataType, shape, values }: Constant): Tensor {
  const dtype = dtypeOf[dataType]!;
  if (dtype === "int32" && values.some((v) => v !== (v | 0))) fail(`${what} holds a value beyond int32, gradgraph's index type`);
  return tensor(values, { shape, dtype });
}

/** The data types of values computed as the graph is built: an int32 is ONNX's int64 there, as shapes and indices are. */
const dataTypeOf: Record<DType, number> = {
  float32: TensorProto_DataType.FLOAT,
  float64: TensorProto_DataType.DOUBLE,
  int32: TensorProto_DataType.INT64,
  bool: TensorProto_DataType.BOOL,
};

/**
 * Whether the node is computed as the graph is built: Shape and Size read shapes only, which are
 * fixed; other operators when every input is known and integer or bool (shape arithmetic: Gather,
 * Unsqueeze, Concat, Cast, ...). Floats stay in the graph, so parameters stay leaves.
 */
function folds(n: NodeReader): boolean {
  if (n.node.opType === "Shape" || n.node.opType === "Size") return true;
  const integral = [TensorProto_DataType.INT64, TensorProto_DataType.INT32, TensorProto_DataType.BOOL];
  return n.node.input.some((name) => name !== "") && n.allKnown() && n.node.input.every((name, i) => name === "" || integral.includes(n.known(i)!.dataType));
}

/** A folded node's output as a known value; an error evaluating it is the node's. */
function evaluated(n: NodeReader, t: Tensor): Constant {
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (size > FOLDED_ELEMENTS) fail(`${n.label}: its output of shape [${t.shape.join(", ")}] is computed as the graph is built, and holds more than ${FOLDED_ELEMENTS} elements`);
  try {
    return { what: `${n.label}'s output`, dataType: dataTypeOf[t.dtype], shape: t.shape, values: Array.from(t.data(), Number) };
  } catch (error) {
    return fail(`${n.label}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

/** A Constant node's value: its one attribute, a tensor (`value`) or numbers (`value_float(s)`, `value_int(s)`). */
function constantNode(n: NodeReader): Constant {
  const T = AttributeProto_AttributeType;
  if (n.node.input.length !== 0 || n.node.output.length !== 1 || n.node.output[0] === "") fail(`${n.label}: a Constant has no inputs and one output, got ${n.node.input.length} and ${n.node.output.length}`);
  const names = n.node.attribute.map((a) => a.name);
  if (names.length !== 1) fail(`${n.label}: one value attribute expected, got ${names.length} ([${names.join(", ")}])`);
  const what = `${n.label}'s value`;
  switch (names[0]) {
    case "value":
      return readConstant(n.tensor("value")!, what);
    case "value_float":
      return { what, dataType: TensorProto_DataType.FLOAT, shape: [], values: [n.attribute("value_float", T.FLOAT)!.f] };
    case "value_floats": {
      const values = n.floats("value_floats")!;
      return { what, dataType: TensorProto_DataType.FLOAT, shape: [values.length], values };
    }
    case "value_int":
      return { what, dataType: TensorProto_DataType.INT64, shape: [], values: [n.requiredInt("value_int")] };
    case "value_ints": {
      const values = n.ints("value_ints")!;
      return { what, dataType: TensorProto_DataType.INT64, shape: [values.length], values };
    }
    default:
      return fail(`${n.label}: attribute '${names[0]}' is not read (gradgraph reads value, value_float(s) and value_int(s); it has no strings or sparse tensors)`);
  }
}

/** The node's outputs from its builder, in the scope toOnnx wrote; any error is the model's, named by the node. */
function buildNode(n: NodeReader): Tensor[] {
  const { node } = n;
  if (node.domain !== "" && node.domain !== "ai.onnx") fail(`${n.label}: operator domain '${node.domain}' is not ONNX's default domain`);
  const builder = Object.hasOwn(builders, node.opType) ? builders[node.opType] : undefined;
  if (builder === undefined) {
    fail(`${n.label}: unknown operator (fromOnnx reads the operators toOnnx writes)`);
  }
  const scope = scopeOf(node);
  try {
    const result = scope === undefined ? builder!(n) : withScope(scope, () => builder!(n));
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    if (error instanceof OnnxImportError) throw error;
    return fail(`${n.label}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}
