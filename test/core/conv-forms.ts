/**
 * The attribute spellings and builders of the convolution and pooling ops, spread into the forms
 * table of op-forms.test.ts: PyTorch's int-or-tuple (one integer for every dim), defaults left
 * out, padding "same" and "valid", outputPadding for a transposed convolution's size.
 */
import {
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  adaptiveAvgPoolBackward,
  type Attrs,
  type AttrValue,
  avgPool1d,
  avgPool2d,
  avgPoolBackward,
  conv1d,
  conv2d,
  convTranspose1d,
  convTranspose2d,
  convWeightBackward,
  interpolate,
  interpolateBackward,
  maxPool1d,
  maxPool2d,
  maxPoolBackward,
  maxPoolValues,
  type Tensor,
} from "@gradgraph/core";

interface Forms {
  method(inputs: Tensor[], attrs: any): Tensor;
  variants?(inputs: Tensor[], attrs: any): Attrs[];
}

type Lists = Record<string, AttrValue>;

/**
 * Two spellings of canonical attributes: each per-dim list whose values agree as one integer, and
 * that too with the lists at their default (`defaults`) and the other defaults left out.
 */
function shortForms(attrs: Lists, defaults: Record<string, number | boolean | null>): Attrs[] {
  const scalar = (value: AttrValue) => (Array.isArray(value) && value.length > 0 && value.every((v) => v === value[0]) ? value[0] : value);
  const scalars = Object.fromEntries(Object.entries(attrs).map(([key, value]) => [key, key in defaults ? scalar(value) : value]));
  const withoutDefaults = Object.fromEntries(Object.entries(scalars).filter(([key, value]) => !(key in defaults && value === defaults[key])));
  return [scalars, withoutDefaults];
}

const convDefaults = { stride: 1, padding: 0, dilation: 1, groups: 1 };
const kernelOf = (w: Tensor) => w.shape.slice(2);
const without = (attrs: Lists, key: string) => Object.fromEntries(Object.entries(attrs).filter(([k]) => k !== key));

const conv: Forms = {
  method: ([x, w, bias], { stride, padding, dilation, groups }) => (x.ndim === 3 ? conv1d : conv2d)(x, w, bias, { stride, padding, dilation, groups }),
  variants: ([, w], attrs) => {
    const options = without(attrs, "outputSize");
    const forms = [options, ...shortForms(options, convDefaults)];
    const kernel = kernelOf(w);
    if (attrs.padding.every((p: number) => p === 0)) forms.push({ ...options, padding: "valid" });
    // "same" with an even total pads symmetrically: the same node as its padding written out.
    const sameFits = kernel.every((k, d) => attrs.stride[d] === 1 && 2 * attrs.padding[d] === attrs.dilation[d] * (k - 1));
    if (sameFits) forms.push({ ...options, padding: "same" });
    return forms;
  },
};

/** outputPadding: how far the canonical outputSize is past the smallest size of a transposed convolution. */
function outputPaddingOf([y, w]: Tensor[], { stride, padding, dilation, outputSize }: Lists & Record<"stride" | "padding" | "dilation" | "outputSize", number[]>): number[] {
  return outputSize.map((size, d) => size - ((y.shape[d + 2] - 1) * stride[d] - 2 * padding[d] + dilation[d] * (kernelOf(w)[d] - 1) + 1));
}

const convTranspose: Forms = {
  method: (inputs, attrs) => {
    const [y, w, bias] = inputs;
    const { stride, padding, dilation, groups } = attrs;
    return (y.ndim === 3 ? convTranspose1d : convTranspose2d)(y, w, bias, { stride, padding, dilation, groups, outputPadding: outputPaddingOf(inputs, attrs) });
  },
  variants: (inputs, attrs) => {
    const options = { ...without(attrs, "outputSize"), outputPadding: outputPaddingOf(inputs, attrs) };
    return [options, ...shortForms(options, { ...convDefaults, outputPadding: 0 }), ...shortForms(attrs, convDefaults)];
  },
};

const convWeightBackwardForms: Forms = {
  method: ([x, g], attrs) => convWeightBackward(x, g, attrs),
  variants: (_inputs, attrs) => shortForms(attrs, convDefaults),
};

/** The stride left out where it is the kernel size (PyTorch's stride=None), besides the short forms. */
function poolingForms(attrs: Lists & { kernelSize: number[]; stride: number[] }, defaults: Record<string, number | boolean | null>): Attrs[] {
  const forms = shortForms(attrs, defaults);
  if (attrs.stride.every((s, d) => s === attrs.kernelSize[d])) forms.push(...forms.map((form) => without(form as Lists, "stride")));
  return forms;
}

const maxPoolIndices: Forms = {
  method: ([x], { kernelSize, stride, padding, dilation, ceilMode }) =>
    (kernelSize.length === 1 ? maxPool1d : maxPool2d)(x, kernelSize, { stride, padding, dilation, ceilMode, returnIndices: true }).indices,
  variants: (_inputs, attrs) => poolingForms(attrs, { padding: 0, dilation: 1, ceilMode: false }),
};

const averageDefaults = { padding: 0, ceilMode: false, countIncludePad: true, divisorOverride: null };

const avgPool: Forms = {
  method: ([x], { kernelSize, divisorOverride, ...options }) => {
    if (kernelSize.length === 2) return avgPool2d(x, kernelSize, { ...options, divisorOverride: divisorOverride ?? undefined });
    if (divisorOverride === null) return avgPool1d(x, kernelSize, options);
    // avg_pool1d takes no divisor: the same pooling as a 2-D one over a unit height.
    const { stride, padding } = options;
    const pooled = avgPool2d(x.unsqueeze(-2), [1, kernelSize[0]], { ...options, stride: [1, stride[0]], padding: [0, padding[0]], divisorOverride });
    return pooled.squeeze(-2);
  },
  variants: (_inputs, attrs) => poolingForms(attrs, averageDefaults),
};

const avgPoolBackwardForms: Forms = {
  method: ([g], attrs) => avgPoolBackward(g, attrs),
  variants: (_inputs, attrs) => poolingForms(attrs, averageDefaults),
};

const adaptiveAvgPool: Forms = {
  method: ([x], { outputSize }) => (outputSize.length === 1 ? adaptiveAvgPool1d(x, outputSize[0]) : adaptiveAvgPool2d(x, outputSize)),
};

const adaptiveAvgPoolBackwardForms: Forms = {
  method: ([g], { inputSize }) => adaptiveAvgPoolBackward(g, { inputSize }),
};

const maxPoolValuesForms: Forms = {
  method: ([x, positions], { spatialDims }) => maxPoolValues(x, positions, spatialDims),
};

const maxPoolBackwardForms: Forms = {
  method: ([g, positions], { inputSize }) => maxPoolBackward(g, positions, inputSize),
};

const interpolationDefaults = { mode: "nearest", alignCorners: false };

/** The interpolation attributes with the defaults left out, and the scales too (or negative, which counts as none) where none are given. */
function interpolationForms(attrs: Lists & { scales: number[] }): Attrs[] {
  const defaultsLeftOut = Object.fromEntries(
    Object.entries(attrs).filter(([key, value]) => !(key in interpolationDefaults && value === interpolationDefaults[key as keyof typeof interpolationDefaults])),
  );
  if (!attrs.scales.every((s) => s === 0)) return [defaultsLeftOut];
  return [defaultsLeftOut, without(defaultsLeftOut, "scales"), { ...attrs, scales: attrs.scales.map(() => -1) }];
}

const interpolateForms: Forms = {
  // F.interpolate with a size, or with the scale factors that gave the sizes.
  method: ([x], { mode, alignCorners, outputSize, scales }) =>
    interpolate(x, {
      ...(scales.every((s: number) => s === 0) ? { size: outputSize } : { scaleFactor: scales }),
      mode: mode === "nearest" ? "nearest" : outputSize.length === 1 ? "linear" : "bilinear",
      alignCorners: mode === "nearest" ? undefined : alignCorners,
    }),
  variants: (_inputs, attrs) => interpolationForms(attrs),
};

const interpolateBackwardForms: Forms = {
  method: ([g], attrs) => interpolateBackward(g, attrs),
  variants: (_inputs, attrs) => interpolationForms(attrs),
};

export const convForms = {
  conv,
  convTranspose,
  convWeightBackward: convWeightBackwardForms,
  maxPoolIndices,
  maxPoolValues: maxPoolValuesForms,
  maxPoolBackward: maxPoolBackwardForms,
  avgPool,
  avgPoolBackward: avgPoolBackwardForms,
  adaptiveAvgPool,
  adaptiveAvgPoolBackward: adaptiveAvgPoolBackwardForms,
  interpolate: interpolateForms,
  interpolateBackward: interpolateBackwardForms,
};
