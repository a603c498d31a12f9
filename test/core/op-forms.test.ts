/**
 * Every op gives one node, and one value, however its attributes are spelled and whichever door
 * it is built through: `apply()` with canonical or user-written attributes (negative dims,
 * defaults left out, a single dim for a list), the builder or Tensor method, a compiled program,
 * and a JSON round trip. Bit for bit, keyed by the op table so no op can skip it.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  type Attrs,
  type AttrValue,
  cumsum,
  linearScan,
  celu,
  clamp,
  elu,
  gelu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSigmoid,
  mish,
  selu,
  silu,
  softplus,
  softsign,
  type BuiltinOpName,
  builtinOps,
  compile,
  concat,
  configureProgramCache,
  type DType,
  fromJSON,
  indexAdd,
  OpError,
  scatterAdd,
  sliceBackward,
  type Tensor,
  tensor,
  toJSON,
  where,
  diagonalBackward,
  pad,
  padBackward,
  unfoldBackward,
} from "@gradgraph/core";
import { expectSameBits } from "../helpers/random-graphs";
import { cases } from "./op-cases";
import { convForms } from "./conv-forms";

// The reference is the interpreter: a cached program would compare compiled with compiled.
beforeAll(() => configureProgramCache({ enabled: false }));
afterAll(() => configureProgramCache({ enabled: true }));

interface Forms<A extends Attrs> {
  /** The op built through its builder or Tensor method, as users call it. */
  method(inputs: Tensor[], attrs: A): Tensor;
  /** Other spellings of the same attributes that users can write. */
  variants?(inputs: Tensor[], attrs: A): Attrs[];
}

/** `d` counted from the end as well, and the canonical `d` itself. */
const negative = (d: number, rank: number) => d - rank;

const dimVariants = (rank: number, { dim }: { dim: number }): Attrs[] => [{ dim: negative(dim, rank) }];

type UnaryMethod = { [K in keyof Tensor]: Tensor[K] extends () => Tensor ? K : never }[keyof Tensor];
const unary = (name: UnaryMethod): Forms<Attrs> => ({
  method: ([x]) => x[name](),
});
/** An op built by its functional form with its attributes in PyTorch's positional order. */
const positional = <A extends Attrs>(fn: (x: Tensor, ...args: any[]) => Tensor, ...names: (keyof A & string)[]): Forms<A> => ({
  method: ([x], attrs) => fn(x, ...names.map((n) => attrs[n])),
  // Attributes left at PyTorch's defaults may be left out.
  variants: (_inputs, attrs) => [Object.fromEntries(Object.entries(attrs).filter(([k, v]) => v !== defaults[k]))],
});
const defaults: Record<string, AttrValue> = { negativeSlope: 0.01, alpha: 1, beta: 1, threshold: 20, minVal: -1, maxVal: 1, nan: 0, min: -Infinity, max: Infinity };
type BinaryMethod = "add" | "sub" | "mul" | "div" | "floorDivide" | "remainder" | "pow" | "maximum" | "minimum" | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "atan2" | "hypot" | "copysign" | "fmod" | "logAddExp" | "logicalAnd" | "logicalOr" | "logicalXor";
const binary = (name: BinaryMethod): Forms<Attrs> => ({
  method: ([a, b]) => a[name](b),
});

type Dims = { dims: number[]; keepdim: boolean };
const argForm = (name: "argmax" | "argmin"): Forms<{ dim: number | null; keepdim: boolean }> => ({
  method: ([x], { dim, keepdim }) => x[name](dim ?? undefined, keepdim),
  variants: ([x], { dim, keepdim }): Attrs[] => (dim === null ? (keepdim ? [] : [{}]) : [{ dim: negative(dim, x.ndim), keepdim }, ...(keepdim ? [] : [{ dim }])]),
});
const reduction = (name: "sum" | "amax" | "amin" | "prod" | "any" | "all"): Forms<Dims> => ({
  method: ([x], { dims, keepdim }) => x[name](dims, keepdim),
  variants: ([x], { dims, keepdim }) => {
    const rank = x.shape.length;
    const forms: Attrs[] = [{ dims: dims.map((d) => negative(d, rank)), keepdim }, { dims: [...dims].reverse(), keepdim }];
    if (!keepdim) forms.push({ dims });
    if (dims.length === 1) forms.push({ dims: negative(dims[0], rank), keepdim });
    if (dims.length === rank) forms.push({ keepdim });
    return forms;
  },
});

/** advancedIndex/indexPut's index tensors as users pass them: one entry per leading dim, null where no tensor indexes. */
const indexEntries = (dims: number[], indices: Tensor[]) =>
  Array.from({ length: dims[dims.length - 1] + 1 }, (_, d) => (dims.includes(d) ? indices[dims.indexOf(d)] : null));

const forms: { [N in BuiltinOpName]: Forms<any> } = {
  ...convForms,
  neg: unary("neg"),
  exp: unary("exp"),
  tanh: unary("tanh"),
  sigmoid: unary("sigmoid"),
  log: unary("log"),
  sqrt: unary("sqrt"),
  abs: unary("abs"),
  relu: unary("relu"),
  sign: unary("sign"),
  detach: unary("detach"),
  sin: unary("sin"),
  cos: unary("cos"),
  tan: unary("tan"),
  asin: unary("asin"),
  acos: unary("acos"),
  atan: unary("atan"),
  sinh: unary("sinh"),
  cosh: unary("cosh"),
  asinh: unary("asinh"),
  acosh: unary("acosh"),
  atanh: unary("atanh"),
  exp2: unary("exp2"),
  expm1: unary("expm1"),
  log2: unary("log2"),
  log10: unary("log10"),
  log1p: unary("log1p"),
  rsqrt: unary("rsqrt"),
  reciprocal: unary("reciprocal"),
  square: unary("square"),
  erf: unary("erf"),
  erfc: unary("erfc"),
  floor: unary("floor"),
  ceil: unary("ceil"),
  trunc: unary("trunc"),
  round: unary("round"),
  frac: unary("frac"),
  isnan: unary("isnan"),
  isinf: unary("isinf"),
  isfinite: unary("isfinite"),
  selu: { method: ([x]) => selu(x) },
  gelu: { method: ([x]) => gelu(x) },
  geluTanh: { method: ([x]) => gelu(x, "tanh") },
  silu: { method: ([x]) => silu(x) },
  mish: { method: ([x]) => mish(x) },
  hardsigmoid: { method: ([x]) => hardsigmoid(x) },
  hardswish: { method: ([x]) => hardswish(x) },
  logSigmoid: { method: ([x]) => logSigmoid(x) },
  softsign: { method: ([x]) => softsign(x) },
  nanToNum: { method: ([x], { nan, posinf, neginf }) => x.nanToNum(nan, posinf, neginf) },
  clamp: { ...positional(clamp, "min", "max"), method: ([x], { min, max }) => x.clamp(min, max) },
  hardtanh: positional(hardtanh, "minVal", "maxVal"),
  leakyRelu: positional(leakyRelu, "negativeSlope"),
  elu: positional(elu, "alpha"),
  celu: positional(celu, "alpha"),
  softplus: positional(softplus, "beta", "threshold"),
  atan2: binary("atan2"),
  hypot: binary("hypot"),
  copysign: binary("copysign"),
  fmod: binary("fmod"),
  logAddExp: binary("logAddExp"),
  lerp: { method: ([start, end, weight]) => start.lerp(end, weight) },
  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div"),
  floorDivide: binary("floorDivide"),
  remainder: binary("remainder"),
  pow: binary("pow"),
  maximum: binary("maximum"),
  minimum: binary("minimum"),
  eq: binary("eq"),
  logicalAnd: binary("logicalAnd"),
  logicalOr: binary("logicalOr"),
  logicalXor: binary("logicalXor"),
  logicalNot: unary("logicalNot"),
  any: reduction("any"),
  all: reduction("all"),
  ne: binary("ne"),
  lt: binary("lt"),
  le: binary("le"),
  gt: binary("gt"),
  ge: binary("ge"),
  where: { method: ([c, x, y]) => where(c, x, y) },
  matmul: { method: ([a, b]) => a.matmul(b) },
  transpose: {
    method: ([x], { dim0, dim1 }) => x.transpose(dim0, dim1),
    variants: ([x], { dim0, dim1 }) => [
      { dim0: dim1, dim1: dim0 },
      { dim0: negative(dim0, x.ndim), dim1: negative(dim1, x.ndim) },
      { dim0: negative(dim1, x.ndim), dim1: dim0 },
    ],
  },
  permute: {
    method: ([x], { dims }) => x.permute(...dims),
    variants: ([x], { dims }) => [{ dims: dims.map((d: number) => negative(d, x.ndim)) }],
  },
  reshape: {
    method: ([x], { shape }) => x.reshape(...shape),
    // One size inferred (-1), wherever it can be.
    variants: ([x], { shape }) =>
      x.size === 0 ? [] : shape.map((_: number, i: number) => ({ shape: shape.map((d: number, j: number) => (i === j ? -1 : d)) })),
  },
  expand: {
    method: ([x], { shape }) => x.expand(...shape),
    // -1 keeps each existing size.
    variants: ([x], { shape }) => {
      const lead = shape.length - x.ndim;
      return [{ shape: shape.map((d: number, i: number) => (i >= lead && x.shape[i - lead] === d ? -1 : d)) }];
    },
  },
  sum: reduction("sum"),
  max: reduction("amax"),
  min: reduction("amin"),
  prod: reduction("prod"),
  argmax: argForm("argmax"),
  argmin: argForm("argmin"),
  cumsum: {
    method: ([x], { dim, reverse }) => cumsum(x, dim, { reverse }),
    variants: ([x], { dim, reverse }): Attrs[] => [{ dim: negative(dim, Math.max(x.ndim, 1)), reverse }, ...(reverse ? [] : [{ dim }])],
  },
  linearScan: {
    method: ([a, b], { dim, reverse, initial }) => linearScan(a, b, { dim, reverse, initial }),
    variants: ([a], { dim, reverse, initial }): Attrs[] => [{ dim: negative(dim, Math.max(a.ndim, 1)), reverse, initial }, ...(initial === 0 && !reverse ? [{ dim }] : [])],
  },
  argsort: {
    method: ([x], { dim, descending }) => x.argsort(dim, descending),
    variants: ([x], { dim, descending }): Attrs[] => [{ dim: negative(dim, Math.max(x.ndim, 1)), descending }, ...(descending ? [] : [{ dim }])],
  },
  cummaxIndices: { method: ([x], { dim }) => x.cummax(dim).indices, variants: ([x], { dim }) => [{ dim: negative(dim, Math.max(x.ndim, 1)) }] },
  cumminIndices: { method: ([x], { dim }) => x.cummin(dim).indices, variants: ([x], { dim }) => [{ dim: negative(dim, Math.max(x.ndim, 1)) }] },
  slice: {
    method: ([x], { dim, start, end, step }) => x.slice(dim, start, end, step),
    variants: ([x], { dim, start, end, step }) => {
      const size = x.shape[dim];
      const forms: Attrs[] = [{ dim: negative(dim, x.ndim), start, end, step }, { dim, start, end: end === size ? size + 100 : end, step }];
      if (start < size) forms.push({ dim, start: start - size, end, step });
      if (end < size) forms.push({ dim, start, end: end - size, step });
      if (end === size) forms.push({ dim, start, step });
      if (step === 1) forms.push({ dim, start, end });
      if (start === 0) forms.push({ dim, end, step });
      return forms;
    },
  },
  sliceBackward: {
    method: ([g], { dim, start, step, size }) => sliceBackward(g, dim, start, step, size),
    variants: ([g], { dim, start, step, size }) => [{ dim: negative(dim, g.ndim), start, step, size }, ...(step === 1 ? [{ dim, start, size } as Attrs] : [])],
  },
  concat: {
    method: (xs, { dim }) => concat(xs, dim),
    variants: (xs, attrs) => dimVariants(xs[0].ndim, attrs),
  },
  gather: { method: ([x, index], { dim }) => x.gather(dim, index), variants: ([x], attrs) => dimVariants(x.ndim, attrs) },
  scatterAdd: {
    method: ([base, index, src], { dim }) => scatterAdd(base, dim, index, src),
    variants: ([x], attrs) => dimVariants(x.ndim, attrs),
  },
  indexSelect: { method: ([x, index], { dim }) => x.indexSelect(dim, index), variants: ([x], attrs) => dimVariants(x.ndim, attrs) },
  indexAdd: {
    method: ([base, index, src], { dim }) => indexAdd(base, dim, index, src),
    variants: ([x], attrs) => dimVariants(x.ndim, attrs),
  },
  advancedIndex: {
    method: ([x, ...indices], { dims }) => x.index(indexEntries(dims, indices)),
    variants: ([x], { dims }) => [{ dims: dims.map((d: number) => negative(d, x.ndim)) }],
  },
  indexPut: {
    method: ([x, values, ...indices], { dims, accumulate }) => x.indexPut(indexEntries(dims, indices), values, accumulate),
    variants: ([x], { dims, accumulate }): Attrs[] => [{ dims: dims.map((d: number) => negative(d, x.ndim)), accumulate }, ...(accumulate ? [] : [{ dims }])],
  },
  scatter: { method: ([x, index, src], { dim }) => x.scatter(dim, index, src), variants: ([x], attrs) => dimVariants(x.ndim, attrs) },
  scatterReduce: {
    method: ([x, index, src], { dim, reduce, includeSelf }) => x.scatterReduce(dim, index, src, reduce, { includeSelf }),
    variants: ([x], { dim, reduce, includeSelf }): Attrs[] => [{ dim: negative(dim, x.ndim), reduce, includeSelf }, ...(includeSelf ? [{ dim, reduce }] : [])],
  },
  cast: { method: ([x], { dtype }) => x.cast(dtype as DType) },
  flip: {
    method: ([x], { dims }) => x.flip(...dims),
    variants: ([x], { dims }) => [{ dims: dims.map((d: number) => negative(d, x.ndim)) }, { dims: [...dims].reverse() }],
  },
  roll: {
    method: ([x], { shifts, dims }) => x.roll(shifts, dims),
    // Shifts by whole turns more or less, dims counted from the end, the pairs in the other order.
    variants: ([x], { shifts, dims }) => [
      { shifts: shifts.map((s: number, i: number) => s + x.shape[dims[i]]), dims },
      { shifts: shifts.map((s: number, i: number) => s - 2 * x.shape[dims[i]]), dims: dims.map((d: number) => negative(d, x.ndim)) },
      { shifts: [...shifts].reverse(), dims: [...dims].reverse() },
    ],
  },
  tril: { method: ([x], { diagonal }) => x.tril(diagonal), variants: ([x], attrs) => triangleVariants(x, attrs, "tril") },
  triu: { method: ([x], { diagonal }) => x.triu(diagonal), variants: ([x], attrs) => triangleVariants(x, attrs, "triu") },
  diagonal: {
    method: ([x], { offset, dim1, dim2 }) => x.diagonal(offset, dim1, dim2),
    variants: ([x], { offset, dim1, dim2 }) => {
      const forms: Attrs[] = [{ offset: -offset, dim1: dim2, dim2: dim1 }, { offset, dim1: negative(dim1, x.ndim), dim2: negative(dim2, x.ndim) }];
      if (offset === 0) forms.push({ dim1, dim2 });
      if (dim1 === 0 && dim2 === 1) forms.push({ offset });
      return forms;
    },
  },
  diagonalBackward: {
    method: ([g], { offset, dim1, dim2, size1, size2 }) => diagonalBackward(g, offset, dim1, dim2, size1, size2),
    variants: ([g], { offset, dim1, dim2, size1, size2 }) => [
      { offset: -offset, dim1: dim2, dim2: dim1, size1: size2, size2: size1 },
      { offset, dim1: negative(dim1, g.ndim + 1), dim2: negative(dim2, g.ndim + 1), size1, size2 },
    ],
  },
  pad: {
    method: ([x], { pads, mode, value }) => pad(x, pads, mode, value),
    variants: ([x], { pads, mode, value }) => {
      const forms: Attrs[] = [];
      if (pads.length < 2 * x.ndim) forms.push({ pads: [...pads, 0, 0], mode, value });
      if (mode === "constant") forms.push(value === 0 ? { pads } : { pads, value });
      else forms.push({ pads, mode });
      return forms;
    },
  },
  padBackward: {
    method: ([g], { pads, mode }) => padBackward(g, pads, mode),
    variants: ([g], { pads, mode }) => (pads.length < 2 * g.ndim ? [{ pads: [...pads, 0, 0], mode }] : []),
  },
  unfold: {
    method: ([x], { dim, size, step }) => x.unfold(dim, size, step),
    variants: ([x], { dim, size, step }) => [{ dim: negative(dim, x.ndim), size, step }],
  },
  unfoldBackward: {
    method: ([g], { dim, size, step, length }) => unfoldBackward(g, dim, size, step, length),
    variants: ([g], { dim, size, step, length }) => [{ dim: negative(dim, g.ndim - 1), size, step, length }],
  },
};

/** tril/triu: the default diagonal left out, and a diagonal past the matrix's corner moved further. */
function triangleVariants(x: Tensor, { diagonal }: { diagonal: number }, op: "tril" | "triu"): Attrs[] {
  const [rows, cols] = x.shape.slice(-2);
  const forms: Attrs[] = diagonal === 0 ? [{}] : [];
  // tril keeps everything from diagonal cols - 1 up and nothing from -rows down; triu the other way round.
  const [all, none] = op === "tril" ? [cols - 1, -rows] : [1 - rows, cols];
  if (diagonal === all || diagonal === none) forms.push({ diagonal: diagonal + Math.sign(diagonal - (all + none) / 2) * 5 });
  return forms;
}

describe.each(Object.keys(builtinOps) as BuiltinOpName[])("op %s", (name) => {
  const def = builtinOps[name];
  const form = forms[name];
  it("is one node and one value through apply() in every attribute form, the method, the compiler and JSON", () => {
    fc.assert(
      fc.property(cases[name].sample, ({ inputs, attrs }) => {
        const node = apply(def, inputs, attrs);
        const expected = node.data();
        for (const variant of form.variants?.(inputs, attrs) ?? []) {
          expect(apply(def, inputs, variant), `attributes ${JSON.stringify(variant)}`).toBe(node);
        }
        if (Object.keys(attrs).length === 0) expect(apply(def, inputs)).toBe(node);
        expectSameBits(form.method(inputs, attrs).data(), expected, "method");
        expectSameBits(compile({ outputs: [node] }).run()[0], expected, "compiled");
        const loaded = fromJSON(JSON.parse(JSON.stringify(toJSON([node])))).outputs[0];
        expect(loaded.attrs).toEqual(node.attrs);
        expectSameBits(loaded.data(), expected, "JSON round trip");
      }),
      { numRuns: 40 },
    );
  });
});

describe("attributes are validated where they enter", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  const { transpose, slice, sum, reshape, permute, concat: concatOp, cast, add } = builtinOps;
  it.each([
    ["a dim out of range", () => apply(transpose, [x], { dim0: 0, dim1: 2 }), /transpose: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/],
    ["a fractional dim", () => apply(slice, [x], { dim: 0.5 }), /slice: attribute 'dim' must be an integer, got 0.5/],
    ["a dim given as a string", () => apply(sum, [x], { dims: ["1"] }), /sum: attribute 'dims' must be a dim or a list of dims, got \["1"\]/],
    ["a missing attribute", () => apply(transpose, [x], { dim0: 0 }), /transpose: attribute 'dim1' must be an integer, got undefined/],
    ["an unknown attribute", () => apply(reshape, [x], { shape: [3, 2], order: "F" }), /reshape: unknown attribute 'order' \(expected 'shape'\)/],
    ["attributes on an op without any", () => apply(add, [x, x], { alpha: 2 }), /add: unknown attribute 'alpha' \(it takes no attributes\)/],
    ["a repeated dim", () => apply(permute, [x], { dims: [0, -2] }), /permute: duplicate dims are not allowed: \[0, -2\]/],
    ["a repeated reduction dim", () => apply(sum, [x], { dims: [1, -1] }), /sum: dim 1, 1 appears multiple times/],
    ["two inferred sizes", () => apply(reshape, [x], { shape: [-1, -1] }), /reshape: only one dimension can be inferred/],
    ["a non-positive step", () => apply(slice, [x], { dim: 1, step: 0 }), /slice: step must be a positive integer, got 0/],
    ["an unknown dtype", () => apply(cast, [x], { dtype: "float16" }), /cast: unknown dtype "float16"/],
    ["attributes that are no object", () => apply(concatOp, [x, x], 1 as unknown as Attrs), /concat: attributes must be an object, got 1/],
  ])("%s", (_what, build, message) => {
    expect(build).toThrow(OpError);
    expect(build).toThrow(message);
  });

  it("a kernel and a gradient only ever see canonical attributes (negative dims through apply)", () => {
    const y = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    expect(apply(concatOp, [y, y], { dim: -1 }).toArray()).toEqual([[1, 2, 1, 2], [3, 4, 3, 4]]);
    expect(apply(transpose, [y], { dim0: -1, dim1: -2 }).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(apply(slice, [y], { dim: -1, start: 1 }).toArray()).toEqual([[2], [4]]);
    const picked = apply(slice, [y], { dim: -1, start: -1 });
    picked.sum().backward();
    expect(y.grad!.toArray()).toEqual([[0, 1], [0, 1]]);
  });
});
