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
  placeholder,
  tensor,
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

/** The opsets whose operators the table below reads as written (axes of ReduceSum, Squeeze, Unsqueeze as inputs; of ReduceMax as attributes). */
const OPSETS = { min: 13, max: 17 } as const;

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

/** An initializer's values as numbers, row-major, its size checked against its dims. */
interface Constant {
  readonly name: string;
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

function readConstant(t: TensorProto): Constant {
  const what = `initializer '${t.name}'`;
  if (t.name === "") fail("an initializer has no name");
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
  return { name: t.name, dataType: t.dataType, shape, values };
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

  /** A constant input (shapes, axes, bounds): gradgraph fixes these in attributes, so they must be initializers. */
  constant(i: number, what: string): readonly number[] {
    if (!this.has(i)) fail(`${this.label}: input ${i} (${what}) is missing`);
    const found = this.constantOf(this.node.input[i]);
    if (found === undefined) fail(`${this.label}: input ${i} (${what}) '${this.node.input[i]}' must be an initializer: gradgraph fixes it when the graph is built`);
    return found!.values;
  }

  scalar(i: number, what: string): number {
    const values = this.constant(i, what);
    if (values.length !== 1) fail(`${this.label}: input ${i} (${what}) must hold one value, got ${values.length}`);
    return values[0];
  }

  private attribute(name: string, type: AttributeProto_AttributeType): AttributeProto | undefined {
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

function reduction(name: "max" | "min" | "prod"): Builder {
  return (n) => {
    const x = n.input(0);
    const axes = n.ints("axes") ?? x.shape.map((_, d) => d);
    return op(name, [x], { dims: axes.map((a) => axis(n, a, x.shape.length, "axes")), keepdim: n.int("keepdims", 1) !== 0 });
  };
}

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

/** ONNX's RNN, LSTM and GRU with the options PyTorch's modules have (no clip, peepholes, sequence lengths), unrolled. */
function recurrent(operator: RecurrentOperator): Builder {
  return (n) => {
    const direction = n.string("direction", "forward");
    if (!["forward", "reverse", "bidirectional"].includes(direction)) fail(`${n.label}: direction '${direction}' is not forward, reverse or bidirectional`);
    const directions = direction === "bidirectional" ? 2 : 1;
    const hiddenSize = n.requiredInt("hidden_size");
    if (!(Number.isSafeInteger(hiddenSize) && hiddenSize > 0)) fail(`${n.label}: attribute 'hidden_size' must be a positive integer, got ${hiddenSize}`);
    if (n.int("layout", 0) !== 0) fail(`${n.label}: layout 1 (batch first) is not read yet`);
    if (n.node.attribute.some((a) => a.name === "clip")) fail(`${n.label}: attribute 'clip' is not read yet`);
    if (n.has(4)) fail(`${n.label}: input 4 (sequence_lens) is not read yet`);
    if (operator === "LSTM" && (n.has(7) || n.int("input_forget", 0) !== 0)) fail(`${n.label}: peepholes and input_forget are not read yet`);
    if (operator === "GRU" && n.int("linear_before_reset", 0) !== 1) fail(`${n.label}: linear_before_reset 0 is not read yet (PyTorch's GRU is linear_before_reset 1)`);
    const defaults = operator === "RNN" ? ["Tanh"] : operator === "LSTM" ? ["Sigmoid", "Tanh", "Tanh"] : ["Sigmoid", "Tanh"];
    const activations = n.strings("activations") ?? Array.from({ length: directions }, () => defaults).flat();
    const allowed = (a: string, i: number) => (operator === "RNN" ? a === "Tanh" || a === "Relu" : a === defaults[i % defaults.length]);
    if (activations.length !== defaults.length * directions || !activations.every(allowed)) {
      fail(`${n.label}: activations [${activations.join(", ")}]; gradgraph reads ${operator === "RNN" ? "Tanh or Relu per direction" : `[${defaults.join(", ")}] per direction`}`);
    }
    const optional = (i: number) => (n.has(i) ? n.input(i) : undefined);
    return unrollRecurrent({
      operator, X: n.input(0), W: n.input(1), R: n.input(2), B: optional(3), initialH: optional(5), initialC: operator === "LSTM" ? optional(6) : undefined,
      hiddenSize, directions, reverse: direction === "reverse", activations: activations as ("Tanh" | "Relu")[],
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
  // ONNX's Softplus has no threshold: log(1 + exp(x)) everywhere.
  Softplus: (n) => op("softplus", [n.input(0)], { beta: 1, threshold: Infinity }),
  Add: binary("add"), Sub: binary("sub"), Mul: binary("mul"), Div: binary("div"), Pow: binary("pow"),
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
      // A backward slice over the whole dim is flip's export; others are not written yet.
      const whole = steps[i] === -1 && (start === -1 || start >= size - 1) && ends[i] < -size;
      if (!whole) fail(`${n.label}: a negative step (${steps[i]}) is read only over a whole dim (start -1, end before the first element)`);
      return op("flip", [sliced], { dims: [dim] });
    }, x);
  },
  ReduceSum: (n) => {
    const x = n.input(0);
    const axes = n.has(1) ? n.constant(1, "axes") : [];
    const all = axes.length === 0 && n.int("noop_with_empty_axes", 0) === 0;
    const dims = all ? x.shape.map((_, d) => d) : axes.map((a) => axis(n, a, x.shape.length, "axes"));
    return op("sum", [x], { dims, keepdim: n.int("keepdims", 1) !== 0 });
  },
  ReduceMax: reduction("max"),
  ReduceMin: reduction("min"),
  ReduceProd: reduction("prod"),
  ArgMax: argExtremum("argmax"),
  ArgMin: argExtremum("argmin"),
  Gather: (n) => {
    const [x, index] = [n.input(0), n.input(1)];
    if (index.shape.length !== 1) fail(`${n.label}: indices of shape [${index.shape.join(", ")}]; only 1-D indices (index_select) are read yet`);
    return op("indexSelect", [x, index], { dim: axis(n, n.int("axis", 0), x.shape.length) });
  },
  GatherElements: (n) => op("gather", [n.input(0), n.input(1)], { dim: axis(n, n.int("axis", 0), n.input(0).shape.length) }),
  ScatterElements: (n) => {
    const reduction = n.string("reduction", "none");
    if (reduction !== "none" && reduction !== "add") fail(`${n.label}: reduction '${reduction}' is not read yet (none and add are)`);
    return op(reduction === "add" ? "scatterAdd" : "scatter", [n.input(0), n.input(1), n.input(2)], { dim: axis(n, n.int("axis", 0), n.input(0).shape.length) });
  },
  CumSum: (n) => {
    const x = n.input(0);
    n.expect("exclusive", n.int("exclusive", 0), 0);
    return op("cumsum", [x], { dim: axis(n, n.scalar(1, "axis"), x.shape.length), reverse: n.int("reverse", 0) !== 0 });
  },
  Pad: (n) => {
    const x = n.input(0);
    const rank = x.shape.length;
    const amounts = n.constant(1, "pads");
    if (amounts.length !== 2 * rank) fail(`${n.label}: pads has ${amounts.length} values for a tensor of rank ${rank}, which needs ${2 * rank}`);
    if (n.has(3)) fail(`${n.label}: the axes input is not read yet`);
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

function decode(bytes: Uint8Array): GraphProto {
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
  return model.graph!;
}

/**
 * The gradgraph graph of an ONNX model of the subset toOnnx writes (opset 13 to 17): graph
 * inputs become placeholders, initializers constant leaves under their names, each node the
 * gradgraph op its operator is the export of, in the scope its doc_string names. The bytes are
 * untrusted: every name, attribute, size and the nodes' order are checked, and errors name the node.
 */
export function fromOnnx(bytes: Uint8Array, options: FromOnnxOptions = {}): FromOnnxResult {
  const graph = decode(bytes);
  const constants = new Map<string, Constant>();
  for (const t of graph.initializer) {
    if (constants.has(t.name)) fail(`two initializers are named '${t.name}'`);
    constants.set(t.name, readConstant(t));
  }
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
      initializers[name] = t;
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
    const reader = new NodeReader(node, tensorOf(() => `node '${node.name}' (${node.opType})`), (name) => constants.get(name));
    const results = buildNode(reader);
    // Trailing outputs may be left out (an RNN's Y_h when only Y is read).
    if (node.output.length > results.length) fail(`${reader.label}: ${node.output.length} outputs, the operator has ${results.length}`);
    node.output.forEach((name, i) => {
      if (name === "") return;
      if (values.has(name) || constants.has(name)) fail(`${reader.label}: output '${name}' is defined twice`);
      values.set(name, results[i]);
      producedLater.delete(name);
    });
  }
  const outputs: Record<string, Tensor> = {};
  for (const info of graph.output) outputs[info.name] = tensorOf(() => `graph output '${info.name}'`)(info.name);
  return { inputs, outputs, initializers };
}

function constantTensor({ name, dataType, shape, values }: Constant): Tensor {
  const dtype = dtypeOf[dataType]!;
  if (dtype === "int32" && values.some((v) => v !== (v | 0))) fail(`initializer '${name}' holds a value beyond int32, gradgraph's index type`);
  const t = tensor(values, { shape, dtype });
  t.name = name;
  return t;
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
