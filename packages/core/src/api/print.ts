/**
 * Tensors printed as PyTorch 1.13 prints them (`repr(tensor)`, torch/_tensor_str.py): the same
 * choice of fixed or scientific notation, widths, summarization with `...`, line breaks and
 * suffixes. Two spellings are gradgraph's own: `grad_fn=<tanh>` names the op that built the
 * tensor (PyTorch's `<TanhBackward0>`), and `dtype=float64` is gradgraph's dtype name (PyTorch's
 * `dtype=torch.float64`), shown where PyTorch shows one for that dtype: float64 and int32 always,
 * bool too when empty, float32 never.
 *
 * Printing evaluates the tensor, as `data()` does (its value is kept on it, as any requested value
 * is), and reads the flat array without building nodes, so nothing later computes differently.
 * A tensor that cannot be evaluated prints why in place of its values and never throws:
 * `tensor(<needs placeholder 'x'>, size=(2, 3))`, `tensor(<released>, ...)`, and for a kernel that
 * fails (which PyTorch would have raised when the tensor was made) `tensor(<cannot be evaluated: ...>, ...)`.
 */
import type { DType, TypedArray } from "../basics/dtype";
import { OpError } from "../basics/errors";
import { formatFixed, formatScientific } from "../basics/pythonFloat";
import { type Shape, stridesOf } from "../basics/shape";
import { topologicalOrder } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { evaluate } from "../exec/evaluate";

/** torch.set_printoptions's settings, by the same names. */
export interface PrintOptions {
  /** Digits after the point (4). */
  precision: number;
  /** Tensors with more elements than this are summarized (1000; Infinity never summarizes). */
  threshold: number;
  /** Elements shown at each end of a summarized dim (3). */
  edgeitems: number;
  /** Characters per line before elements wrap (80). */
  linewidth: number;
  /** true or false forces scientific notation on or off; null lets the values decide (null). */
  sciMode: boolean | null;
}

/** torch.set_printoptions's profiles; each sets every option (sciMode back to null). */
export type PrintProfile = "default" | "short" | "full";

const profiles: Record<PrintProfile, Readonly<PrintOptions>> = {
  default: { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null },
  short: { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80, sciMode: null },
  full: { precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80, sciMode: null },
};

let current: PrintOptions = { ...profiles.default };

const optionChecks: Record<keyof PrintOptions, [(value: unknown) => boolean, string]> = {
  precision: [(v) => Number.isSafeInteger(v) && (v as number) >= 0, "a non-negative integer"],
  threshold: [(v) => typeof v === "number" && v >= 0, "a non-negative number (Infinity never summarizes)"],
  edgeitems: [(v) => Number.isSafeInteger(v) && (v as number) >= 1, "a positive integer"],
  linewidth: [(v) => Number.isSafeInteger(v) && (v as number) >= 1, "a positive integer"],
  sciMode: [(v) => v === true || v === false || v === null, "true, false or null (the values decide)"],
};

/** The options in force (a copy). */
export function getPrintOptions(): PrintOptions {
  return { ...current };
}

/**
 * torch.set_printoptions: a profile first, if given, then each option given; the others stay as
 * they are. Returns the options that were in force, so `setPrintOptions(previous)` restores them.
 */
export function setPrintOptions(options: Partial<PrintOptions> & { profile?: PrintProfile }): PrintOptions {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new OpError("setPrintOptions", `expected an options object, got ${options === null ? "null" : typeof options}`);
  }
  const { profile, ...changes } = options;
  if (profile !== undefined && !Object.hasOwn(profiles, profile)) {
    throw new OpError("setPrintOptions", `profile must be one of ${Object.keys(profiles).map((p) => `"${p}"`).join(", ")}, got ${JSON.stringify(profile)}`);
  }
  for (const [name, value] of Object.entries(changes)) {
    if (!Object.hasOwn(optionChecks, name)) {
      throw new OpError("setPrintOptions", `unknown option '${name}'; expected profile, ${Object.keys(optionChecks).join(", ")}`);
    }
    const [valid, expected] = optionChecks[name as keyof PrintOptions];
    if (!valid(value)) throw new OpError("setPrintOptions", `${name} must be ${expected}, got ${String(value)}`);
  }
  const previous = current;
  current = { ...(profile === undefined ? current : profiles[profile]), ...changes };
  return previous;
}

/** How each element is written, at one width for the whole tensor (torch's `_Formatter`). */
interface ElementFormat {
  readonly width: number;
  text(value: number): string;
}

function integerFormat(shown: readonly number[], dtype: DType): ElementFormat {
  const text = dtype === "bool" ? (v: number) => (v ? "True" : "False") : (v: number) => String(v);
  const width = shown.reduce((widest, v) => Math.max(widest, text(v).length), 1);
  return { width, text };
}

/**
 * torch's rule for floats, on the elements that will be shown: integers print as `1.`; scientific
 * notation when the nonzero finite magnitudes span more than 1000×, exceed 1e8, or (for
 * non-integers) go below 1e-4. With no nonzero finite element the options are not consulted.
 */
function floatFormat(shown: readonly number[], options: PrintOptions): ElementFormat {
  const { precision } = options;
  const finite = shown.filter((v) => Number.isFinite(v) && v !== 0);
  let integral = true;
  let scientific = false;
  let width = 1;
  if (finite.length > 0) {
    let largest = 0;
    let smallest = Infinity;
    for (const v of finite) {
      largest = Math.max(largest, Math.abs(v));
      smallest = Math.min(smallest, Math.abs(v));
    }
    integral = finite.every((v) => v === Math.ceil(v));
    scientific = largest / smallest > 1000 || largest > 1e8 || (!integral && smallest < 1e-4);
    const widthOf = scientific
      ? (v: number) => formatScientific(v, precision).length
      : integral
        ? (v: number) => formatFixed(v, 0).length + 1
        : (v: number) => formatFixed(v, precision).length;
    width = finite.reduce((widest, v) => Math.max(widest, widthOf(v)), 1);
    if (options.sciMode !== null) scientific = options.sciMode;
  }
  const text = (v: number): string => {
    if (scientific) return formatScientific(v, precision);
    if (integral) return Number.isFinite(v) ? `${formatFixed(v, 0)}.` : formatFixed(v, 0);
    return formatFixed(v, precision);
  };
  return { width, text };
}

/** The elements shown: per dim all indices, or the first and last `edgeitems` when summarized. */
function shownIndices(size: number, summarize: boolean, edgeitems: number): { head: number[]; tail: number[] } {
  const range = (start: number, end: number) => Array.from({ length: end - start }, (_, i) => start + i);
  if (summarize && size > 2 * edgeitems) return { head: range(0, edgeitems), tail: range(size - edgeitems, size) };
  return { head: range(0, size), tail: [] };
}

/** torch's `_tensor_str`: nested brackets, `...` where summarized, rows wrapped at the line width. */
function formatValues(data: TypedArray, shape: Shape, dtype: DType, indent: number, options: PrintOptions): string {
  const summarize = data.length > options.threshold;
  const strides = stridesOf(shape);
  const indices = shape.map((size) => shownIndices(size, summarize, options.edgeitems));
  const offsetsAt = (dim: number, offset: number): number[] =>
    dim === shape.length
      ? [offset]
      : [...indices[dim].head, ...indices[dim].tail].flatMap((i) => offsetsAt(dim + 1, offset + i * strides[dim]));
  const shown = offsetsAt(0, 0).map((offset) => data[offset]);
  const format = dtype === "float32" || dtype === "float64" ? floatFormat(shown, options) : integerFormat(shown, dtype);
  const element = (offset: number) => format.text(data[offset]).padStart(format.width);

  const block = (dim: number, offset: number, blockIndent: number): string => {
    if (dim === shape.length) return element(offset);
    const { head, tail } = indices[dim];
    const gap = tail.length > 0;
    if (dim === shape.length - 1) {
      const items = [...head.map((i) => element(offset + i)), ...(gap ? [" ..."] : []), ...tail.map((i) => element(offset + i))];
      const perLine = Math.max(1, Math.floor((options.linewidth - blockIndent) / (format.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(", "));
      return `[${lines.join(`,\n${" ".repeat(blockIndent + 1)}`)}]`;
    }
    const inner = (i: number) => block(dim + 1, offset + i * strides[dim], blockIndent + 1);
    const slices = [...head.map(inner), ...(gap ? ["..."] : []), ...tail.map(inner)];
    return `[${slices.join(`,${"\n".repeat(shape.length - dim - 1)}${" ".repeat(blockIndent + 1)}`)}]`;
  };
  return block(0, 0, indent);
}

/** torch's `_add_suffixes`: each on the same line while it fits in the line width, else on the next. */
function addSuffixes(text: string, suffixes: readonly string[], indent: number, linewidth: number): string {
  const parts = [text];
  let lastLineLength = text.length - text.lastIndexOf("\n") + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > linewidth) {
      parts.push(`,\n${" ".repeat(indent)}${suffix}`);
      lastLineLength = indent + suffix.length;
    } else {
      parts.push(`, ${suffix}`);
      lastLineLength += suffix.length + 2;
    }
  }
  return `${parts.join("")})`;
}

/** A shape as Python writes a tuple, as torch's `size=(0, 3)` does. */
function pythonTuple(shape: Shape): string {
  return `(${shape.join(", ")}${shape.length === 1 ? "," : ""})`;
}

function placeholderName(node: Tensor): string {
  return node.name === undefined ? `#${node.id}` : `'${node.name}'`;
}

/** Placeholders without data that evaluating `tensor` would read: found by walking the graph, computing nothing. */
function unfedPlaceholders(tensor: Tensor): Tensor[] {
  if (tensor.op === "placeholder") return tensor.leafValue === undefined ? [tensor] : [];
  if (!tensor.readsPlaceholder) return [];
  const reached = topologicalOrder([tensor], (node) => node.isLeaf || node.cachedValue !== undefined);
  return reached.filter((node) => node.op === "placeholder" && node.leafValue === undefined);
}

/** The tensor's values, or why there are none, in the `<...>` printed in their place. */
function valuesOrReason(tensor: Tensor): TypedArray | string {
  if (tensor.released) return "<released>";
  const unfed = unfedPlaceholders(tensor);
  if (unfed.length > 0) {
    if (unfed[0] === tensor) return `<placeholder ${placeholderName(tensor)}>`;
    return `<needs placeholder${unfed.length > 1 ? "s" : ""} ${unfed.map(placeholderName).join(", ")}>`;
  }
  try {
    return evaluate([tensor])[0];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `<cannot be evaluated: ${message.split("\n")[0]}>`;
  }
}

/** `repr(tensor)` as PyTorch 1.13 writes it, with gradgraph's op and dtype names (see the top of this file). */
export function formatTensor(tensor: Tensor): string {
  const options = current;
  const prefix = "tensor(";
  const suffixes: string[] = [];
  const values = valuesOrReason(tensor);
  let body: string;
  if (typeof values === "string" || tensor.size === 0) {
    body = typeof values === "string" ? values : "[]";
    // Nothing shows the shape or, for an empty tensor, what dtype its elements would have.
    if (typeof values === "string" || tensor.ndim !== 1) suffixes.push(`size=${pythonTuple(tensor.shape)}`);
    if (tensor.dtype !== "float32") suffixes.push(`dtype=${tensor.dtype}`);
  } else {
    if (tensor.dtype === "float64" || tensor.dtype === "int32") suffixes.push(`dtype=${tensor.dtype}`);
    body = formatValues(values, tensor.shape, tensor.dtype, prefix.length, options);
  }
  if (tensor.requiresGrad) suffixes.push(tensor.isLeaf ? "requires_grad=True" : `grad_fn=<${tensor.op}>`);
  return addSuffixes(prefix + body, suffixes, prefix.length, options.linewidth);
}
