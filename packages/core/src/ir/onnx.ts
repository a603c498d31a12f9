import type { DType } from "../basics/dtype";
import type { Attrs } from "./attrs";
import type { TensorMeta } from "./registry";

/**
 * What an op's ONNX mapping sees: a builder of ONNX nodes, declared here with no protobuf in
 * sight. `@gradgraph/onnx` implements it (opset 17, the default domain); a user's op declares its
 * mapping through `registerOp` like a built-in.
 */

/** The element types of ONNX values a mapping builds: gradgraph's four, and int64 for indices, shapes and axes. */
export type OnnxDType = DType | "int64";

/** A value of the ONNX graph being built: its name there, and its shape and element type where known. */
export interface OnnxValue {
  readonly name: string;
  readonly shape?: readonly number[];
  readonly dtype?: OnnxDType;
}

/** A gradgraph node's value in the ONNX graph: shape and dtype always known. */
export interface OnnxTensor extends TensorMeta {
  readonly name: string;
}

/**
 * An ONNX attribute: a number or list of numbers is INT / INTS (axes, perm, keepdims: most are),
 * `{ float }` / `{ floats }` is FLOAT / FLOATS, a string is STRING, `{ strings }` is STRINGS.
 */
export type OnnxAttr =
  | number
  | readonly number[]
  | string
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] };
/** An ONNX node's attributes by name; an undefined one is left out. */
export type OnnxAttrs = Readonly<Record<string, OnnxAttr | undefined>>;

/** What an op's ONNX mapping builds with: nodes of the default domain (opset 17) and constants. */
export interface OnnxBuilder {
  /**
   * Adds a node of ONNX operator `opType` and returns its output (its first, when `outputs` asks
   * for more). `null` is an omitted optional input; `meta` gives the output's type for value_info.
   */
  op(opType: string, inputs: readonly (OnnxValue | null)[], attrs?: OnnxAttrs, meta?: { shape?: readonly number[]; dtype?: OnnxDType }): OnnxValue;
  /** Adds a node of an ONNX operator with several outputs (MaxPool's values and indices) and returns the first `count`. */
  opOutputs(opType: string, inputs: readonly (OnnxValue | null)[], attrs: OnnxAttrs, count: number): OnnxValue[];
  /** A constant (an initializer) of these values, row-major. */
  constant(values: ArrayLike<number>, shape: readonly number[], dtype: OnnxDType): OnnxValue;
  /** A 1-D int64 constant: the shapes, axes, starts and ends that ONNX takes as inputs. */
  int64s(values: readonly number[]): OnnxValue;
  /** A scalar constant of `dtype` (an operand of Add, Pow, Where, ...). */
  scalar(value: number, dtype: OnnxDType): OnnxValue;
  /** `x` cast to `dtype` (the same value when it already is). */
  cast(x: OnnxValue, dtype: OnnxDType): OnnxValue;
}

/**
 * An op's ONNX meaning: builds the nodes that compute the output from the inputs' values and
 * returns the value that is the output (of the output's shape and dtype).
 */
export type OnnxMapping<A extends Attrs> = (b: OnnxBuilder, inputs: readonly OnnxTensor[], attrs: A, output: TensorMeta) => OnnxValue;
