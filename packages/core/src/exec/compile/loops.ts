import type { DType, TypedArray } from "../../basics/dtype";
import type { Formula } from "../../basics/formula";
import { fastFloat32, powersOfTwo } from "./fastMath";

/**
 * Generated loop nests: every compiled elementwise chain, reduction and copy is one of these.
 * Sizes, strides and offsets are baked into the source as literals, operands are loaded once per
 * element at the deepest loop where they vary, and fused ops are inlined (no per-element calls).
 * Each kernel gets a function of its own, even when its source repeats another's: V8 then
 * specializes the function to the one closure it has, folding the bound arrays (their data and
 * lengths) into the code, which is faster than sharing one function among many closures.
 */

/** An operand read from parameter array `param` at `offset + Σ i_d·strides[d]`, or a constant. */
export type LoopInput = { readonly param: number; readonly offset: number; readonly strides: readonly number[] } | { readonly literal: number };

/** A loop-local value: an input, or an earlier term. */
export type LoopArg = { readonly input: number } | { readonly term: number };

/** One fused op: its scalar formula over `a`, `b`, `c`, `d`, rounded to its dtype as a stored array would be. */
export interface LoopTerm {
  readonly formula: Formula;
  /** The values of the formula's params, inlined as literals. */
  readonly params: Readonly<Record<string, number>>;
  readonly args: readonly LoopArg[];
  readonly argDTypes: readonly DType[];
  readonly dtype: DType;
}

export interface LoopReduce {
  /** The fold of the reduction rule: start value, and formula over the running `acc` and next `v`. */
  readonly identity: number;
  readonly combine: string;
  /**
   * "register": the trailing `dims` dims of `sizes` are reduced, one accumulator per output
   * element (best when the reduced dims are innermost in memory). "scatter": the loops walk the
   * input in memory order and accumulate into a double array of `outSize` (out strides are 0
   * along reduced dims); each output still sees its terms in the same order.
   */
  readonly accumulate: { readonly mode: "register"; readonly dims: number } | { readonly mode: "scatter"; readonly outSize: number };
  /** Round the running value to the output dtype after each term, as `roundsEachStep` (kernels/reduce.ts) says. */
  readonly roundEachStep: boolean;
}

export interface LoopSpec {
  readonly sizes: readonly number[];
  readonly inputs: readonly LoopInput[];
  readonly terms: readonly LoopTerm[];
  readonly result: LoopArg;
  readonly out: { readonly offset: number; readonly strides: readonly number[]; readonly dtype: DType };
  readonly reduce?: LoopReduce;
  readonly paramDTypes: readonly DType[];
  /** Names the generated function after what it computes (`tanh_add_add`), for profiles. */
  readonly name: string;
}

type Factory = (pow2: Float64Array, helpers: readonly Formula["helpers"][], out: TypedArray, ...params: TypedArray[]) => () => void;

/** Binds a loop to its arrays and its terms' helpers, once; the returned closure is what a run calls. */
export function instantiateLoop(spec: LoopSpec, out: TypedArray, params: readonly TypedArray[]): () => void {
  const factory = new Function("pow2", "helpers", "out", ...spec.paramDTypes.map((_, i) => `p${i}`), generateSource(spec)) as Factory;
  return factory(powersOfTwo, spec.terms.map((term) => term.formula.helpers), out, ...params);
}

const operandNames = ["a", "b", "c", "d"];

function literal(value: number): string {
  return Object.is(value, -0) ? "(-0)" : `(${String(value)})`;
}

/** What storing into an array of `dtype` does to a number, so fused intermediates stay bit-identical. */
function roundTo(dtype: DType, expr: string): string {
  if (dtype === "bool") return `((${expr}) !== 0 ? 1 : 0)`;
  return dtype === "float32" ? `f(${expr})` : dtype === "int32" ? `((${expr}) | 0)` : `(${expr})`;
}

/**
 * Drops size-1 dims and merges neighbours that every operand walks as one (stride[d] =
 * stride[d+1]·size[d+1]), never across the kept/reduced boundary, so a broadcast-free loop is flat.
 */
function collapse(spec: LoopSpec): { sizes: number[]; strides: number[][]; kept: number } {
  const accumulate = spec.reduce?.accumulate;
  const reduced = accumulate?.mode === "register" ? accumulate.dims : 0;
  const all = [...spec.inputs.map((x) => ("literal" in x ? undefined : x.strides)), spec.out.strides];
  const sizes: number[] = [];
  const strides: number[][] = all.map(() => []);
  let kept = 0;
  spec.sizes.forEach((size, d) => {
    const isKept = d < spec.sizes.length - reduced;
    if (size === 1) return;
    const last = sizes.length - 1;
    const sameRegion = last >= 0 && (isKept || last >= kept);
    if (sameRegion && all.every((s, k) => s === undefined || strides[k][last] === s[d] * size)) {
      sizes[last] *= size;
      all.forEach((s, k) => s !== undefined && (strides[k][last] = s[d]));
      return;
    }
    sizes.push(size);
    all.forEach((s, k) => strides[k].push(s === undefined ? 0 : s[d]));
    if (isKept) kept++;
  });
  return { sizes, strides, kept };
}

/** Rows of a scatter reduction handled per pass over the accumulators. */
const unrollRows = 4;

/**
 * The level of a scatter reduction to unroll: a reduced level (out stride 0) with only kept levels
 * inside it. Each accumulator then takes that level's rows in one read-modify-write, still in
 * order (row i, i+1, ... for every output), so the sums are unchanged.
 */
function unrolledLevel(sizes: readonly number[], outStrides: readonly number[]): number {
  for (let level = sizes.length - 2; level >= 0; level--) {
    if (outStrides[level] === 0) return sizes[level] >= unrollRows && outStrides.slice(level + 1).every((s) => s !== 0) ? level : -1;
  }
  return -1;
}

function generateSource(spec: LoopSpec): string {
  const { sizes, strides, kept } = collapse(spec);
  const outStrides = strides[spec.inputs.length];
  const reduce = spec.reduce;
  const scatterSize = reduce?.accumulate.mode === "scatter" ? reduce.accumulate.outSize : undefined;
  const unrolled = scatterSize === undefined ? -1 : unrolledLevel(sizes, outStrides);
  const deepest = strides.map((s) => s.reduce((at, stride, level) => (stride !== 0 ? level : at), -1));
  /** Inputs that differ between the unrolled rows get one load (and one set of terms) per row. */
  const perRow = spec.inputs.map((x, k) => unrolled >= 0 && !("literal" in x) && strides[k][unrolled] !== 0);
  const lines = [`// out ${spec.out.dtype}; params ${spec.paramDTypes.join(", ")}`, "const f = Math.fround;"];
  // Each term's helpers are bound once, outside the loops, under names of their own: two fused
  // ops may call different functions by the same name.
  const helperBindings = spec.terms.map((term, j) =>
    Object.keys(term.formula.helpers ?? {}).map((name) => {
      lines.push(`const h${j}_${name} = helpers[${j}].${name};`);
      return `, ${name} = h${j}_${name}`;
    }).join(""),
  );
  if (scatterSize !== undefined) lines.push(`const s = new Float64Array(${scatterSize});`);
  lines.push(`return function ${spec.name.replace(/\W/g, "_")}() {`);
  const initial = reduce === undefined ? "" : literal(reduce.identity);
  if (scatterSize !== undefined) lines.push(`s.fill(${initial});`);

  const accumulate = (target: string, value: string) => {
    const { combine, roundEachStep } = reduce!;
    return `{ const acc = ${target}, v = ${value}; ${target} = ${roundEachStep ? roundTo(spec.out.dtype, combine) : combine}; }`;
  };
  /** Loads of the inputs that vary last at `level`: one per row when `rows` > 1 and the input moves with the rows. */
  const load = (level: number, pointers: readonly string[], rows: number) => {
    spec.inputs.forEach((x, k) => {
      if ("literal" in x || deepest[k] !== level) return;
      if (rows === 1 || !perRow[k]) lines.push(`const x${k} = p${x.param}[${pointers[k]}];`);
      else for (let r = 0; r < rows; r++) lines.push(`const x${k}_${r} = p${x.param}[${pointers[k]} + ${r * strides[k][unrolled]}];`);
    });
  };
  /** The fused terms for one element (of row `row` when unrolled); returns the result's name. */
  const terms = (row: string, rows: number): string => {
    const argName = (arg: LoopArg): string => {
      if ("term" in arg) return `t${arg.term}${row}`;
      const input = spec.inputs[arg.input];
      if ("literal" in input) return literal(input.literal);
      return rows > 1 && perRow[arg.input] ? `x${arg.input}${row}` : `x${arg.input}`;
    };
    spec.terms.forEach((term, j) => {
      const { expr } = term.formula;
      const params = Object.entries(term.params).map(([name, value]) => `, ${name} = ${literal(value)}`).join("");
      const bindings = term.args.map((arg, i) => `${operandNames[i]} = ${argName(arg)}`).join(", ") + helperBindings[j] + params;
      const float32 = term.dtype === "float32" && term.argDTypes.every((d) => d === "float32");
      const fast = float32 ? fastFloat32(expr, `t${j}${row}`) : undefined;
      lines.push(`let t${j}${row}; { const ${bindings}; ${fast ?? `t${j}${row} = ${roundTo(term.dtype, expr)};`} }`);
    });
    return argName(spec.result);
  };
  const body = (outPointer: string, rows: number) => {
    if (rows === 1) {
      const value = terms("", 1);
      if (reduce === undefined) lines.push(`out[${outPointer}] = ${value};`);
      else lines.push(accumulate(scatterSize === undefined ? "total" : `s[${outPointer}]`, value));
      return;
    }
    lines.push(`let running = s[${outPointer}];`);
    for (let r = 0; r < rows; r++) lines.push(accumulate("running", terms(`_${r}`, rows)));
    lines.push(`s[${outPointer}] = running;`);
  };
  const register = reduce !== undefined && scatterSize === undefined;
  const nest = (level: number, pointers: readonly string[], outPointer: string, rows: number): void => {
    if (level === sizes.length) return body(outPointer, rows);
    const loop = (header: string, innerRows: number) => {
      lines.push(`for (${header}) {`);
      const advance = (pointer: string, stride: number, name: string) => {
        if (stride === 0) return pointer;
        lines.push(`const ${name} = ${pointer} + ${stride === 1 ? `i${level}` : `i${level} * ${stride}`};`);
        return name;
      };
      const inner = pointers.map((p, k) => (p === "" ? p : advance(p, strides[k][level], `q${k}_${level}`)));
      const innerOut = advance(outPointer, outStrides[level], `o_${level}`);
      load(level, inner, innerRows);
      // A register accumulator lives in the innermost kept loop, around the reduced loops.
      if (register && level === kept - 1) lines.push(`let total = ${initial};`);
      nest(level + 1, inner, innerOut, innerRows);
      if (register && level === kept - 1) lines.push(`out[${innerOut}] = total;`);
      lines.push("}");
    };
    const size = sizes[level];
    if (level !== unrolled) return loop(`let i${level} = 0; i${level} < ${size}; i${level}++`, rows);
    const whole = size - (size % unrollRows);
    loop(`let i${level} = 0; i${level} < ${whole}; i${level} += ${unrollRows}`, unrollRows);
    if (whole < size) loop(`let i${level} = ${whole}; i${level} < ${size}; i${level}++`, 1);
  };
  const pointers = spec.inputs.map((x) => ("literal" in x ? "" : String(x.offset)));
  load(-1, pointers, 1);
  if (register && kept === 0) lines.push(`let total = ${initial};`);
  nest(0, pointers, String(spec.out.offset), 1);
  if (register && kept === 0) lines.push(`out[${spec.out.offset}] = total;`);
  if (scatterSize !== undefined) lines.push(`for (let i = 0; i < ${scatterSize}; i++) out[${spec.out.offset} + i] = s[i];`);
  lines.push("};");
  return lines.join("\n");
}
