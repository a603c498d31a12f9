/**
 * PyTorch parity for the convolution and pooling modules (the "init" and "module" cases of
 * test/fixtures/conv.json, written by make_conv.py): the default initialization after
 * manualSeed bit for bit in float32, and forward passes with their gradients in float64 (padding
 * modes, ConvTranspose's outputSize, pooling with indices, Upsample).
 */
import { describe, expect, it } from "vitest";
import { type Tensor, evaluate, grad, manualSeed, rand, tensor } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";
import {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  type AnyModule,
  AvgPool1d,
  AvgPool2d,
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  MaxPool1d,
  MaxPool2d,
  Upsample,
} from "../../packages/nn/src";
import { FLOAT64, type FixtureTensor, loadFixture } from "../helpers/fixtures";

type Args = unknown[];

interface InitCase {
  id: string;
  kind: "init";
  seed: number;
  module: string;
  args: Args;
  params: Record<string, FixtureTensor>;
  after: FixtureTensor;
}

interface ModuleCase {
  id: string;
  kind: "module";
  module: string;
  args: Args;
  state_dict: Record<string, FixtureTensor>;
  input: FixtureTensor;
  forward_args: unknown[];
  grad_output: FixtureTensor;
  float64: { output: FixtureTensor; indices?: FixtureTensor; grads: Record<string, FixtureTensor> };
}

const all = loadFixture<{ id: string; kind: string }>("conv.json");
const initCases = all.filter((c): c is InitCase => c.kind === "init");
const moduleCases = all.filter((c): c is ModuleCase => c.kind === "module");

/** The layers with parameters take a dtype among their options (their last argument). */
const withParameters = new Set(["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]);
const classes: Record<string, new (...args: any[]) => AnyModule> = {
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  MaxPool1d,
  MaxPool2d,
  AvgPool1d,
  AvgPool2d,
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  Upsample,
};

function construct(module: string, args: Args, dtype: "float32" | "float64"): AnyModule {
  const Class = classes[module];
  if (Class === undefined) throw new Error(`conv.json names a module this test does not know: ${module}`);
  if (!withParameters.has(module)) return new Class(...args);
  const options = args[args.length - 1] as Record<string, unknown>;
  return new Class(...args.slice(0, -1), { ...options, dtype });
}

/** The fixture's float32 numbers are the shortest decimals of PyTorch's values: Math.fround gives them back. */
const float32Bits = (t: FixtureTensor) => Array.from(Float32Array.from(t.data));
const leaf = (t: FixtureTensor, requiresGrad = false) => tensor(t.data, { shape: t.shape, dtype: "float64", requiresGrad });
const ran = new Set<string>();

describe("after manualSeed, the convolution layers draw PyTorch's initial parameters bit for bit", () => {
  it.each(initCases.map((c) => [c.id, c] as const))("%s", (id, c) => {
    manualSeed(c.seed);
    const module = construct(c.module, c.args, "float32");
    const named = module.namedParameters();
    expect(named.map(([key]) => key)).toEqual(Object.keys(c.params));
    for (const [key, parameter] of named) {
      expect(parameter.shape, key).toEqual(c.params[key].shape);
      expect(Array.from(parameter.data()), key).toEqual(float32Bits(c.params[key]));
    }
    expect(Array.from(rand([4]).data()), "torch.rand(4) afterwards").toEqual(float32Bits(c.after));
    ran.add(id);
  });
});

describe("forward passes and gradients match PyTorch's modules in float64", () => {
  it.each(moduleCases.map((c) => [c.id, c] as const))("%s", (id, c) => {
    const module = construct(c.module, c.args, "float64");
    expect(Object.keys(module.stateDict())).toEqual(Object.keys(c.state_dict));
    module.loadStateDict(c.state_dict);
    const input = leaf(c.input, true);
    const result = (module as unknown as { forward(...args: unknown[]): Tensor | { values: Tensor; indices: Tensor } }).forward(input, ...c.forward_args);
    const [output, indices] = "values" in result ? [result.values, result.indices] : [result, undefined];
    assertClose({ shape: output.shape, data: output.data() }, c.float64.output, { ...FLOAT64, label: "output" });
    if (c.float64.indices === undefined) expect(indices).toBeUndefined();
    else expect({ shape: indices!.shape, data: Array.from(indices!.data()) }).toEqual({ shape: c.float64.indices.shape, data: c.float64.indices.data });
    const parameters = module.namedParameters();
    const grads = evaluate(grad(output, [input, ...parameters.map(([, p]) => p)], leaf(c.grad_output)));
    expect(Object.keys(c.float64.grads)).toEqual(["input", ...parameters.map(([key]) => key)]);
    ["input", ...parameters.map(([key]) => key)].forEach((key, i) => {
      assertClose({ shape: c.float64.grads[key].shape, data: grads[i] }, c.float64.grads[key], { ...FLOAT64, label: `grad of ${key}` });
    });
    ran.add(id);
  });
});

describe("the layers check their options before drawing anything, as PyTorch's _ConvNd", () => {
  it.each([
    ["a padding string", () => new Conv2d(3, 4, 3, { padding: "full" as "same" }), `Conv2d: Invalid padding string 'full', should be one of ["valid", "same"]`],
    ["'same' with a stride", () => new Conv1d(3, 4, 3, { padding: "same", stride: 2 }), "Conv1d: padding='same' is not supported for strided convolutions"],
    ["a padding mode", () => new Conv2d(3, 4, 3, { paddingMode: "mirror" as "reflect" }), "Conv2d: padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', but got padding_mode=\"mirror\""],
    ["groups that do not divide the input channels", () => new Conv2d(3, 4, 3, { groups: 2 }), "Conv2d: in_channels must be divisible by groups"],
    ["groups that do not divide the output channels", () => new ConvTranspose2d(4, 3, 3, { groups: 2 }), "ConvTranspose2d: out_channels must be divisible by groups"],
    ["a transposed padding mode", () => new ConvTranspose1d(2, 2, 3, { paddingMode: "reflect" as "zeros" }), 'ConvTranspose1d: Only "zeros" padding mode is supported for ConvTranspose1d'],
    ["a kernel size of 0", () => new Conv2d(3, 4, [3, 0]), "Conv2d: kernelSize must be an integer of at least 1 or 2 of them"],
  ])("%s", (_what, build, message) => {
    manualSeed(0);
    const before = Array.from(rand([2]).data());
    manualSeed(0);
    expect(build).toThrow(message);
    expect(Array.from(rand([2]).data()), "the generator drew nothing").toEqual(before);
  });

  it("ConvTranspose's outputSize must lie within one stride of the smallest size", () => {
    const layer = new ConvTranspose2d(2, 2, 3, { stride: 2 });
    expect(layer.forward(tensor(new Float32Array(2 * 3 * 3), { shape: [1, 2, 3, 3] }), [8, 7]).shape).toEqual([1, 2, 8, 7]);
    expect(() => layer.forward(tensor(new Float32Array(2 * 3 * 3), { shape: [2, 3, 3] }), [9, 7])).toThrow("ConvTranspose2d: requested an output size of [9, 7], but valid sizes range from 7 to 8");
  });
});

it("ran every init and module case of conv.json", () => {
  expect([...ran].sort()).toEqual([...initCases, ...moduleCases].map((c) => c.id).sort());
});
