import { manualSeed, rand } from "@gradgraph/core";
import { describe, expect, test } from "vitest";
import { type AnyModule, GRU, LSTM, Linear, RNN } from "../../packages/nn/src";
import { type FixtureTensor, loadFixture } from "../helpers/fixtures";
import { loadRecurrentCases } from "../helpers/recurrent-cases";

interface Construction {
  module: "RNN" | "LSTM" | "GRU" | "Linear";
  args: Record<string, number | boolean>;
  params: Record<string, FixtureTensor>;
}

interface InitCase {
  id: string;
  seed: number;
  constructions: Construction[];
  after: FixtureTensor;
}

/** Our module for PyTorch's keyword arguments, with every default left to the module. */
function construct({ module, args }: Construction): AnyModule {
  if (module === "Linear") {
    return new Linear(args.in_features as number, args.out_features as number, args.bias === undefined ? {} : { bias: args.bias as boolean });
  }
  const renamed: Record<string, string> = {
    input_size: "inputSize",
    hidden_size: "hiddenSize",
    num_layers: "numLayers",
    batch_first: "batchFirst",
    bidirectional: "bidirectional",
    bias: "bias",
  };
  const options = Object.fromEntries(
    Object.entries(args).map(([key, value]) => {
      if (!(key in renamed)) throw new Error(`init.json uses an argument this test does not map: ${key}`);
      return [renamed[key], value];
    }),
  ) as unknown as ConstructorParameters<typeof GRU>[0];
  return module === "RNN" ? new RNN(options) : module === "LSTM" ? new LSTM(options) : new GRU(options);
}

/** The fixture's numbers are exact float32 values written as doubles. */
const float32Bits = (t: FixtureTensor) => Array.from(Float32Array.from(t.data));

describe("after manualSeed, our modules draw PyTorch's initial parameters bit for bit (init.json)", () => {
  for (const c of loadFixture<InitCase>("init.json")) {
    test(c.id, () => {
      manualSeed(c.seed);
      for (const construction of c.constructions) {
        const module = construct(construction);
        const named = module.namedParameters();
        expect(named.map(([key]) => key)).toEqual(Object.keys(construction.params));
        for (const [key, parameter] of named) {
          expect(parameter.dtype).toBe("float32");
          expect(parameter.shape, `${construction.module}.${key}`).toEqual(construction.params[key].shape);
          expect(Array.from(parameter.data()), `${construction.module}.${key}`).toEqual(float32Bits(construction.params[key]));
        }
      }
      expect(Array.from(rand([8]).data()), "torch.rand(8) afterwards").toEqual(float32Bits(c.after));
    });
  }
});

test("the notebook's weights (seed.json) are the ninth RNN(5, 2) drawn after manualSeed(1)", () => {
  // 8 earlier constructions x 18 draws: the notebook's construction cell ran more than once after seeding.
  const [notebook] = loadRecurrentCases("seed.json");
  manualSeed(1);
  const built = Array.from({ length: 9 }, () => new RNN({ inputSize: 5, hiddenSize: 2, batchFirst: true }));
  for (const [key, parameter] of built[8].namedParameters()) {
    expect(Array.from(parameter.data()), key).toEqual(float32Bits(notebook.params[key]));
  }
  expect(Array.from(built[7].stateDict().weight_ih_l0.data())).not.toEqual(float32Bits(notebook.params.weight_ih_l0));
});
