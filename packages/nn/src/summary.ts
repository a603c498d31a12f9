/**
 * `summary(model, input)`: a table in the manner of torchinfo's — each module (its path and
 * class), the shapes its forward returned, the parameters it holds — and the model's totals.
 * The forward pass only builds the graph (shapes come from the shape rules; nothing is
 * computed), in eval mode so that no dropout mask is drawn and no running statistic moves.
 */
import { type DType, Tensor, formatShape, sizeOf, zeros } from "@gradgraph/core";
import { type AnyModule, type HookHandle, Module } from "./module";
import { describeValue, readOptions } from "./validation";

/** Options of `summary`: the dtypes of the inputs it builds from shapes. */
export interface SummaryOptions {
  /**
   * The dtype of the zeros built for input shapes: one for every input, or one per input;
   * "float32" by default ("int32" for an Embedding's indices).
   */
  dtypes?: DType | readonly DType[];
}

/** One module's row of a `summary`. */
export interface SummaryRow {
  /** The module's path from the model, "" for the model itself (the keys of `namedModules()`). */
  path: string;
  /** Its class name. */
  type: string;
  /** 0 for the model, 1 for its children, ... */
  depth: number;
  /** The shape of every tensor its first forward returned, in order (`[output, hN]` gives two); undefined if it never ran. */
  outputShapes: number[][] | undefined;
  /** The number of elements of the parameters it holds itself, its children's not included. */
  parameters: number;
}

/** What `summary` gives: a row per module, the model's parameter counts, and the table as text. */
export interface ModelSummary {
  /** Every module, in the order of `namedModules()`. */
  rows: SummaryRow[];
  /** Elements of every parameter of the model, each shared parameter once. */
  totalParameters: number;
  /** Those of the parameters that require gradients. */
  trainableParameters: number;
  /** The table. */
  toString(): string;
}

/** A shape: integers of at least 0. */
function isShape(value: unknown): value is readonly number[] {
  return Array.isArray(value) && value.every((d) => Number.isInteger(d) && d >= 0);
}

/** The forward's arguments: the tensors given, or zeros of the shapes given. */
function readInputs(input: unknown, dtypes: SummaryOptions["dtypes"]): Tensor[] {
  const expected = "a shape (number[]), several shapes (number[][]), a Tensor or Tensors";
  if (input instanceof Tensor) return [input];
  if (!Array.isArray(input)) throw new TypeError(`summary: input must be ${expected}, got ${describeValue(input)}`);
  if (input.every((item) => item instanceof Tensor)) return input;
  const shapes: readonly number[][] = isShape(input) ? [input] : input;
  if (!shapes.every(isShape)) throw new TypeError(`summary: input must be ${expected}, got ${JSON.stringify(input)}`);
  const dtypeList = typeof dtypes === "string" || dtypes === undefined ? shapes.map(() => dtypes ?? "float32") : dtypes;
  if (!Array.isArray(dtypeList) || dtypeList.length !== shapes.length) {
    throw new TypeError(`summary: dtypes must be one dtype or one per input shape (${shapes.length}), got ${describeValue(dtypes)}`);
  }
  return shapes.map((shape, i) => zeros(shape, { dtype: dtypeList[i] }));
}

/** The tensors of a forward's output (a Tensor, or arrays of them, as RNN's `[output, hN]` and LSTM's `[output, [hN, cN]]`). */
function tensorsIn(output: unknown): Tensor[] {
  if (output instanceof Tensor) return [output];
  return Array.isArray(output) ? output.flatMap(tensorsIn) : [];
}

/** Runs `model` on `input` (shapes or sample tensors) and tabulates its modules; see the file's comment. */
export function summary(model: AnyModule, input: readonly number[] | readonly (readonly number[])[] | Tensor | readonly Tensor[], options?: SummaryOptions): ModelSummary {
  if (!(model instanceof Module)) throw new TypeError(`summary: model must be a Module, got ${describeValue(model)}`);
  const { dtypes } = readOptions("summary", options, ["dtypes"]);
  const inputs = readInputs(input, dtypes);
  const modules = model.namedModules();
  const outputs = new Map<string, number[][]>();
  const hooks: HookHandle[] = modules.map(([path, module]) =>
    module.registerForwardHook((_, __, output) => {
      if (!outputs.has(path)) outputs.set(path, tensorsIn(output).map((t) => [...t.shape]));
    }),
  );
  const modes = modules.map(([, module]) => module.training);
  try {
    model.eval();
    model.forward(...inputs);
  } catch (err) {
    const given = inputs.map((t) => `${t.dtype} ${formatShape(t.shape)}`).join(", ");
    throw new Error(`summary: ${model.constructor.name}'s forward failed on ${given}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    for (const hook of hooks) hook.remove();
    modules.forEach(([, module], i) => (module.training = modes[i]));
  }
  const rows = modules.map(([path, module]): SummaryRow => ({
    path,
    type: module.constructor.name,
    depth: path === "" ? 0 : path.split(".").length,
    outputShapes: outputs.get(path),
    parameters: module
      .namedParameters()
      .filter(([key]) => !key.includes("."))
      .reduce((sum, [, p]) => sum + sizeOf(p.shape), 0),
  }));
  const parameters = model.parameters();
  const count = (list: Tensor[]) => list.reduce((sum, p) => sum + sizeOf(p.shape), 0);
  const totalParameters = count(parameters);
  const trainableParameters = count(parameters.filter((p) => p.requiresGrad));
  return { rows, totalParameters, trainableParameters, toString: () => table(rows, totalParameters, trainableParameters) };
}

/** torchinfo's thousands separators: 1,024. */
const withCommas = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** The tree drawn as torchinfo draws it: `├─` before a module with siblings after it, `└─` before the last, `│` down the open branches. */
function treePrefixes(rows: readonly SummaryRow[]): string[] {
  const isLastChild = rows.map((row, i) => {
    const next = rows.slice(i + 1).find((other) => other.depth <= row.depth);
    return next === undefined || next.depth < row.depth;
  });
  return rows.map((row, i) => {
    if (row.depth === 0) return "";
    let prefix = isLastChild[i] ? "└─" : "├─";
    // Each ancestor level below the model draws a bar while that ancestor has siblings to come.
    let depth = row.depth;
    for (let j = i - 1; j >= 0 && depth > 1; j--) {
      if (rows[j].depth === depth - 1) {
        prefix = (isLastChild[j] ? "     " : "│    ") + prefix;
        depth--;
      }
    }
    return prefix;
  });
}

function table(rows: readonly SummaryRow[], total: number, trainable: number): string {
  const prefixes = treePrefixes(rows);
  const cells = rows.map((row, i) => [
    `${prefixes[i]}${row.type}${row.path === "" ? "" : ` (${row.path.split(".").at(-1)})`}`,
    row.outputShapes === undefined ? "--" : row.outputShapes.map(formatShape).join(", "),
    row.parameters === 0 ? "--" : withCommas(row.parameters),
  ]);
  const header = ["Layer (type (name))", "Output Shape", "Param #"];
  const widths = [0, 1].map((c) => Math.max(header[c].length, ...cells.map((cell) => cell[c].length)) + 4);
  const line = (cell: string[]) => `${cell[0].padEnd(widths[0])}${cell[1].padEnd(widths[1])}${cell[2]}`.trimEnd();
  const rule = "=".repeat(Math.max(widths[0] + widths[1] + 12, ...cells.map((cell) => line(cell).length)));
  return [
    rule,
    line(header),
    rule,
    ...cells.map(line),
    rule,
    `Total params: ${withCommas(total)}`,
    `Trainable params: ${withCommas(trainable)}`,
    `Non-trainable params: ${withCommas(total - trainable)}`,
    rule,
  ].join("\n");
}
