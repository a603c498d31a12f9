/**
 * A sample generator and a plain-JS reference for every built-in op, keyed by the op table so a
 * new op cannot be left out: the op property suite and the attribute-forms suite run through them.
 */
import fc from "fast-check";
import { type Attrs, type BuiltinOpName, type DType, isFloat, type Tensor, tensor } from "@gradgraph/core";
import { convCases } from "./conv-cases";
import {
  broadcastShapesArb,
  type GradCheckOptions,
  matmulPairArb,
  shapeArb,
  type ShapeOptions,
  tensorArb,
  type TensorArbOptions,
} from "@gradgraph/core/testing";

// ---------------------------------------------------------------------------------------------
// Plain-JS references on row-major data

export interface Ref {
  shape: number[];
  data: number[];
}

export const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

function coordsOf(flat: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return coords;
}

function offsetOf(coords: readonly number[], shape: readonly number[]): number {
  return coords.reduce((offset, c, d) => offset * shape[d] + c, 0);
}

function tabulate(shape: number[], valueAt: (coords: number[]) => number): Ref {
  return { shape, data: Array.from({ length: sizeOf(shape) }, (_, i) => valueAt(coordsOf(i, shape))) };
}

const withCoord = (coords: readonly number[], dim: number, value: number) => coords.map((c, d) => (d === dim ? value : c));

/** NumPy broadcasting: a size-1 (or missing) dim takes the other size, including 0. */
function broadcastShapeOf(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => shapes.map((s) => s[s.length - rank + i] ?? 1).find((d) => d !== 1) ?? 1);
}

/** The element of `x` that position `coords` of a broadcast result reads. */
function broadcastRead(x: Ref, coords: readonly number[]): number {
  const lead = coords.length - x.shape.length;
  return x.data[offsetOf(x.shape.map((d, i) => (d === 1 ? 0 : coords[lead + i])), x.shape)];
}

function elementwise(inputs: readonly Ref[], f: (...values: number[]) => number): Ref {
  return tabulate(broadcastShapeOf(inputs.map((x) => x.shape)), (c) => f(...inputs.map((x) => broadcastRead(x, c))));
}

function reduce(x: Ref, dims: readonly number[], keepdim: boolean, initial: number, combine: (acc: number, v: number) => number): Ref {
  const kept = x.shape.map((d, i) => (dims.includes(i) ? 1 : d));
  const data = new Array<number>(sizeOf(kept)).fill(initial);
  x.data.forEach((v, i) => {
    const o = offsetOf(coordsOf(i, x.shape).map((c, d) => (dims.includes(d) ? 0 : c)), kept);
    data[o] = combine(data[o], v);
  });
  return { shape: keepdim ? kept : x.shape.filter((_, i) => !dims.includes(i)), data };
}

/** Adds each `src` element into a copy of `base` at the position `target` maps its coordinates to. */
function accumulate(base: Ref, src: Ref, target: (coords: number[], flat: number) => number[]): Ref {
  const data = [...base.data];
  src.data.forEach((v, i) => (data[offsetOf(target(coordsOf(i, src.shape), i), base.shape)] += v));
  return { shape: base.shape, data };
}

export const toRef = (t: Tensor): Ref => ({ shape: [...t.shape], data: Array.from(t.data()) });

// ---------------------------------------------------------------------------------------------
// Samples

export interface OpSample<A extends Attrs = Attrs> {
  inputs: Tensor[];
  attrs: A;
}

export interface OpCase<A extends Attrs = Attrs> {
  sample: fc.Arbitrary<OpSample<A>>;
  reference(inputs: Ref[], attrs: A): Ref;
  /** No gradient may flow through any input (comparisons, sign, detach). */
  nondifferentiable?: true;
  /** The output's dtype where it is not the inputs' (index-valued ops give int32). */
  outputDType?: DType;
  /** The inputs whose gradient is checked, by default every float one; other float inputs must get none. */
  wrt?: (sample: OpSample<A>) => number[];
  gradCheck?: GradCheckOptions;
}

const small: ShapeOptions = { maxRank: 3, maxDim: 3 };
/** Mostly non-empty shapes, sometimes with a zero-size dim. */
const anyShape = (options: ShapeOptions = {}) =>
  fc.oneof({ weight: 4, arbitrary: shapeArb({ ...small, ...options }) }, { weight: 1, arbitrary: shapeArb({ ...small, ...options, minDim: 0 }) });
const anyBroadcast = (count: number) =>
  fc.oneof({ weight: 4, arbitrary: broadcastShapesArb(count, small) }, { weight: 1, arbitrary: broadcastShapesArb(count, { ...small, minDim: 0 }) });

const floats = (shape: readonly number[], options: TensorArbOptions = {}) => tensorArb(shape, { dtype: "float64", min: -2, max: 2, ...options });

const float64Tensor = (values: readonly number[], shape: readonly number[]) => tensor(values, { shape, dtype: "float64" });

/** Values `k * step + offset` for integer |k| <= range: ties on purpose (comparisons) or never (two offsets). */
const grid = (shape: readonly number[], { step = 0.25, offset = 0, range = 8 } = {}) =>
  fc
    .array(fc.integer({ min: -range, max: range }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
    .map((ks) => float64Tensor(ks.map((k) => k * step + offset), shape));

/** Pairwise distinct values at least 0.05 apart, so a max has a unique winner with room for finite differences. */
const distinct = (shape: readonly number[]) =>
  fc
    .uniqueArray(fc.integer({ min: -60, max: 60 }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
    .map((ks) => float64Tensor(ks.map((k) => k / 20), shape));

const indices = (shape: readonly number[], bound: number) => tensorArb(shape, { dtype: "int32", min: 0, max: bound - 1 });

const dimOf = (rank: number) => fc.integer({ min: 0, max: rank - 1 });

type ValuesArb = (shape: readonly number[]) => fc.Arbitrary<Tensor>;

function unary(f: (v: number) => number, values: ValuesArb = (s) => floats(s), extra: Partial<OpCase> = {}): OpCase {
  return {
    sample: anyShape().chain(values).map((x) => ({ inputs: [x], attrs: {} })),
    reference: ([x]) => ({ shape: x.shape, data: x.data.map(f) }),
    ...extra,
  };
}

function binary(f: (a: number, b: number) => number, valuesA: ValuesArb = (s) => floats(s), valuesB = valuesA, extra: Partial<OpCase> = {}): OpCase {
  return {
    sample: anyBroadcast(2)
      .chain(([sa, sb]) => fc.tuple(valuesA(sa), valuesB(sb)))
      .map((inputs) => ({ inputs, attrs: {} })),
    reference: (inputs) => elementwise(inputs, f),
    ...extra,
  };
}

/** Comparisons and logical ops: values on a coarse grid, so that ties and zeros come up; the result is bool. */
const comparison = (f: (a: number, b: number) => boolean) =>
  binary((a, b) => (f(a, b) ? 1 : 0), (s) => grid(s, { step: 0.5, range: 2 }), undefined, { nondifferentiable: true, outputDType: "bool" });

/**
 * Floor division and remainder: dividends on the odd multiples of 1/8 and divisors of ±1, ±1.5 or
 * ±2 never divide to an integer (the quotient's odd numerator has no factor to cancel), so
 * finite differences never straddle a jump.
 */
const dividends = (shape: readonly number[]) => grid(shape, { offset: 0.125 });
const divisors = (shape: readonly number[]) =>
  fc
    .array(fc.constantFrom(-2, -1.5, -1, 1, 1.5, 2), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
    .map((values) => float64Tensor(values, shape));

/** Maximum/minimum: operands on interleaved grids never tie, so the kink is never met. */
const elementwiseExtremum = (f: (a: number, b: number) => number) => binary(f, (s) => grid(s), (s) => grid(s, { offset: 0.125 }));

type ReduceAttrs = { dims: number[]; keepdim: boolean };
function reduction(values: ValuesArb, shapes: fc.Arbitrary<number[]>, initial: number, combine: (acc: number, v: number) => number): OpCase<ReduceAttrs> {
  return {
    sample: shapes.chain((shape) =>
      fc
        // A mask rather than fc.subarray, which rarely picks non-adjacent dims such as [0, 2].
        .record({ x: values(shape), reduced: fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }), keepdim: fc.boolean() })
        .map(({ x, reduced, keepdim }) => ({ inputs: [x], attrs: { dims: shape.flatMap((_, i) => (reduced[i] ? [i] : [])), keepdim } })),
    ),
    reference: ([x], { dims, keepdim }) => reduce(x, dims, keepdim, initial, combine),
  };
}

/** gather/scatterAdd: an index of x's rank that fits inside x except along `dim`. */
const gatherLayout = fc.integer({ min: 1, max: 3 }).chain((rank) =>
  fc.tuple(shapeArb({ minRank: rank, maxRank: rank, maxDim: 3 }), dimOf(rank)).chain(([shape, dim]) =>
    fc
      .tuple(...shape.map((d, i) => fc.integer({ min: 0, max: i === dim ? 3 : d })))
      .map((indexShape) => ({ shape, dim, indexShape })),
  ),
);

/** indexSelect/indexAdd: a 1-D index of `length` positions along `dim`. */
const indexLayout = fc
  .tuple(shapeArb({ minRank: 1, ...small }), fc.integer({ min: 0, max: 4 }))
  .chain(([shape, length]) => dimOf(shape.length).map((dim) => ({ shape, dim, length, picked: withCoord(shape, dim, length) })));

/**
 * Advanced indexing written out by NumPy's rules: the shape of x[...] with index tensors on `dims`
 * and, for each of its elements, the flat position of x it reads (negative indices wrapped). The
 * broadcast index dims replace the indexed dims when those are adjacent, else they come first.
 */
function advancedRead(shape: readonly number[], dims: readonly number[], indices: readonly Ref[]): { shape: number[]; sources: number[] } {
  const batch = broadcastShapeOf(indices.map((t) => t.shape));
  const kept = shape.flatMap((_, d) => (dims.includes(d) ? [] : [d]));
  const before = dims.every((d, k) => k === 0 || d === dims[k - 1] + 1) ? dims[0] : 0;
  const outShape = [...kept.slice(0, before).map((d) => shape[d]), ...batch, ...kept.slice(before).map((d) => shape[d])];
  const sources = Array.from({ length: sizeOf(outShape) }, (_, flat) => {
    const c = coordsOf(flat, outShape);
    const at = c.slice(before, before + batch.length);
    const keptCoords = [...c.slice(0, before), ...c.slice(before + batch.length)];
    const source = new Array<number>(shape.length);
    kept.forEach((d, k) => (source[d] = keptCoords[k]));
    dims.forEach((d, k) => {
      const i = broadcastRead(indices[k], at);
      source[d] = i < 0 ? i + shape[d] : i;
    });
    return offsetOf(source, shape);
  });
  return { shape: outShape, sources };
}

/** A non-empty set of dims of a shape of `rank`, adjacent or not. */
const someDims = (rank: number) =>
  fc
    .tuple(fc.array(fc.boolean(), { minLength: rank, maxLength: rank }), dimOf(rank))
    .map(([picked, fallback]) => (picked.includes(true) ? picked.flatMap((p, d) => (p ? [d] : [])) : [fallback]));

/** x's shape, the dims indexed and their int32 index tensors (values from -size to size - 1, shapes broadcasting together, sometimes empty). */
const advancedLayoutArb = shapeArb({ minRank: 1, ...small }).chain((shape) =>
  someDims(shape.length).chain((dims) =>
    fc
      .oneof({ weight: 4, arbitrary: broadcastShapesArb(dims.length, { maxRank: 2, maxDim: 3 }) }, { weight: 1, arbitrary: broadcastShapesArb(dims.length, { maxRank: 2, maxDim: 3, minDim: 0 }) })
      .chain((shapes) => fc.tuple(...shapes.map((s, k) => tensorArb(s, { dtype: "int32", min: -shape[dims[k]], max: shape[dims[k]] - 1 }))))
      .map((indices) => ({ shape, dims, indices })),
  ),
);

/** As advancedLayoutArb, but no two index tuples address the same element (1-D index tensors, some values negative). */
const distinctAdvancedLayoutArb = shapeArb({ minRank: 1, ...small }).chain((shape) =>
  someDims(shape.length).chain((dims) => {
    const sizes = dims.map((d) => shape[d]);
    const tuples = sizeOf(sizes);
    return fc
      .tuple(fc.uniqueArray(fc.integer({ min: 0, max: tuples - 1 }), { maxLength: Math.min(tuples, 4) }), fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }))
      .map(([picked, negative]) => ({
        shape,
        dims,
        indices: sizes.map((size, k) => {
          const values = picked.map((t) => coordsOf(t, sizes)[k] - (negative[k] ? size : 0));
          return tensor(values, { shape: [values.length], dtype: "int32" });
        }),
      }));
  }),
);

/** A scatter index that reaches each position at most once: along `dim`, each line holds distinct values. */
const distinctScatterLayout = fc.integer({ min: 1, max: 3 }).chain((rank) =>
  fc.tuple(shapeArb({ minRank: rank, maxRank: rank, maxDim: 3 }), dimOf(rank)).chain(([shape, dim]) =>
    fc
      .tuple(...shape.map((d) => fc.integer({ min: 0, max: d })))
      .chain((indexShape) => {
        const lines = tabulate(withCoord(indexShape, dim, 1), () => 0).data.length;
        const line = fc.shuffledSubarray([...Array(shape[dim]).keys()], { minLength: indexShape[dim], maxLength: indexShape[dim] });
        return fc.array(line, { minLength: lines, maxLength: lines }).map((values) => {
          const index = tabulate(indexShape, (c) => values[offsetOf(withCoord(c, dim, 0), withCoord(indexShape, dim, 1))][c[dim]]);
          return { shape, dim, index: tensor(index.data, { shape: index.shape, dtype: "int32" }) };
        });
      }),
  ),
);

const scatterReductions = { sum: (vs: number[]) => vs.reduce((a, b) => a + b), prod: (vs: number[]) => vs.reduce((a, b) => a * b), mean: (vs: number[]) => vs.reduce((a, b) => a + b) / vs.length, amax: (vs: number[]) => Math.max(...vs), amin: (vs: number[]) => Math.min(...vs) };
type ScatterReduction = keyof typeof scatterReductions;

/** Values for a scatterReduce sample: distinct across x and src for amax/amin (no ties), away from 0 for prod. */
function scatterReduceValues(reduce: ScatterReduction, shape: readonly number[], indexShape: readonly number[]): fc.Arbitrary<[Tensor, Tensor]> {
  if (reduce === "amax" || reduce === "amin") {
    return distinct([sizeOf(shape) + sizeOf(indexShape)]).map((both) => {
      const values = Array.from(both.data());
      return [float64Tensor(values.slice(0, sizeOf(shape)), shape), float64Tensor(values.slice(sizeOf(shape)), indexShape)];
    });
  }
  const values = (s: readonly number[]) => (reduce === "prod" ? floats(s, { min: -1.5, max: 1.5, minAbs: 0.5 }) : floats(s));
  return fc.tuple(values(shape), values(indexShape));
}

/** Merges neighbouring factors where `joins` says so: [2, 3, 2] with joins at 1 gives [6, 2]. */
function group(factors: readonly number[], joins: readonly boolean[]): number[] {
  const shape: number[] = [];
  factors.forEach((f, i) => (i > 0 && joins[i] ? (shape[shape.length - 1] *= f) : shape.push(f)));
  return shape;
}


/** The error function by its Maclaurin series (converges fast on the samples' |x| <= 2): a reference independent of the op's algorithm. */
function erfSeries(x: number): number {
  let term = x;
  let total = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    total += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}

/** Round half to even, written differently from the op (through the distance to the floor). */
function roundHalfToEven(v: number): number {
  const floor = Math.floor(v);
  const rest = v - floor;
  return rest < 0.5 ? floor : rest > 0.5 ? floor + 1 : floor % 2 === 0 ? floor : floor + 1;
}

/** Values on the odd multiples of 1/8 (range 16: within ±4): never an integer, a half, or a multiple of 1/4 where the bounds below sit. */
const offGrid = (shape: readonly number[], range = 16) => grid(shape, { offset: 0.125, range });

/** A unary op with number attributes drawn from `attrs`. */
function unaryWith<A extends Attrs>(attrs: fc.Arbitrary<A>, f: (v: number, attrs: A) => number, values: ValuesArb = (s) => offGrid(s)): OpCase<A> {
  return {
    sample: fc.tuple(anyShape(), attrs).chain(([shape, a]) => values(shape).map((x) => ({ inputs: [x], attrs: a }))),
    reference: ([x], a) => ({ shape: x.shape, data: x.data.map((v) => f(v, a)) }),
  };
}

/** Bounds on multiples of 1/4, sometimes crossed (min > max) or one-sided (±Infinity). */
const bounds = fc
  .tuple(fc.integer({ min: -8, max: 8 }), fc.integer({ min: -8, max: 8 }), fc.constantFrom("both", "both", "min", "max"))
  .map(([i, j, which]) => ({ low: which === "max" ? -Infinity : i / 4, high: which === "min" ? Infinity : j / 4 }));
const clampValue = (v: number, low: number, high: number) => Math.min(Math.max(v, low), high);

const specials = (shape: readonly number[]) =>
  fc
    .array(fc.constantFrom(NaN, Infinity, -Infinity, 0, 1.5, -2, 1e300), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
    .map((values) => float64Tensor(values, shape));

const seluAlpha = 1.6732632423543772848170429916717;
const seluScale = 1.0507009873554804934193349852946;
const softplusOf = (v: number) => Math.log(1 + Math.exp(v));
const gaussianCdf = (v: number) => 0.5 * (1 + erfSeries(v / Math.SQRT2));


/** A line-wise reference: `f` maps each line along `dim` (a list of values) to the output line. */
function alongLines(x: Ref, dim: number, f: (line: number[]) => number[]): Ref {
  if (x.shape.length === 0) return { shape: [], data: f([x.data[0]]) };
  const data = new Array<number>(x.data.length);
  const n = x.shape[dim];
  const lineStarts = tabulate(withCoord(x.shape, dim, 1), (c) => offsetOf(c, x.shape)).data;
  const stride = offsetOf(withCoord(x.shape.map(() => 0), dim, 1), x.shape);
  for (const start of lineStarts) {
    const out = f(Array.from({ length: n }, (_, i) => x.data[start + i * stride]));
    out.forEach((v, i) => (data[start + i * stride] = v));
  }
  return { shape: x.shape, data };
}

/** A shape, a dim of it (0 for a 0-d shape) and a direction: the layout of a scan. */
const scanLayout = anyShape({ maxRank: 3 }).chain((shape) =>
  fc.record({ shape: fc.constant(shape), dim: shape.length === 0 ? fc.constant(0) : dimOf(shape.length), reverse: fc.boolean() }),
);
const inScanOrder = (line: number[], reverse: boolean, f: (line: number[]) => number[]) =>
  reverse ? f([...line].reverse()).reverse() : f(line);

/** The first index of the best value along each line, NaN counting as best. */
function argBest(line: number[], better: (a: number, b: number) => boolean): number {
  let at = 0;
  for (let i = 1; i < line.length; i++) if (!Number.isNaN(line[at]) && (Number.isNaN(line[i]) || better(line[i], line[at]))) at = i;
  return at;
}

function argExtremumCase(better: (a: number, b: number) => boolean): OpCase<{ dim: number | null; keepdim: boolean }> {
  return {
    sample: shapeArb({ maxRank: 3, maxDim: 3 }).chain((shape) =>
      fc
        .record({
          x: grid(shape, { step: 0.5, range: 2 }),
          dim: shape.length === 0 ? fc.constant(null) : fc.option(dimOf(shape.length), { nil: null }),
          keepdim: fc.boolean(),
        })
        .map(({ x, dim, keepdim }) => ({ inputs: [x], attrs: { dim, keepdim } })),
    ),
    reference: ([x], { dim, keepdim }) => {
      if (dim === null) return { shape: keepdim ? x.shape.map(() => 1) : [], data: [argBest(x.data, better)] };
      const lines = alongLines(x, dim, (line) => line.map(() => argBest(line, better)));
      const kept = withCoord(x.shape, dim, 1);
      const picked = tabulate(kept, (c) => lines.data[offsetOf(c, x.shape)]);
      return { shape: keepdim ? kept : x.shape.filter((_, i) => i !== dim), data: picked.data };
    },
    nondifferentiable: true,
    outputDType: "int32",
  };
}

/** The running best's index, the later one on ties; a NaN takes over, and so does each later NaN. */
function cumulativeBestCase(better: (a: number, b: number) => boolean): OpCase<{ dim: number; reverse: boolean }> {
  return {
    sample: scanLayout.chain(({ shape, dim }) => grid(shape, { step: 0.5, range: 2 }).map((x) => ({ inputs: [x], attrs: { dim, reverse: false } }))),
    reference: ([x], { dim }) =>
      alongLines(x, dim, (line) => {
        let at = 0;
        return line.map((v, i) => {
          if (i === 0 || Number.isNaN(v) || (!Number.isNaN(line[at]) && (v === line[at] || better(v, line[at])))) at = i;
          return at;
        });
      }),
    nondifferentiable: true,
    outputDType: "int32",
  };
}

/** A shape and a mask of its dims, as the sorted list of the masked ones. */
const shapeWithDims = (options: ShapeOptions) =>
  anyShape(options).chain((shape) =>
    fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }).map((mask) => ({ shape, dims: shape.flatMap((_, d) => (mask[d] ? [d] : [])) })),
  );

const padModes = ["constant", "reflect", "replicate", "circular"] as const;
type PadModeName = (typeof padModes)[number];

/** Whether PyTorch pads a dim of `size` by `left` and `right` in `mode` (negative amounts crop). */
function padAllowed(mode: PadModeName, size: number, left: number, right: number): boolean {
  const out = size + left + right;
  if (left === 0 && right === 0) return true;
  if (mode === "constant") return size + Math.min(left, 0) + Math.min(right, 0) >= 0;
  if (mode === "reflect") return left < size && right < size && out >= 1;
  if (mode === "replicate") return size >= 1 && out >= 1;
  const kept = size + Math.min(left, 0) + Math.min(right, 0);
  return left <= kept && right <= kept && out >= 0;
}

/** A shape, a mode and a pads list (last dim first) for some trailing dims, each pair allowed for its dim (else 0, 0). */
const padLayout = (modes: readonly PadModeName[]) =>
  anyShape({ maxRank: 3 }).chain((shape) =>
    fc.record({ mode: fc.constantFrom(...modes), padded: fc.integer({ min: 0, max: shape.length }) }).chain(({ mode, padded }) =>
      fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 })), { minLength: padded, maxLength: padded }).map((pairs) => ({
        shape,
        mode,
        pads: pairs.flatMap(([left, right], p) => (padAllowed(mode, shape[shape.length - 1 - p], left, right) ? [left, right] : [0, 0])),
      })),
    ),
  );

/** The pads before and after `dim` of a tensor of `rank` (0, 0 when the list does not reach it). */
const padsOf = (pads: readonly number[], rank: number, dim: number): [number, number] => {
  const p = rank - 1 - dim;
  return 2 * p < pads.length ? [pads[2 * p], pads[2 * p + 1]] : [0, 0];
};

/** The input index that position `j` of a dim of `size` padded by `left` and `right` copies, or undefined for the constant. */
function paddingSource(mode: PadModeName, j: number, [left, right]: [number, number], size: number): number | undefined {
  if (mode === "circular") {
    // Crop, then put the last `left` of what is left before it and the first `right` after it.
    const kept = Array.from({ length: size }, (_, i) => i).slice(Math.max(-left, 0), size - Math.max(-right, 0));
    return [...kept.slice(kept.length - Math.max(left, 0)), ...kept, ...kept.slice(0, Math.max(right, 0))][j];
  }
  const i = j - left;
  if (i >= 0 && i < size) return i;
  if (mode === "constant") return undefined;
  if (mode === "replicate") return i < 0 ? 0 : size - 1;
  // Reflect bounces between the edges: a period of 2 (size - 1).
  const period = 2 * (size - 1);
  const m = ((i % period) + period) % period;
  return m < size ? m : period - m;
}

/** For each position of a padded tensor, the input coordinates it copies (undefined for the constant). */
function paddingSources(shape: readonly number[], pads: readonly number[], mode: PadModeName, coords: readonly number[]): number[] | undefined {
  const source = coords.map((j, d) => paddingSource(mode, j, padsOf(pads, shape.length, d), shape[d]));
  return source.some((i) => i === undefined) ? undefined : (source as number[]);
}

const paddedShapeOf = (shape: readonly number[], pads: readonly number[]) => shape.map((n, d) => n + padsOf(pads, shape.length, d)[0] + padsOf(pads, shape.length, d)[1]);

/** Unfold's output coordinates (window along `dim`, element last) to its input's. */
const unfoldSource = (coords: readonly number[], dim: number, step: number) => withCoord(coords.slice(0, -1), dim, coords[dim] * step + coords[coords.length - 1]);
const unfoldShapeOf = (shape: readonly number[], dim: number, size: number, step: number) => [...withCoord(shape, dim, Math.floor((shape[dim] - size) / step) + 1), size];
const unfoldLayout = anyShape({ minRank: 1 }).chain((shape) =>
  dimOf(shape.length).chain((dim) => fc.record({ shape: fc.constant(shape), dim: fc.constant(dim), size: fc.integer({ min: 0, max: shape[dim] }), step: fc.integer({ min: 1, max: 3 }) })),
);

/** Diagonal `offset` of the (dim1, dim2) planes: element i sits at row i + max(0, -offset), column i + max(0, offset). */
const diagonalStart = (offset: number) => [Math.max(0, -offset), Math.max(0, offset)];
const diagonalLengthOf = (rows: number, cols: number, offset: number) => {
  const [row, col] = diagonalStart(offset);
  return Math.max(0, Math.min(rows - row, cols - col));
};

const castTargets = { float64: ["float32", "int32", "bool"], int32: ["float64", "float32", "bool"], bool: ["float32", "int32"] } satisfies Record<string, DType[]>;
const castValue: Record<DType, (v: number) => number> = { float64: (v) => v, float32: Math.fround, int32: Math.trunc, bool: (v) => (v !== 0 ? 1 : 0) };

export const cases: Record<BuiltinOpName, OpCase<any>> = {
  ...convCases,
  neg: unary((v) => -v),
  exp: unary(Math.exp),
  tanh: unary(Math.tanh),
  sigmoid: unary((v) => 1 / (1 + Math.exp(-v))),
  log: unary(Math.log, (s) => floats(s, { min: 0.2, max: 3 })),
  sqrt: unary(Math.sqrt, (s) => floats(s, { min: 0.2, max: 3 })),
  abs: unary(Math.abs, (s) => floats(s, { minAbs: 0.01 })),
  relu: unary((v) => (v > 0 ? v : 0), (s) => floats(s, { minAbs: 0.01 })),
  sign: unary(Math.sign, (s) => grid(s, { step: 0.5, range: 2 }), { nondifferentiable: true }),
  detach: unary((v) => v, (s) => floats(s), { nondifferentiable: true }),

  sin: unary(Math.sin),
  cos: unary(Math.cos),
  tan: unary(Math.tan, (s) => floats(s, { min: -1.2, max: 1.2 })),
  asin: unary(Math.asin, (s) => floats(s, { min: -0.9, max: 0.9 })),
  acos: unary(Math.acos, (s) => floats(s, { min: -0.9, max: 0.9 })),
  atan: unary(Math.atan),
  sinh: unary(Math.sinh),
  cosh: unary(Math.cosh),
  asinh: unary(Math.asinh),
  acosh: unary(Math.acosh, (s) => floats(s, { min: 1.2, max: 3 })),
  atanh: unary(Math.atanh, (s) => floats(s, { min: -0.9, max: 0.9 })),
  exp2: unary((v) => 2 ** v),
  expm1: unary((v) => Math.exp(v) - 1),
  log2: unary((v) => Math.log(v) / Math.LN2, (s) => floats(s, { min: 0.2, max: 3 })),
  log10: unary((v) => Math.log(v) / Math.LN10, (s) => floats(s, { min: 0.2, max: 3 })),
  log1p: unary((v) => Math.log(1 + v), (s) => floats(s, { min: -0.8, max: 2 })),
  rsqrt: unary((v) => 1 / Math.sqrt(v), (s) => floats(s, { min: 0.2, max: 3 })),
  reciprocal: unary((v) => 1 / v, (s) => floats(s, { minAbs: 0.5 })),
  square: unary((v) => v * v),
  erf: unary(erfSeries),
  erfc: unary((v) => 1 - erfSeries(v)),
  floor: unary(Math.floor, (s) => offGrid(s)),
  ceil: unary(Math.ceil, (s) => offGrid(s)),
  trunc: unary((v) => (v < 0 ? -Math.floor(-v) : Math.floor(v)), (s) => offGrid(s)),
  round: unary(roundHalfToEven, (s) => offGrid(s)),
  frac: unary((v) => v % 1, (s) => offGrid(s)),
  isnan: unary((v) => (Number.isNaN(v) ? 1 : 0), specials, { nondifferentiable: true, outputDType: "bool" }),
  isinf: unary((v) => (Math.abs(v) === Infinity ? 1 : 0), specials, { nondifferentiable: true, outputDType: "bool" }),
  isfinite: unary((v) => (Number.isFinite(v) ? 1 : 0), specials, { nondifferentiable: true, outputDType: "bool" }),
  logicalAnd: comparison((a, b) => Boolean(a) && Boolean(b)),
  logicalOr: comparison((a, b) => Boolean(a) || Boolean(b)),
  logicalXor: comparison((a, b) => Boolean(a) !== Boolean(b)),
  logicalNot: unary((v) => (v === 0 ? 1 : 0), specials, { nondifferentiable: true, outputDType: "bool" }),
  any: { ...reduction(specials, anyShape({ maxRank: 3 }), 0, (acc, v) => (acc !== 0 || v !== 0 ? 1 : 0)), nondifferentiable: true, outputDType: "bool" },
  all: { ...reduction(specials, anyShape({ maxRank: 3 }), 1, (acc, v) => (acc !== 0 && v !== 0 ? 1 : 0)), nondifferentiable: true, outputDType: "bool" },
  nanToNum: unaryWith(
    fc.record({ nan: fc.constantFrom(0, -1.5), posinf: fc.constantFrom(3, 1e30), neginf: fc.constantFrom(-3, -1e30) }),
    (v, { nan, posinf, neginf }) => (Number.isNaN(v) ? nan : v === Infinity ? posinf : v === -Infinity ? neginf : v),
    (s) => floats(s),
  ),
  clamp: unaryWith(bounds.map(({ low, high }) => ({ min: low, max: high })), (v, { min, max }) => clampValue(v, min, max)),
  hardtanh: unaryWith(bounds.map(({ low, high }) => ({ minVal: low, maxVal: high })), (v, { minVal, maxVal }) => clampValue(v, minVal, maxVal)),
  leakyRelu: unaryWith(fc.record({ negativeSlope: fc.constantFrom(0.01, 0.2, -0.5) }), (v, { negativeSlope }) => (v > 0 ? v : v * negativeSlope)),
  elu: unaryWith(fc.record({ alpha: fc.constantFrom(1, 0.5, 2) }), (v, { alpha }) => (v > 0 ? v : alpha * (Math.exp(v) - 1))),
  celu: unaryWith(fc.record({ alpha: fc.constantFrom(1, 0.5, 2) }), (v, { alpha }) => Math.max(0, v) + Math.min(0, alpha * (Math.exp(v / alpha) - 1))),
  selu: unary((v) => seluScale * (v > 0 ? v : seluAlpha * (Math.exp(v) - 1)), (s) => offGrid(s)),
  softplus: unaryWith(
    fc.record({ beta: fc.constantFrom(1, 2, 0.5), threshold: fc.constantFrom(20, 1, 2) }),
    (v, { beta, threshold }) => (v * beta > threshold ? v : softplusOf(v * beta) / beta),
  ),
  gelu: unary((v) => v * gaussianCdf(v)),
  geluTanh: unary((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))),
  silu: unary((v) => v / (1 + Math.exp(-v))),
  mish: unary((v) => v * Math.tanh(softplusOf(v))),
  hardsigmoid: unary((v) => clampValue(v + 3, 0, 6) / 6, (s) => offGrid(s, 32)),
  hardswish: unary((v) => (v * clampValue(v + 3, 0, 6)) / 6, (s) => offGrid(s, 32)),
  logSigmoid: unary((v) => -softplusOf(-v)),
  softsign: unary((v) => v / (1 + Math.abs(v)), (s) => floats(s, { minAbs: 0.01 })),

  atan2: binary(Math.atan2, (s) => floats(s, { minAbs: 0.1 }), (s) => floats(s, { minAbs: 0.1 })),
  hypot: binary((a, b) => Math.sqrt(a * a + b * b), (s) => floats(s, { minAbs: 0.1 })),
  copysign: binary(
    (a, b) => (b < 0 || Object.is(b, -0) ? -Math.abs(a) : Math.abs(a)),
    (s) => floats(s, { minAbs: 0.01 }),
    (s) => grid(s, { step: 0.5, range: 2 }),
    { wrt: () => [0] },
  ),
  fmod: binary((a, b) => a - b * Math.trunc(a / b), dividends, divisors),
  logAddExp: binary((a, b) => Math.log(Math.exp(a) + Math.exp(b))),
  lerp: {
    sample: anyBroadcast(3)
      .chain(([s0, s1, s2]) => fc.tuple(floats(s0), floats(s1), floats(s2)))
      .map((inputs) => ({ inputs, attrs: {} })),
    reference: (inputs) => elementwise(inputs, (start, end, weight) => start + weight * (end - start)),
  },

  add: binary((a, b) => a + b),
  sub: binary((a, b) => a - b),
  mul: binary((a, b) => a * b),
  div: binary((a, b) => a / b, (s) => floats(s), (s) => floats(s, { minAbs: 0.5 })),
  pow: binary(Math.pow, (s) => floats(s, { min: 0.2, max: 2 })),
  floorDivide: binary((a, b) => Math.floor(a / b), dividends, divisors, { nondifferentiable: true }),
  remainder: binary((a, b) => a - b * Math.floor(a / b), dividends, divisors),
  maximum: elementwiseExtremum(Math.max),
  minimum: elementwiseExtremum(Math.min),
  eq: comparison((a, b) => a === b),
  ne: comparison((a, b) => a !== b),
  lt: comparison((a, b) => a < b),
  le: comparison((a, b) => a <= b),
  gt: comparison((a, b) => a > b),
  ge: comparison((a, b) => a >= b),

  where: {
    // The condition holds -1, 0 or 1: any nonzero value selects x.
    sample: anyBroadcast(3)
      .chain(([sc, sx, sy]) => fc.tuple(grid(sc, { step: 1, range: 1 }), floats(sx), floats(sy)))
      .map((inputs) => ({ inputs, attrs: {} })),
    reference: (inputs) => elementwise(inputs, (c, x, y) => (c !== 0 ? x : y)),
    wrt: () => [1, 2],
  },

  matmul: {
    // The op multiplies matrices (rank >= 2); `matmul()` maps torch's 1-D cases onto it (see the fixtures).
    sample: matmulPairArb({ maxBatchRank: 2, maxDim: 3 })
      .map(([a, b]) => [a.length === 1 ? [1, ...a] : a, b.length === 1 ? [...b, 1] : b])
      .chain(([sa, sb]) => fc.tuple(floats(sa), floats(sb)))
      .map((inputs) => ({ inputs, attrs: {} })),
    reference: ([a, b]) => {
      const [m, k] = a.shape.slice(-2);
      const n = b.shape[b.shape.length - 1];
      const batch = broadcastShapeOf([a.shape.slice(0, -2), b.shape.slice(0, -2)]);
      return tabulate([...batch, m, n], (c) => {
        const [i, j] = c.slice(-2);
        const at = c.slice(0, -2);
        let total = 0;
        for (let r = 0; r < k; r++) total += broadcastRead(a, [...at, i, r]) * broadcastRead(b, [...at, r, j]);
        return total;
      });
    },
  },

  transpose: {
    sample: shapeArb({ minRank: 2, maxRank: 4, maxDim: 3 }).chain((shape) =>
      fc
        .tuple(floats(shape), fc.uniqueArray(dimOf(shape.length), { minLength: 2, maxLength: 2 }))
        .map(([x, dims]) => ({ inputs: [x], attrs: { dim0: Math.min(...dims), dim1: Math.max(...dims) } })),
    ),
    reference: ([x], { dim0, dim1 }: { dim0: number; dim1: number }) => {
      const swap = (c: readonly number[]) => c.map((v, d) => (d === dim0 ? c[dim1] : d === dim1 ? c[dim0] : v));
      return tabulate(swap(x.shape), (c) => x.data[offsetOf(swap(c), x.shape)]);
    },
  },

  permute: {
    sample: anyShape({ maxRank: 4 }).chain((shape) =>
      fc
        .tuple(floats(shape), fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }))
        .map(([x, dims]) => ({ inputs: [x], attrs: { dims } })),
    ),
    reference: ([x], { dims }: { dims: number[] }) =>
      tabulate(
        dims.map((d) => x.shape[d]),
        (c) => {
          const source = new Array<number>(c.length);
          dims.forEach((d, i) => (source[d] = c[i]));
          return x.data[offsetOf(source, x.shape)];
        },
      ),
  },

  reshape: {
    sample: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }).chain((factors) => {
      const joins = fc.array(fc.boolean(), { minLength: factors.length, maxLength: factors.length });
      return fc.tuple(joins, joins, fc.boolean()).chain(([from, to, unit]) =>
        floats(group(factors, from)).map((x) => ({ inputs: [x], attrs: { shape: unit ? [...group(factors, to), 1] : group(factors, to) } })),
      );
    }),
    reference: ([x], { shape }: { shape: number[] }) => ({ shape, data: x.data }),
  },

  expand: {
    sample: anyBroadcast(2).chain(([shape, other]) =>
      floats(shape).map((x) => ({ inputs: [x], attrs: { shape: broadcastShapeOf([shape, other]) } })),
    ),
    reference: ([x], { shape }: { shape: number[] }) => tabulate(shape, (c) => broadcastRead(x, c)),
  },

  sum: reduction((s) => floats(s), anyShape({ maxRank: 4 }), 0, (acc, v) => acc + v),
  max: reduction(distinct, shapeArb({ maxRank: 4, maxDim: 3 }), -Infinity, Math.max),
  min: reduction(distinct, shapeArb({ maxRank: 4, maxDim: 3 }), Infinity, Math.min),
  prod: reduction((s) => floats(s, { min: -1.5, max: 1.5 }), anyShape({ maxRank: 3 }), 1, (acc, v) => acc * v),
  argmax: argExtremumCase((a, b) => a > b),
  argmin: argExtremumCase((a, b) => a < b),
  cumsum: {
    sample: scanLayout.chain(({ shape, dim, reverse }) => floats(shape).map((x) => ({ inputs: [x], attrs: { dim, reverse } }))),
    reference: ([x], { dim, reverse }: { dim: number; reverse: boolean }) =>
      alongLines(x, dim, (line) => inScanOrder(line, reverse, (l) => l.map((_, i) => l.slice(0, i + 1).reduce((p, v) => p + v, 0)))),
  },
  linearScan: {
    sample: scanLayout.chain(({ shape, dim, reverse }) =>
      fc
        .tuple(floats(shape, { min: -1.5, max: 1.5 }), floats(shape), fc.constantFrom(0, 1, -0.5))
        .map(([a, b, initial]) => ({ inputs: [a, b], attrs: { dim, reverse, initial } })),
    ),
    reference: ([a, b], { dim, reverse, initial }: { dim: number; reverse: boolean; initial: number }) => {
      const lines = alongLines({ shape: a.shape, data: a.data.map((_, i) => i) }, dim, (positions) =>
        inScanOrder(positions, reverse, (order) => {
          let h = initial;
          return order.map((p) => (h = a.data[p] * h + b.data[p]));
        }),
      );
      return lines;
    },
  },
  argsort: {
    sample: scanLayout.chain(({ shape, dim }) =>
      fc.tuple(grid(shape, { step: 0.5, range: 2 }), fc.boolean()).map(([x, descending]) => ({ inputs: [x], attrs: { dim, descending } })),
    ),
    reference: ([x], { dim, descending }: { dim: number; descending: boolean }) =>
      alongLines(x, dim, (line) =>
        line
          .map((v, i) => [v, i])
          .sort(([a, i], [b, j]) => (descending ? b - a : a - b) || i - j)
          .map(([, i]) => i),
      ),
    nondifferentiable: true,
    outputDType: "int32",
  },
  cummaxIndices: cumulativeBestCase((a, b) => a > b),
  cumminIndices: cumulativeBestCase((a, b) => a < b),

  slice: {
    sample: anyShape({ minRank: 1 }).chain((shape) =>
      dimOf(shape.length).chain((dim) =>
        fc.integer({ min: 0, max: shape[dim] }).chain((start) =>
          fc
            .tuple(floats(shape), fc.integer({ min: start, max: shape[dim] }), fc.integer({ min: 1, max: 3 }))
            .map(([x, end, step]) => ({ inputs: [x], attrs: { dim, start, end, step } })),
        ),
      ),
    ),
    reference: ([x], { dim, start, end, step }: { dim: number; start: number; end: number; step: number }) =>
      tabulate(withCoord(x.shape, dim, Math.ceil((end - start) / step)), (c) => x.data[offsetOf(withCoord(c, dim, start + c[dim] * step), x.shape)]),
  },

  sliceBackward: {
    sample: anyShape({ minRank: 1 }).chain((shape) =>
      fc
        .record({ g: floats(shape), dim: dimOf(shape.length), start: fc.integer({ min: 0, max: 2 }), step: fc.integer({ min: 1, max: 3 }), spare: fc.integer({ min: 0, max: 2 }) })
        .map(({ g, dim, start, step, spare }) => ({
          inputs: [g],
          attrs: { dim, start, step, size: start + Math.max(0, step * (shape[dim] - 1) + 1) + spare },
        })),
    ),
    reference: ([g], { dim, start, step, size }: { dim: number; start: number; step: number; size: number }) => {
      const zeros = { shape: withCoord(g.shape, dim, size), data: new Array<number>(sizeOf(withCoord(g.shape, dim, size))).fill(0) };
      return accumulate(zeros, g, (c) => withCoord(c, dim, start + c[dim] * step));
    },
  },

  concat: {
    sample: shapeArb({ minRank: 1, ...small }).chain((shape) =>
      dimOf(shape.length).chain((dim) =>
        fc
          .array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 })
          .chain((sizes) => fc.tuple(...sizes.map((size) => floats(withCoord(shape, dim, size)))))
          .map((inputs) => ({ inputs, attrs: { dim } })),
      ),
    ),
    reference: (inputs, { dim }: { dim: number }) => {
      const total = inputs.reduce((n, x) => n + x.shape[dim], 0);
      return tabulate(withCoord(inputs[0].shape, dim, total), (c) => {
        let at = c[dim];
        const source = inputs.find((x) => (at < x.shape[dim] ? true : ((at -= x.shape[dim]), false)))!;
        return source.data[offsetOf(withCoord(c, dim, at), source.shape)];
      });
    },
  },

  gather: {
    sample: gatherLayout.chain(({ shape, dim, indexShape }) =>
      fc.tuple(floats(shape), indices(indexShape, shape[dim])).map((inputs) => ({ inputs, attrs: { dim } })),
    ),
    reference: ([x, index], { dim }: { dim: number }) =>
      tabulate(index.shape, (c) => x.data[offsetOf(withCoord(c, dim, index.data[offsetOf(c, index.shape)]), x.shape)]),
  },

  scatterAdd: {
    sample: gatherLayout.chain(({ shape, dim, indexShape }) =>
      fc.tuple(floats(shape), indices(indexShape, shape[dim]), floats(indexShape)).map((inputs) => ({ inputs, attrs: { dim } })),
    ),
    reference: ([base, index, src], { dim }: { dim: number }) => accumulate(base, src, (c, i) => withCoord(c, dim, index.data[i])),
  },

  indexSelect: {
    sample: indexLayout.chain(({ shape, dim, length }) =>
      fc.tuple(floats(shape), indices([length], shape[dim])).map((inputs) => ({ inputs, attrs: { dim } })),
    ),
    reference: ([x, index], { dim }: { dim: number }) =>
      tabulate(withCoord(x.shape, dim, index.shape[0]), (c) => x.data[offsetOf(withCoord(c, dim, index.data[c[dim]]), x.shape)]),
  },

  indexAdd: {
    sample: indexLayout.chain(({ shape, dim, length, picked }) =>
      fc.tuple(floats(shape), indices([length], shape[dim]), floats(picked)).map((inputs) => ({ inputs, attrs: { dim } })),
    ),
    reference: ([base, index, src], { dim }: { dim: number }) => accumulate(base, src, (c) => withCoord(c, dim, index.data[c[dim]])),
  },

  advancedIndex: {
    sample: advancedLayoutArb.chain(({ shape, dims, indices }) => floats(shape).map((x) => ({ inputs: [x, ...indices], attrs: { dims } }))),
    reference: ([x, ...indices], { dims }: { dims: number[] }) => {
      const { shape, sources } = advancedRead(x.shape, dims, indices);
      return { shape, data: sources.map((s) => x.data[s]) };
    },
  },

  indexPut: {
    // Written over (not accumulated), a position reached twice would have no derivative for the value written first.
    sample: fc.boolean().chain((accumulate) =>
      (accumulate ? advancedLayoutArb : distinctAdvancedLayoutArb).chain(({ shape, dims, indices }) =>
        fc
          .tuple(floats(shape), floats(advancedRead(shape, dims, indices.map(toRef)).shape))
          .map(([x, values]) => ({ inputs: [x, values, ...indices], attrs: { dims, accumulate } })),
      ),
    ),
    reference: ([x, values, ...indices], { dims, accumulate }: { dims: number[]; accumulate: boolean }) => {
      const data = [...x.data];
      advancedRead(x.shape, dims, indices).sources.forEach((s, i) => (data[s] = accumulate ? data[s] + values.data[i] : values.data[i]));
      return { shape: x.shape, data };
    },
  },

  scatter: {
    sample: distinctScatterLayout.chain(({ shape, dim, index }) =>
      fc.tuple(floats(shape), floats(index.shape)).map(([x, src]) => ({ inputs: [x, index, src], attrs: { dim } })),
    ),
    reference: ([x, index, src], { dim }: { dim: number }) => {
      const data = [...x.data];
      src.data.forEach((v, i) => (data[offsetOf(withCoord(coordsOf(i, index.shape), dim, index.data[i]), x.shape)] = v));
      return { shape: x.shape, data };
    },
  },

  scatterReduce: {
    sample: gatherLayout.chain(({ shape, dim, indexShape }) =>
      fc
        .record({ reduce: fc.constantFrom<ScatterReduction>("sum", "prod", "mean", "amax", "amin"), includeSelf: fc.boolean(), index: indices(indexShape, shape[dim]) })
        .chain(({ reduce, includeSelf, index }) =>
          scatterReduceValues(reduce, shape, indexShape).map(([x, src]) => ({ inputs: [x, index, src], attrs: { dim, reduce, includeSelf } })),
        ),
    ),
    reference: ([x, index, src], { dim, reduce, includeSelf }: { dim: number; reduce: ScatterReduction; includeSelf: boolean }) => {
      const reaching = x.data.map((): number[] => []);
      src.data.forEach((v, i) => reaching[offsetOf(withCoord(coordsOf(i, index.shape), dim, index.data[i]), x.shape)].push(v));
      const data = x.data.map((self, p) => (reaching[p].length === 0 ? self : scatterReductions[reduce](includeSelf ? [self, ...reaching[p]] : reaching[p])));
      return { shape: x.shape, data };
    },
  },

  flip: {
    sample: shapeWithDims({ maxRank: 4 }).chain(({ shape, dims }) => floats(shape).map((x) => ({ inputs: [x], attrs: { dims } }))),
    reference: ([x], { dims }: { dims: number[] }) =>
      tabulate(x.shape, (c) => x.data[offsetOf(c.map((i, d) => (dims.includes(d) ? x.shape[d] - 1 - i : i)), x.shape)]),
  },

  roll: {
    // Dims may repeat (each roll adds up) and shifts may be negative or exceed the size.
    sample: anyShape({ minRank: 1 }).chain((shape) =>
      fc
        .array(fc.tuple(dimOf(shape.length), fc.integer({ min: -5, max: 5 })), { minLength: 1, maxLength: 3 })
        .chain((pairs) => floats(shape).map((x) => ({ inputs: [x], attrs: { shifts: pairs.map(([, s]) => s), dims: pairs.map(([d]) => d) } }))),
    ),
    reference: ([x], { shifts, dims }: { shifts: number[]; dims: number[] }) =>
      dims.reduce(
        (y, d, k) => tabulate(y.shape, (c) => y.data[offsetOf(withCoord(c, d, (((c[d] - shifts[k]) % y.shape[d]) + y.shape[d]) % y.shape[d]), y.shape)]),
        x,
      ),
  },

  tril: {
    sample: fc.tuple(anyShape({ minRank: 2, maxRank: 4 }), fc.integer({ min: -4, max: 4 })).chain(([shape, diagonal]) => floats(shape).map((x) => ({ inputs: [x], attrs: { diagonal } }))),
    reference: ([x], { diagonal }: { diagonal: number }) => tabulate(x.shape, (c) => (c[c.length - 1] - c[c.length - 2] <= diagonal ? x.data[offsetOf(c, x.shape)] : 0)),
  },

  triu: {
    sample: fc.tuple(anyShape({ minRank: 2, maxRank: 4 }), fc.integer({ min: -4, max: 4 })).chain(([shape, diagonal]) => floats(shape).map((x) => ({ inputs: [x], attrs: { diagonal } }))),
    reference: ([x], { diagonal }: { diagonal: number }) => tabulate(x.shape, (c) => (c[c.length - 1] - c[c.length - 2] >= diagonal ? x.data[offsetOf(c, x.shape)] : 0)),
  },

  diagonal: {
    sample: anyShape({ minRank: 2, maxRank: 4 }).chain((shape) =>
      fc
        .tuple(floats(shape), fc.uniqueArray(dimOf(shape.length), { minLength: 2, maxLength: 2 }), fc.integer({ min: -3, max: 3 }))
        .map(([x, [dim1, dim2], offset]) => ({ inputs: [x], attrs: { offset, dim1, dim2 } })),
    ),
    reference: ([x], { offset, dim1, dim2 }: { offset: number; dim1: number; dim2: number }) => {
      const kept = x.shape.flatMap((_, d) => (d === dim1 || d === dim2 ? [] : [d]));
      const [row, col] = diagonalStart(offset);
      return tabulate([...kept.map((d) => x.shape[d]), diagonalLengthOf(x.shape[dim1], x.shape[dim2], offset)], (c) => {
        const source = new Array<number>(x.shape.length);
        kept.forEach((d, k) => (source[d] = c[k]));
        [source[dim1], source[dim2]] = [row + c[c.length - 1], col + c[c.length - 1]];
        return x.data[offsetOf(source, x.shape)];
      });
    },
  },

  diagonalBackward: {
    sample: anyShape({ maxRank: 2 }).chain((batch) =>
      fc
        .record({
          dims: fc.uniqueArray(dimOf(batch.length + 2), { minLength: 2, maxLength: 2 }),
          size1: fc.integer({ min: 0, max: 3 }),
          size2: fc.integer({ min: 0, max: 3 }),
          offset: fc.integer({ min: -3, max: 3 }),
        })
        .chain(({ dims: [dim1, dim2], size1, size2, offset }) =>
          floats([...batch, diagonalLengthOf(size1, size2, offset)]).map((g) => ({ inputs: [g], attrs: { offset, dim1, dim2, size1, size2 } })),
        ),
    ),
    reference: ([g], { offset, dim1, dim2, size1, size2 }: { offset: number; dim1: number; dim2: number; size1: number; size2: number }) => {
      const rank = g.shape.length + 1;
      const batchDims = Array.from({ length: rank }, (_, d) => d).filter((d) => d !== dim1 && d !== dim2);
      const shape = new Array<number>(rank);
      batchDims.forEach((d, k) => (shape[d] = g.shape[k]));
      [shape[dim1], shape[dim2]] = [size1, size2];
      const [row, col] = diagonalStart(offset);
      const zeros = { shape, data: new Array<number>(sizeOf(shape)).fill(0) };
      return accumulate(zeros, g, (c) => {
        const target = new Array<number>(rank);
        batchDims.forEach((d, k) => (target[d] = c[k]));
        [target[dim1], target[dim2]] = [row + c[c.length - 1], col + c[c.length - 1]];
        return target;
      });
    },
  },

  pad: {
    sample: padLayout(padModes).chain(({ shape, mode, pads }) =>
      fc
        .tuple(floats(shape), mode === "constant" ? fc.constantFrom(0, 1.5, -2) : fc.constant(0))
        .map(([x, value]) => ({ inputs: [x], attrs: { pads, mode, value } })),
    ),
    reference: ([x], { pads, mode, value }: { pads: number[]; mode: PadModeName; value: number }) =>
      tabulate(paddedShapeOf(x.shape, pads), (c) => {
        const source = paddingSources(x.shape, pads, mode, c);
        return source === undefined ? value : x.data[offsetOf(source, x.shape)];
      }),
  },

  padBackward: {
    sample: padLayout(["reflect", "replicate", "circular"]).chain(({ shape, mode, pads }) =>
      floats(paddedShapeOf(shape, pads)).map((g) => ({ inputs: [g], attrs: { pads, mode } })),
    ),
    reference: ([g], { pads, mode }: { pads: number[]; mode: PadModeName }) => {
      const shape = g.shape.map((n, d) => n - padsOf(pads, g.shape.length, d)[0] - padsOf(pads, g.shape.length, d)[1]);
      const zeros = { shape, data: new Array<number>(sizeOf(shape)).fill(0) };
      return accumulate(zeros, g, (c) => paddingSources(shape, pads, mode, c)!);
    },
  },

  unfold: {
    sample: unfoldLayout.chain(({ shape, dim, size, step }) => floats(shape).map((x) => ({ inputs: [x], attrs: { dim, size, step } }))),
    reference: ([x], { dim, size, step }: { dim: number; size: number; step: number }) =>
      tabulate(unfoldShapeOf(x.shape, dim, size, step), (c) => x.data[offsetOf(unfoldSource(c, dim, step), x.shape)]),
  },

  unfoldBackward: {
    sample: unfoldLayout.chain(({ shape, dim, size, step }) =>
      floats(unfoldShapeOf(shape, dim, size, step)).map((g) => ({ inputs: [g], attrs: { dim, size, step, length: shape[dim] } })),
    ),
    reference: ([g], { dim, step, length }: { dim: number; step: number; length: number }) => {
      const shape = withCoord(g.shape.slice(0, -1), dim, length);
      const zeros = { shape, data: new Array<number>(sizeOf(shape)).fill(0) };
      return accumulate(zeros, g, (c) => unfoldSource(c, dim, step));
    },
  },

  cast: {
    // Values on a 1/64 grid: float32 holds them and x ± 2^-8 exactly, so finite differences through
    // a float32 result are exact with that step.
    sample: fc.tuple(anyShape(), fc.constantFrom<keyof typeof castTargets>("float64", "int32", "bool")).chain(([shape, from]) =>
      fc
        .tuple(
          from === "int32"
            ? tensorArb(shape, { dtype: "int32", min: -5, max: 5 })
            : from === "bool"
              ? tensorArb(shape, { dtype: "int32", min: 0, max: 1 }).map((x) => tensor(x.data(), { shape, dtype: "bool" }))
              : grid(shape, { step: 1 / 64, range: 160 }),
          fc.constantFrom(...castTargets[from]),
        )
        .map(([x, dtype]) => ({ inputs: [x], attrs: { dtype } })),
    ),
    reference: ([x], { dtype }: { dtype: DType }) => ({ shape: x.shape, data: x.data.map(castValue[dtype]) }),
    wrt: ({ inputs: [x], attrs: { dtype } }) => (isFloat(x.dtype) && isFloat(dtype) ? [0] : []),
    gradCheck: { eps: 2 ** -8 },
  },
};

