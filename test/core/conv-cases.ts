/**
 * Samples and plain-JS references for the convolution and pooling ops, spread into the op table
 * of op-cases.ts. The references are direct loops over output positions and kernel taps, written
 * from PyTorch's definitions, independent of the im2col kernels and of the window tables the ops
 * build.
 */
import fc from "fast-check";
import { type Tensor, tensor } from "@gradgraph/core";
import { tensorArb } from "@gradgraph/core/testing";
import type { OpCase, Ref } from "./op-cases";

const product = (values: readonly number[]) => values.reduce((p, v) => p * v, 1);
const floats = (shape: readonly number[]) => tensorArb(shape, { dtype: "float64", min: -2, max: 2 });

/** Row-major offset of `coords` in `shape`. */
const offsetOf = (coords: readonly number[], shape: readonly number[]) => coords.reduce((o, c, d) => o * shape[d] + c, 0);

/** Every coordinate tuple of `shape`, row-major. */
function* positions(shape: readonly number[]): Generator<number[]> {
  const total = product(shape);
  for (let flat = 0; flat < total; flat++) {
    const coords = new Array<number>(shape.length);
    let rest = flat;
    for (let d = shape.length - 1; d >= 0; d--) {
      coords[d] = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
    }
    yield coords;
  }
}

// ---------------------------------------------------------------------------------------------
// Convolutions: y[n, o, i] = Σ_c Σ_p w[o, c, p] · x[n, g(o)·Cg + c, i·stride − padding + p·dilation]

type ConvSampleAttrs = { stride: number[]; padding: number[]; dilation: number[]; groups: number };
type SizedAttrs = ConvSampleAttrs & { outputSize: number[] };
type KernelAttrs = ConvSampleAttrs & { kernelSize: number[] };

/** A convolution's layout: spatial rank, batch (sometimes 0), groups and per-group channels, kernel, stride, dilation, padding. */
const convLayout = fc.integer({ min: 1, max: 2 }).chain((spatial) => {
  const perDim = (min: number, max: number) => fc.array(fc.integer({ min, max }), { minLength: spatial, maxLength: spatial });
  return fc.record({
    spatial: fc.constant(spatial),
    batch: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 1, arbitrary: fc.constant(0) }),
    groups: fc.integer({ min: 1, max: 2 }),
    groupIn: fc.integer({ min: 1, max: 2 }),
    groupOut: fc.integer({ min: 1, max: 2 }),
    kernel: perDim(1, 3),
    stride: perDim(1, 2),
    dilation: perDim(1, 2),
    padding: perDim(0, 2),
    extra: perDim(0, spatial === 1 ? 3 : 2),
    withBias: fc.boolean(),
  });
});

/** Visits every (output position, tap) pair whose input position is inside x, with the flat offsets of x, w and y. */
function forEachTap(
  x: readonly number[],
  y: readonly number[],
  w: readonly number[],
  { stride, padding, dilation, groups }: ConvSampleAttrs,
  visit: (xAt: number, wAt: number, yAt: number) => void,
): void {
  const [groupIn, groupOut] = [w[1], w[0] / groups];
  for (const [n, o, ...i] of positions(y)) {
    const group = Math.floor(o / groupOut);
    for (const [c, ...p] of positions([groupIn, ...w.slice(2)])) {
      const source = i.map((id, d) => id * stride[d] - padding[d] + p[d] * dilation[d]);
      if (source.some((s, d) => s < 0 || s >= x[d + 2])) continue;
      visit(offsetOf([n, group * groupIn + c, ...source], x), offsetOf([o, c, ...p], w), offsetOf([n, o, ...i], y));
    }
  }
}

const zeros = (shape: number[]): Ref => ({ shape, data: new Array<number>(product(shape)).fill(0) });

/** A result of shape (N, C, ...) holding each channel's bias (or zeros), to add the products onto. */
function biased(shape: number[], bias: Ref | undefined): Ref {
  const out = zeros(shape);
  const plane = product(shape.slice(2));
  if (bias !== undefined) out.data.forEach((_, i) => (out.data[i] = bias.data[Math.floor(i / plane) % shape[1]]));
  return out;
}

/** The operands, with a bias of `channels` values when the layout asks for one. */
const operands = (withBias: boolean, channels: number, ...tensors: fc.Arbitrary<Tensor>[]) =>
  fc.tuple(...tensors, ...(withBias ? [floats([channels])] : []));

const conv: OpCase<SizedAttrs> = {
  sample: convLayout.chain(({ batch, groups, groupIn, groupOut, kernel, stride, dilation, padding, extra, withBias }) => {
    // The smallest input with one window, plus `extra`; outputSize is what the symmetric padding gives.
    const input = kernel.map((k, d) => Math.max(1, dilation[d] * (k - 1) + 1 - 2 * padding[d]) + extra[d]);
    const outputSize = input.map((size, d) => Math.floor((size + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) / stride[d]) + 1);
    return operands(withBias, groups * groupOut, floats([batch, groups * groupIn, ...input]), floats([groups * groupOut, groupIn, ...kernel])).map((inputs) => ({
      inputs,
      attrs: { stride, padding, dilation, groups, outputSize },
    }));
  }),
  reference: ([x, w, bias], attrs) => {
    const y = biased([x.shape[0], w.shape[0], ...attrs.outputSize], bias);
    forEachTap(x.shape, y.shape, w.shape, attrs, (xAt, wAt, yAt) => (y.data[yAt] += x.data[xAt] * w.data[wAt]));
    return y;
  },
};

/** PyTorch's conv_transpose output size; outputPadding below the stride or the dilation. */
const convTranspose: OpCase<SizedAttrs> = {
  sample: convLayout.chain(({ batch, groups, groupIn, groupOut, kernel, stride, dilation, padding, extra, withBias }) =>
    fc.array(fc.nat(), { minLength: kernel.length, maxLength: kernel.length }).chain((spare) => {
      const outputPadding = spare.map((s, d) => s % Math.max(stride[d], dilation[d]));
      // Input sizes large enough that the output is not empty.
      const input = kernel.map((k, d) => Math.max(1, Math.ceil((2 * padding[d] - dilation[d] * (k - 1) - outputPadding[d]) / stride[d]) + 1) + Math.min(extra[d], 2));
      const outputSize = input.map((size, d) => (size - 1) * stride[d] - 2 * padding[d] + dilation[d] * (kernel[d] - 1) + 1 + outputPadding[d]);
      return operands(withBias, groups * groupIn, floats([batch, groups * groupOut, ...input]), floats([groups * groupOut, groupIn, ...kernel])).map((inputs) => ({
        inputs,
        attrs: { stride, padding, dilation, groups, outputSize },
      }));
    }),
  ),
  // Each input element times each tap, added where that tap of that window lands.
  reference: ([y, w, bias], attrs) => {
    const x = biased([y.shape[0], w.shape[1] * attrs.groups, ...attrs.outputSize], bias);
    forEachTap(x.shape, y.shape, w.shape, attrs, (xAt, wAt, yAt) => (x.data[xAt] += y.data[yAt] * w.data[wAt]));
    return x;
  },
};

/** Any input, gradient and kernel sizes: the bilinear form is defined for all of them. */
const convWeightBackward: OpCase<KernelAttrs> = {
  sample: convLayout.chain(({ batch, groups, groupIn, groupOut, kernel, stride, dilation, padding, extra }) =>
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: kernel.length, maxLength: kernel.length }).chain((windows) =>
      fc
        .tuple(floats([batch, groups * groupIn, ...extra.map((e) => e + 1)]), floats([batch, groups * groupOut, ...windows]))
        .map((inputs) => ({ inputs, attrs: { stride, padding, dilation, groups, kernelSize: kernel } })),
    ),
  ),
  reference: ([x, g], attrs) => {
    const w = zeros([g.shape[1], x.shape[1] / attrs.groups, ...attrs.kernelSize]);
    forEachTap(x.shape, g.shape, w.shape, attrs, (xAt, wAt, yAt) => (w.data[wAt] += g.data[yAt] * x.data[xAt]));
    return w;
  },
};

// ---------------------------------------------------------------------------------------------
// Pooling: planes in front (one or two dims, a batch sometimes empty), the last 1 or 2 dims pooled

type WindowSampleAttrs = { kernelSize: number[]; stride: number[]; padding: number[]; ceilMode: boolean };
type MaxPoolSampleAttrs = WindowSampleAttrs & { dilation: number[] };
type AvgPoolSampleAttrs = WindowSampleAttrs & { countIncludePad: boolean; divisorOverride: number | null };

/** pooling_output_shape in PyTorch's words: windows that fit, in ceil mode a partial last one, but none starting past the input and its left padding. */
function outputLength(input: number, kernel: number, stride: number, padding: number, dilation: number, ceilMode: boolean): number {
  const numerator = input + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  const length = Math.floor(numerator / stride) + 1;
  return ceilMode && (length - 1) * stride >= input + padding ? length - 1 : length;
}

const planesArb = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 2 })),
  fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 1, arbitrary: fc.constant(0) }), fc.integer({ min: 1, max: 2 })),
);

/** Pooling windows and an input of at least one window per dim. */
const poolLayout = (withDilation: boolean) =>
  fc.integer({ min: 1, max: 2 }).chain((spatial) => {
    const perDim = (min: number, max: number) => fc.array(fc.integer({ min, max }), { minLength: spatial, maxLength: spatial });
    return fc
      .record({ planes: planesArb, kernelSize: perDim(1, 3), stride: perDim(1, 3), spare: perDim(0, 8), dilation: withDilation ? perDim(1, 2) : perDim(1, 1), extra: perDim(0, 3), ceilMode: fc.boolean() })
      .map(({ planes, kernelSize, stride, spare, dilation, extra, ceilMode }) => {
        const padding = kernelSize.map((k, d) => spare[d] % (Math.floor(k / 2) + 1));
        const input = kernelSize.map((k, d) => Math.max(1, dilation[d] * (k - 1) + 1 - 2 * padding[d]) + extra[d]);
        return { shape: [...planes, ...input], attrs: { kernelSize, stride, padding, ceilMode }, dilation };
      });
  });

/** Values on a coarse grid (ties on purpose), a NaN now and then. */
const tiedValues = (shape: readonly number[]) =>
  fc
    .array(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: -3, max: 3 }).map((k) => k / 2) }, { weight: 1, arbitrary: fc.constant(NaN) }), {
      minLength: product(shape),
      maxLength: product(shape),
    })
    .map((values) => tensor(values, { shape, dtype: "float64" }));

const lastDims = (shape: readonly number[], count: number) => shape.slice(shape.length - count);
const planeCount = (shape: readonly number[], spatial: number) => product(shape.slice(0, shape.length - spatial));

/** The window of output `o` along one dim: every tap start + t·dilation, in or out of the input. */
const taps = (o: number, kernel: number, stride: number, padding: number, dilation: number) =>
  Array.from({ length: kernel }, (_, t) => o * stride - padding + t * dilation);

const maxPoolIndices: OpCase<MaxPoolSampleAttrs> = {
  sample: poolLayout(true)
    .filter(({ shape, attrs, dilation }) => {
      // PyTorch leaves a window whose dilated taps all fall in the padding undefined; the op refuses it.
      const spatial = attrs.kernelSize.length;
      return lastDims(shape, spatial).every((size, d) => {
        const count = outputLength(size, attrs.kernelSize[d], attrs.stride[d], attrs.padding[d], dilation[d], attrs.ceilMode);
        return Array.from({ length: count }, (_, o) => taps(o, attrs.kernelSize[d], attrs.stride[d], attrs.padding[d], dilation[d]).some((t) => t >= 0 && t < size)).every(Boolean);
      });
    })
    .chain(({ shape, attrs, dilation }) => tiedValues(shape).map((x) => ({ inputs: [x], attrs: { ...attrs, dilation } }))),
  reference: ([x], { kernelSize, stride, padding, dilation, ceilMode }) => {
    const spatial = kernelSize.length;
    const input = lastDims(x.shape, spatial);
    const output = input.map((size, d) => outputLength(size, kernelSize[d], stride[d], padding[d], dilation[d], ceilMode));
    const planeSize = product(input);
    const data: number[] = [];
    for (let plane = 0; plane < planeCount(x.shape, spatial); plane++) {
      for (const o of positions(output)) {
        let best: number | undefined;
        for (const tap of positions(kernelSize)) {
          const at = tap.map((t, d) => o[d] * stride[d] - padding[d] + t * dilation[d]);
          if (at.some((a, d) => a < 0 || a >= input[d])) continue;
          const position = offsetOf(at, input);
          const value = x.data[plane * planeSize + position];
          const current = best === undefined ? undefined : x.data[plane * planeSize + best];
          if (best === undefined || Number.isNaN(value) || (!Number.isNaN(current!) && value > current!)) best = position;
        }
        data.push(best!);
      }
    }
    return { shape: [...x.shape.slice(0, x.shape.length - spatial), ...output], data };
  },
  nondifferentiable: true,
  outputDType: "int32",
};

/** For each output position of a plane: the input positions it averages and the divisor PyTorch's avg_pool uses. */
function averageWindows(input: readonly number[], { kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride }: AvgPoolSampleAttrs) {
  const output = input.map((size, d) => outputLength(size, kernelSize[d], stride[d], padding[d], 1, ceilMode));
  const windows = Array.from(positions(output), (o) => {
    const starts = o.map((v, d) => v * stride[d] - padding[d]);
    const ends = starts.map((s, d) => Math.min(s + kernelSize[d], input[d] + padding[d]));
    const paddedSize = product(ends.map((e, d) => e - starts[d]));
    const clippedStarts = starts.map((s) => Math.max(s, 0));
    const clippedEnds = ends.map((e, d) => Math.min(e, input[d]));
    const sizes = clippedEnds.map((e, d) => e - clippedStarts[d]);
    const members = Array.from(positions(sizes), (offset) => offsetOf(offset.map((v, d) => v + clippedStarts[d]), input));
    return { members, divisor: divisorOverride ?? (countIncludePad ? paddedSize : product(sizes)) };
  });
  return { output, windows };
}

const avgPoolAttrsArb = poolLayout(false).chain(({ shape, attrs }) =>
  fc
    .record({ countIncludePad: fc.boolean(), divisorOverride: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(3, -2) }) })
    .map((extra) => ({ shape, attrs: { ...attrs, ...extra } })),
);

const avgPool: OpCase<AvgPoolSampleAttrs> = {
  sample: avgPoolAttrsArb.chain(({ shape, attrs }) => floats(shape).map((x) => ({ inputs: [x], attrs }))),
  reference: ([x], attrs) => {
    const spatial = attrs.kernelSize.length;
    const input = lastDims(x.shape, spatial);
    const { output, windows } = averageWindows(input, attrs);
    const data: number[] = [];
    for (let plane = 0; plane < planeCount(x.shape, spatial); plane++) {
      for (const { members, divisor } of windows) data.push(members.reduce((s, m) => s + x.data[plane * product(input) + m], 0) / divisor);
    }
    return { shape: [...x.shape.slice(0, x.shape.length - spatial), ...output], data };
  },
};

const avgPoolBackward: OpCase<AvgPoolSampleAttrs & { inputSize: number[] }> = {
  sample: avgPoolAttrsArb.chain(({ shape, attrs }) => {
    const spatial = attrs.kernelSize.length;
    const inputSize = lastDims(shape, spatial);
    const { output } = averageWindows(inputSize, attrs);
    return floats([...shape.slice(0, shape.length - spatial), ...output]).map((g) => ({ inputs: [g], attrs: { ...attrs, inputSize } }));
  }),
  reference: ([g], attrs) => {
    const spatial = attrs.kernelSize.length;
    const { windows } = averageWindows(attrs.inputSize, attrs);
    const planes = planeCount(g.shape, spatial);
    const x = zeros([...g.shape.slice(0, g.shape.length - spatial), ...attrs.inputSize]);
    for (let plane = 0; plane < planes; plane++) {
      windows.forEach(({ members, divisor }, o) => members.forEach((m) => (x.data[plane * product(attrs.inputSize) + m] += g.data[plane * windows.length + o] / divisor)));
    }
    return x;
  },
};

/** Adaptive windows: output o of n over an input of size L covers [floor(o·L/n), ceil((o + 1)·L/n)). */
function adaptiveWindows(input: readonly number[], output: readonly number[]) {
  return Array.from(positions(output), (o) => {
    const starts = o.map((v, d) => Math.floor((v * input[d]) / output[d]));
    const ends = o.map((v, d) => -Math.floor((-(v + 1) * input[d]) / output[d]));
    const sizes = ends.map((e, d) => e - starts[d]);
    return { members: Array.from(positions(sizes), (offset) => offsetOf(offset.map((v, d) => v + starts[d]), input)), divisor: product(sizes) };
  });
}

const adaptiveLayout = fc.integer({ min: 1, max: 2 }).chain((spatial) =>
  fc.record({
    planes: planesArb,
    input: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: spatial, maxLength: spatial }),
    output: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: spatial, maxLength: spatial }),
  }),
);

const adaptiveAvgPool: OpCase<{ outputSize: number[] }> = {
  sample: adaptiveLayout.chain(({ planes, input, output }) => floats([...planes, ...input]).map((x) => ({ inputs: [x], attrs: { outputSize: output } }))),
  reference: ([x], { outputSize }) => {
    const spatial = outputSize.length;
    const input = lastDims(x.shape, spatial);
    const windows = adaptiveWindows(input, outputSize);
    const data: number[] = [];
    for (let plane = 0; plane < planeCount(x.shape, spatial); plane++) {
      for (const { members, divisor } of windows) data.push(members.reduce((s, m) => s + x.data[plane * product(input) + m], 0) / divisor);
    }
    return { shape: [...x.shape.slice(0, x.shape.length - spatial), ...outputSize], data };
  },
};

const adaptiveAvgPoolBackward: OpCase<{ inputSize: number[] }> = {
  sample: adaptiveLayout.chain(({ planes, input, output }) => floats([...planes, ...output]).map((g) => ({ inputs: [g], attrs: { inputSize: input } }))),
  reference: ([g], { inputSize }) => {
    const spatial = inputSize.length;
    const windows = adaptiveWindows(inputSize, lastDims(g.shape, spatial));
    const x = zeros([...g.shape.slice(0, g.shape.length - spatial), ...inputSize]);
    for (let plane = 0; plane < planeCount(g.shape, spatial); plane++) {
      windows.forEach(({ members, divisor }, o) => members.forEach((m) => (x.data[plane * product(inputSize) + m] += g.data[plane * windows.length + o] / divisor)));
    }
    return x;
  },
};

/** Positions within each plane of the pooled dims (repeats allowed: windows overlap), as maxPoolIndices gives them. */
const planePositionsLayout = fc.integer({ min: 1, max: 2 }).chain((spatial) =>
  fc
    .record({
      planes: planesArb,
      input: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: spatial, maxLength: spatial }),
      output: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: spatial, maxLength: spatial }),
    })
    .chain(({ planes, input, output }) =>
      tensorArb([...planes, ...output], { dtype: "int32", min: 0, max: product(input) - 1 }).map((positions) => ({ planes, input, output, positions })),
    ),
);

const maxPoolValues: OpCase<{ spatialDims: number }> = {
  sample: planePositionsLayout.chain(({ planes, input, positions }) => floats([...planes, ...input]).map((x) => ({ inputs: [x, positions], attrs: { spatialDims: input.length } }))),
  reference: ([x, positions], { spatialDims }) => {
    const planeSize = product(lastDims(x.shape, spatialDims));
    const perPlane = product(lastDims(positions.shape, spatialDims));
    return { shape: positions.shape, data: positions.data.map((p, at) => x.data[Math.floor(at / perPlane) * planeSize + p]) };
  },
};

const maxPoolBackward: OpCase<{ inputSize: number[] }> = {
  sample: planePositionsLayout.chain(({ planes, input, output, positions }) => floats([...planes, ...output]).map((g) => ({ inputs: [g, positions], attrs: { inputSize: input } }))),
  reference: ([g, positions], { inputSize }) => {
    const x = zeros([...g.shape.slice(0, g.shape.length - inputSize.length), ...inputSize]);
    const perPlane = product(lastDims(g.shape, inputSize.length));
    positions.data.forEach((p, at) => (x.data[Math.floor(at / perPlane) * product(inputSize) + p] += g.data[at]));
    return x;
  },
};

// ---------------------------------------------------------------------------------------------
// Interpolation: where PyTorch 1.13 samples, written from its upsampling kernels

type InterpolateSampleAttrs = { mode: "nearest" | "linear"; alignCorners: boolean; outputSize: number[]; scales: number[] };

/**
 * The (position, weight) pairs output o of one dim reads. Nearest: floor(o · scale) (as float,
 * its floorf), the 2-D kernel with a float scale, keeping a kept size and halving a doubled one.
 * Linear: the two neighbours of scale·(o + ½) − ½ (scale·o with aligned corners), clamped at 0,
 * weights 1 and 0 where the size stays.
 */
function sources(spatial: number, length: number, outLength: number, o: number, { mode, alignCorners, scales }: InterpolateSampleAttrs, d: number): [number, number][] {
  const ratio = scales[d] > 0 ? 1 / scales[d] : length / outLength;
  if (mode === "nearest") {
    if (spatial === 2 && outLength === length) return [[o, 1]];
    if (spatial === 2 && outLength === 2 * length) return [[Math.floor(o / 2), 1]];
    const position = spatial === 2 ? Math.fround(o * Math.fround(ratio)) : Math.fround(o * ratio);
    return [[Math.min(Math.floor(position), length - 1), 1]];
  }
  if (outLength === length) return [[o, 1], [o, 0]];
  const source = alignCorners ? (outLength > 1 ? ((length - 1) / (outLength - 1)) * o : 0) : Math.max(ratio * (o + 0.5) - 0.5, 0);
  const low = Math.floor(source);
  return [[low, 1 - (source - low)], [Math.min(low + 1, length - 1), source - low]];
}

/** Every (output offset, input offset, weight) term of an interpolation of `x` shaped (..., input) to (..., outputSize). */
function interpolationTerms(shape: readonly number[], attrs: InterpolateSampleAttrs) {
  const spatial = attrs.outputSize.length;
  const input = lastDims(shape, spatial);
  const terms: [number, number, number][] = [];
  let at = 0;
  for (let plane = 0; plane < planeCount(shape, spatial); plane++) {
    for (const o of positions(attrs.outputSize)) {
      const perDim = o.map((v, d) => sources(spatial, input[d], attrs.outputSize[d], v, attrs, d));
      const combinations = spatial === 1 ? perDim[0].map(([p, w]) => [[p], w] as const) : perDim[0].flatMap(([p, wp]) => perDim[1].map(([q, wq]) => [[p, q], wp * wq] as const));
      for (const [source, weight] of combinations) terms.push([at, plane * product(input) + offsetOf(source, input), weight]);
      at++;
    }
  }
  return terms;
}

/** Sizes, and scale factors that give those sizes (floor(in · scale)) or none: what F.interpolate can be asked for. */
const interpolationLayout = fc.integer({ min: 1, max: 2 }).chain((spatial) =>
  fc
    .record({
      batch: fc.integer({ min: 1, max: 2 }),
      channels: fc.integer({ min: 1, max: 2 }),
      input: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: spatial, maxLength: spatial }),
      sizes: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: spatial, maxLength: spatial }),
      scaleFactors: fc.option(fc.array(fc.constantFrom(0.5, 1.5, 2, 2.5, 3), { minLength: spatial, maxLength: spatial }), { nil: undefined }),
      mode: fc.constantFrom<InterpolateSampleAttrs["mode"]>("nearest", "linear"),
      alignCorners: fc.boolean(),
    })
    .filter(({ input, scaleFactors }) => scaleFactors === undefined || input.every((size, d) => Math.floor(size * scaleFactors[d]) >= 1))
    .map(({ batch, channels, input, sizes, scaleFactors, mode, alignCorners }) => ({
      shape: [batch, channels, ...input],
      attrs: {
        mode,
        alignCorners: mode === "linear" && alignCorners,
        outputSize: scaleFactors === undefined ? sizes : input.map((size, d) => Math.floor(size * scaleFactors[d])),
        scales: scaleFactors ?? input.map(() => 0),
      },
    })),
);

const interpolate: OpCase<InterpolateSampleAttrs> = {
  sample: interpolationLayout.chain(({ shape, attrs }) => floats(shape).map((x) => ({ inputs: [x], attrs }))),
  reference: ([x], attrs) => {
    const shape = [...x.shape.slice(0, x.shape.length - attrs.outputSize.length), ...attrs.outputSize];
    const y = zeros(shape);
    for (const [at, from, weight] of interpolationTerms(x.shape, attrs)) y.data[at] += weight * x.data[from];
    return y;
  },
};

const interpolateBackward: OpCase<InterpolateSampleAttrs & { inputSize: number[] }> = {
  sample: interpolationLayout.chain(({ shape, attrs }) => {
    const inputSize = lastDims(shape, attrs.outputSize.length);
    return floats([...shape.slice(0, 2), ...attrs.outputSize]).map((g) => ({ inputs: [g], attrs: { ...attrs, inputSize } }));
  }),
  reference: ([g], attrs) => {
    const shape = [...g.shape.slice(0, g.shape.length - attrs.inputSize.length), ...attrs.inputSize];
    const x = zeros(shape);
    for (const [at, to, weight] of interpolationTerms(shape, attrs)) x.data[to] += weight * g.data[at];
    return x;
  },
};

export const convCases = {
  conv,
  convTranspose,
  convWeightBackward,
  maxPoolIndices,
  maxPoolValues,
  maxPoolBackward,
  avgPool,
  avgPoolBackward,
  adaptiveAvgPool,
  adaptiveAvgPoolBackward,
  interpolate,
  interpolateBackward,
};
