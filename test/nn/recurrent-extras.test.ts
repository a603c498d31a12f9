/**
 * recurrent-extras.json (PyTorch 1.13): the cells, LSTM's projSize, variable-length batches,
 * padSequence, randperm and the DataLoader's order, and the default initialization of the new
 * modules; then the cells against the stacked modules in an explicit loop (fast-check), the
 * compiled path on masked graphs, and the errors.
 */
import { readFileSync } from "node:fs";
import {
  type FloatDType,
  Generator,
  type Tensor,
  type TypedArray,
  arange,
  compile,
  concat,
  evaluate,
  grad,
  manualSeed,
  programCacheStats,
  rand,
  stack,
  tensor,
  zeros,
} from "@gradgraph/core";
import { type Tolerance, assertClose } from "@gradgraph/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  type AnyModule,
  DataLoader,
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  RNN,
  RNNCell,
  SGD,
  TensorDataset,
  padSequence,
} from "../../packages/nn/src";
import { randperm } from "@gradgraph/core";
import { FLOAT64, type FixtureTensor, fromFixture, loadFixture } from "../helpers/fixtures";
import { expectSameBits, interpreted } from "../helpers/random-graphs";

type CellMode = "RNNCell" | "LSTMCell" | "GRUCell";
type StackMode = "RNN" | "LSTM" | "GRU";

/** PyTorch's keyword arguments, as the fixture writes them. */
interface TorchConfig {
  input_size: number;
  hidden_size: number;
  bias: boolean;
  nonlinearity?: "tanh" | "relu";
  num_layers?: number;
  batch_first?: boolean;
  bidirectional?: boolean;
  proj_size?: number;
}

interface Results {
  loss: number;
  grads: { input: FixtureTensor; h0?: FixtureTensor; c0?: FixtureTensor; params: Record<string, FixtureTensor> };
  [result: string]: unknown;
}

interface ForwardCase {
  id: string;
  kind: "cell" | "projection" | "packed";
  mode: CellMode | StackMode;
  config: TorchConfig;
  lengths?: number[];
  enforce_sorted?: boolean;
  params: Record<string, FixtureTensor>;
  input: FixtureTensor;
  h0: FixtureTensor | null;
  c0?: FixtureTensor | null;
  upstream: Record<string, FixtureTensor>;
  float64: Results;
  float32: Results;
}

interface PadCase {
  id: string;
  kind: "pad";
  sequences: FixtureTensor[];
  batch_first: boolean;
  padding_value: number;
  output: FixtureTensor;
}

interface InitCase {
  id: string;
  kind: "init";
  seed: number;
  constructions: { module: CellMode | StackMode; args: Partial<TorchConfig>; params: Record<string, FixtureTensor> }[];
  after: FixtureTensor;
}

interface RandpermCase {
  id: string;
  kind: "randperm";
  seed: number;
  n: number;
  generator_seed: number | null;
  permutation: number[];
  after: FixtureTensor;
}

interface LoaderCase {
  id: string;
  kind: "loader";
  seed: number;
  n: number;
  batch_size: number;
  shuffle: boolean;
  drop_last: boolean;
  generator_seed: number | null;
  length: number;
  epochs: number[][][];
  /** torch.rand(1) from the loader's generator after each batch (exact float32 values), or null. */
  between_batches: number[] | null;
  after: FixtureTensor;
  after_own?: FixtureTensor;
}

type ExtrasCase = ForwardCase | PadCase | InitCase | RandpermCase | LoaderCase;

const cases = loadFixture<ExtrasCase>("recurrent-extras.json");
const tolerances: Record<FloatDType, Tolerance> = { float64: FLOAT64, float32: { atol: 1e-5, rtol: 1e-4 } };
/** The fixture's float32 numbers are exact float32 values written as doubles. */
const float32Bits = (t: FixtureTensor) => Array.from(Float32Array.from(t.data));

const renamed: Record<keyof TorchConfig, string> = {
  input_size: "inputSize",
  hidden_size: "hiddenSize",
  bias: "bias",
  nonlinearity: "nonlinearity",
  num_layers: "numLayers",
  batch_first: "batchFirst",
  bidirectional: "bidirectional",
  proj_size: "projSize",
};

/** Our module for PyTorch's keyword arguments (only those given: every default is left to the module). */
function build(mode: CellMode | StackMode, args: Partial<TorchConfig>, dtype?: FloatDType): AnyModule {
  const options = Object.fromEntries(
    Object.entries(args).map(([key, value]) => {
      if (!(key in renamed)) throw new Error(`recurrent-extras.json uses an argument this test does not map: ${key}`);
      return [renamed[key as keyof TorchConfig], value];
    }),
  ) as unknown as ConstructorParameters<typeof RNN>[0];
  if (dtype !== undefined) options.dtype = dtype;
  const constructors = { RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU };
  return new constructors[mode](options);
}

const ran = new Set<string>();

/**
 * Loads PyTorch's parameters, runs forward (with the lengths of a packed case), and checks every
 * result and the gradients of `sum(result * upstream)` with respect to the input, the initial
 * states and every parameter, computed by `run` (the evaluator or a compiled program).
 */
function checkForward(c: ForwardCase, dtype: FloatDType, run: (outputs: Tensor[]) => readonly TypedArray[], input = fromFixture(c.input, dtype, { requiresGrad: true })): void {
  const expected = c[dtype];
  const module = build(c.mode, c.config, dtype);
  module.loadStateDict(c.params);
  const initial = [c.h0, c.c0].filter((t): t is FixtureTensor => t != null).map((t) => fromFixture(t, dtype, { requiresGrad: true }));
  const paired = c.mode === "LSTM" || c.mode === "LSTMCell";
  const hidden = initial.length === 0 ? undefined : paired ? initial : initial[0];
  const lengths = c.lengths === undefined ? undefined : { lengths: c.lengths, enforceSorted: c.enforce_sorted };
  const returned = (module.forward as (...args: unknown[]) => Tensor | Tensor[] | [Tensor, Tensor | Tensor[]])(input, hidden, lengths);
  const results: [string, Tensor][] =
    c.kind === "cell"
      ? (paired ? (returned as Tensor[]) : [returned as Tensor]).map((t, i) => [["h", "c"][i], t])
      : [returned as [Tensor, Tensor | Tensor[]]].flatMap(([output, finals]) => [
          ["output", output] as [string, Tensor],
          ...(paired ? (finals as Tensor[]) : [finals as Tensor]).map((t, i): [string, Tensor] => [["h_n", "c_n"][i], t]),
        ]);
  expect(results.map(([name]) => name).sort()).toEqual(Object.keys(c.upstream).sort());
  const loss = results.map(([name, t]) => t.mul(fromFixture(c.upstream[name], dtype)).sum()).reduce((a, b) => a.add(b));
  const wrt: [string, Tensor, FixtureTensor][] = [["grad input", input, expected.grads.input]];
  initial.forEach((t, i) => wrt.push([`grad ${["h0", "c0"][i]}`, t, expected.grads[(["h0", "c0"] as const)[i]]!]));
  const named = module.namedParameters();
  expect(named.map(([name]) => name)).toEqual(Object.keys(c.params));
  for (const [name, parameter] of named) wrt.push([`grad ${name}`, parameter, expected.grads.params[name]]);
  const gradients = grad(loss, wrt.map(([, t]) => t));
  const values = run([loss, ...results.map(([, t]) => t), ...gradients]);
  const tol = tolerances[dtype];
  assertClose(values[0][0], expected.loss, { ...tol, label: `${c.id} ${dtype} loss` });
  const checked: [string, Tensor, FixtureTensor][] = [
    ...results.map(([name, t]): [string, Tensor, FixtureTensor] => [name, t, expected[name] as FixtureTensor]),
    ...wrt.map(([label, , reference], i): [string, Tensor, FixtureTensor] => [label, gradients[i], reference]),
  ];
  checked.forEach(([label, actual, reference], i) => {
    expect(actual.shape, `${c.id} ${label}`).toEqual(reference.shape);
    assertClose(values[i + 1], reference.data, { ...tol, label: `${c.id} ${dtype} ${label}` });
  });
}

const kinds = {
  cell: (c: ForwardCase) => {
    for (const dtype of ["float64", "float32"] as const) checkForward(c, dtype, evaluate);
  },
  projection: (c: ForwardCase) => {
    for (const dtype of ["float64", "float32"] as const) checkForward(c, dtype, evaluate);
    checkForward(c, "float32", (outputs) => compile({ outputs }).run());
  },
  packed: (c: ForwardCase) => {
    for (const dtype of ["float64", "float32"] as const) checkForward(c, dtype, evaluate);
    checkForward(c, "float32", (outputs) => compile({ outputs }).run());
    // PyTorch never reads the padding: NaN there changes nothing, and its gradient stays zero.
    checkForward(c, "float64", evaluate, fromFixture(withNaNPadding(c), "float64", { requiresGrad: true }));
  },
  pad: (c: PadCase) => {
    const output = padSequence(
      c.sequences.map((s) => fromFixture(s, "float64")),
      { batchFirst: c.batch_first, paddingValue: c.padding_value },
    );
    expect(output.shape).toEqual(c.output.shape);
    expect(Array.from(output.data())).toEqual(c.output.data);
  },
  init: (c: InitCase) => {
    manualSeed(c.seed);
    for (const construction of c.constructions) {
      const named = build(construction.module, construction.args).namedParameters();
      expect(named.map(([key]) => key)).toEqual(Object.keys(construction.params));
      for (const [key, parameter] of named) {
        expect(parameter.shape, `${construction.module}.${key}`).toEqual(construction.params[key].shape);
        expect(Array.from(parameter.data()), `${construction.module}.${key}`).toEqual(float32Bits(construction.params[key]));
      }
    }
    expect(Array.from(rand([8]).data()), "torch.rand(8) afterwards").toEqual(float32Bits(c.after));
  },
  randperm: (c: RandpermCase) => {
    manualSeed(c.seed);
    const generator = c.generator_seed === null ? undefined : new Generator(c.generator_seed);
    const permutation = randperm(c.n, { generator });
    expect(permutation.dtype).toBe("int32");
    expect(Array.from(permutation.data())).toEqual(c.permutation);
    expect(Array.from(rand([4], { generator }).data()), "torch.rand(4) afterwards").toEqual(float32Bits(c.after));
  },
  loader: (c: LoaderCase) => {
    manualSeed(c.seed);
    const generator = c.generator_seed === null ? undefined : new Generator(c.generator_seed);
    const loader = new DataLoader(new TensorDataset(arange(c.n, undefined, 1, { dtype: "int32" })), {
      batchSize: c.batch_size,
      shuffle: c.shuffle,
      dropLast: c.drop_last,
      generator,
    });
    expect(loader.length).toBe(c.length);
    const between: number[] = [];
    const epochs = c.epochs.map(() => {
      const batches: number[][] = [];
      for (const [batch] of loader) {
        batches.push(Array.from(batch.data()));
        if (c.between_batches !== null) between.push(rand([1], { generator }).item());
      }
      return batches;
    });
    expect(epochs).toEqual(c.epochs);
    expect(between).toEqual(c.between_batches ?? []);
    expect(Array.from(rand([4]).data()), "torch.rand(4) afterwards").toEqual(float32Bits(c.after));
    if (generator !== undefined) expect(Array.from(rand([4], { generator }).data()), "the loader's generator afterwards").toEqual(float32Bits(c.after_own!));
  },
} satisfies { [K in ExtrasCase["kind"]]: (c: Extract<ExtrasCase, { kind: K }>) => void };

/** The case's input with NaN at every padded step (lengths are per batch element; the time dim depends on batchFirst). */
function withNaNPadding(c: ForwardCase): FixtureTensor {
  const [d0, d1, features] = c.input.shape;
  const data = c.input.data.slice();
  for (let i = 0; i < d0; i++) {
    for (let j = 0; j < d1; j++) {
      const [b, t] = c.config.batch_first ? [i, j] : [j, i];
      if (t >= c.lengths![b]) data.fill(Number.NaN, (i * d1 + j) * features, (i * d1 + j + 1) * features);
    }
  }
  expect(data.some(Number.isNaN), `${c.id} has padding`).toBe(c.lengths!.some((length) => length < c.input.shape[c.config.batch_first ? 1 : 0]));
  return { shape: c.input.shape, data };
}

describe("PyTorch parity: recurrent-extras.json", () => {
  for (const c of cases) {
    test(`${c.kind} ${c.id}`, () => {
      const check = kinds[c.kind] as (c: ExtrasCase) => void;
      if (check === undefined) throw new Error(`no check for fixture kind ${c.kind}`);
      check(c);
      ran.add(c.id);
    });
  }
});

test("every case of recurrent-extras.json ran and passed, and the file holds what its header says", () => {
  const file = JSON.parse(readFileSync(new URL("../fixtures/recurrent-extras.json", import.meta.url), "utf8"));
  expect(file.count).toBe(cases.length);
  expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  expect(new Set(cases.map((c) => c.kind))).toEqual(new Set(Object.keys(kinds)));
  expect(cases.filter((c) => !ran.has(c.id)).map((c) => c.id)).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// The stacked modules against the cells, one batch element, layer, direction and step at a time.

interface LoopCase {
  mode: StackMode;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  nonlinearity: "tanh" | "relu";
  batchFirst: boolean;
  bidirectional: boolean;
  /** null: an unbatched (2-D) input. */
  batch: number | null;
  seqLen: number;
  /** null: no lengths given (every element runs the whole input). */
  lengths: number[] | null;
  hasH0: boolean;
  /** Feed the cells (1, input) rows instead of unbatched (input) vectors. */
  cellRows: boolean;
  seed: number;
}

const loopCaseArb: fc.Arbitrary<LoopCase> = fc
  .record({
    mode: fc.constantFrom<StackMode>("RNN", "LSTM", "GRU"),
    inputSize: fc.integer({ min: 1, max: 3 }),
    hiddenSize: fc.integer({ min: 1, max: 3 }),
    numLayers: fc.integer({ min: 1, max: 2 }),
    bias: fc.boolean(),
    nonlinearity: fc.constantFrom<"tanh" | "relu">("tanh", "relu"),
    batchFirst: fc.boolean(),
    bidirectional: fc.boolean(),
    batched: fc.boolean(),
    seqLen: fc.integer({ min: 1, max: 4 }),
    lengths: fc.option(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })),
    hasH0: fc.boolean(),
    cellRows: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ batched, lengths, seqLen, ...rest }) => {
    // Lengths need a batched input; the batch is as long as they are (or 2 without them).
    const clipped = batched && lengths !== null ? lengths.map((length) => Math.min(length, seqLen)) : null;
    return { ...rest, seqLen, lengths: clipped, batch: batched ? (clipped?.length ?? 2) : null };
  });

function randomLeaf(generator: Generator, shape: number[]): Tensor {
  const values = new Float64Array(shape.reduce((a, b) => a * b, 1));
  generator.fillUniform(values, -1, 1);
  return tensor(values, { shape, dtype: "float64", requiresGrad: true });
}

/** The arguments a cell and its stacked module share (nonlinearity for RNN only). */
function torchArgs(c: LoopCase): TorchConfig {
  return { input_size: c.inputSize, hidden_size: c.hiddenSize, bias: c.bias, ...(c.mode === "RNN" ? { nonlinearity: c.nonlinearity } : {}) };
}

/** A cell holding a copy of the parameters under `suffix` (`_l1_reverse`): its gradients are that layer and direction's. */
function cellFor(c: LoopCase, module: AnyModule, suffix: string): AnyModule {
  const own = module.stateDict();
  const inputSize = own[`weight_ih${suffix}`].shape[1];
  const cell = build(`${c.mode}Cell` as CellMode, { ...torchArgs(c), input_size: inputSize }, "float64");
  cell.loadStateDict(Object.fromEntries(cell.namedParameters().map(([name]) => [name, own[`${name}${suffix}`]])));
  return cell;
}

/** One cell step on a vector x (input) and vector states; `rows` feeds the cell a (1, input) batch instead. */
function cellStep(cell: AnyModule, x: Tensor, state: Tensor[] | undefined, rows: boolean): Tensor[] {
  const lift = (t: Tensor) => (rows ? t.unsqueeze(0) : t);
  const given = state?.map(lift);
  const next = cell.forward(lift(x), cell instanceof LSTMCell ? given : given?.[0]) as Tensor | Tensor[];
  return (Array.isArray(next) ? next : [next]).map((t) => (rows ? t.squeeze(0) : t));
}

/**
 * PyTorch's packed semantics written out: element b runs only its first `length_b` steps, forward
 * from t = 0 and backward from t = length_b - 1, from its own initial state; its outputs past
 * length_b are zeros, and its final state is the one at the end of that run.
 */
function loopOverCells(c: LoopCase, cells: AnyModule[][], input: Tensor, initial: Tensor[]): [Tensor, Tensor[]] {
  const D = c.bidirectional ? 2 : 1;
  const B = c.batch ?? 1;
  const stateCount = c.mode === "LSTM" ? 2 : 1;
  const inputAt = (b: number, t: number) =>
    c.batch === null ? input.select(0, t) : c.batchFirst ? input.select(0, b).select(0, t) : input.select(0, t).select(0, b);
  const finals: Tensor[][][] = Array.from({ length: stateCount }, () => Array.from({ length: c.numLayers * D }, () => []));
  const perElement: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    const length = c.lengths?.[b] ?? c.seqLen;
    let sequence = Array.from({ length }, (_, t) => inputAt(b, t));
    for (let k = 0; k < c.numLayers; k++) {
      const directions = cells[k].map((cell, d) => {
        const index = k * D + d;
        let state = initial.length === 0 ? undefined : initial.map((s) => (c.batch === null ? s.select(0, index) : s.select(0, index).select(0, b)));
        const hs = new Array<Tensor>(length);
        for (let i = 0; i < length; i++) {
          const t = d === 0 ? i : length - 1 - i;
          state = cellStep(cell, sequence[t], state, c.cellRows);
          hs[t] = state[0];
        }
        state!.forEach((s, i) => finals[i][index].push(s));
        return hs;
      });
      sequence = sequence.map((_, t) => concat(directions.map((hs) => hs[t]), 0));
    }
    const padding = Array.from({ length: c.seqLen - length }, () => zeros([D * c.hiddenSize], { dtype: "float64" }));
    perElement.push(stack([...sequence, ...padding], 0));
  }
  const output = c.batch === null ? perElement[0] : stack(perElement, c.batchFirst ? 0 : 1);
  const states = finals.map((perIndex) => stack(perIndex.map((perBatch) => (c.batch === null ? perBatch[0] : stack(perBatch, 0))), 0));
  return [output, states];
}

function checkAgainstCells(c: LoopCase): void {
  const generator = new Generator(c.seed);
  const module = build(c.mode, { ...torchArgs(c), num_layers: c.numLayers, batch_first: c.batchFirst, bidirectional: c.bidirectional }, "float64");
  // Random weights, not PyTorch's small init, so that relu units and saturation are exercised.
  for (const p of module.parameters()) p.assign(randomLeaf(generator, [p.size]).data());
  const D = c.bidirectional ? 2 : 1;
  const cells = Array.from({ length: c.numLayers }, (_, k) => Array.from({ length: D }, (_, d) => cellFor(c, module, `_l${k}${d === 1 ? "_reverse" : ""}`)));

  const lead = c.batch === null ? [c.seqLen] : c.batchFirst ? [c.batch, c.seqLen] : [c.seqLen, c.batch];
  const input = randomLeaf(generator, [...lead, c.inputSize]);
  const stateShape = c.batch === null ? [c.numLayers * D, c.hiddenSize] : [c.numLayers * D, c.batch, c.hiddenSize];
  const initial = c.hasH0 ? Array.from({ length: c.mode === "LSTM" ? 2 : 1 }, () => randomLeaf(generator, stateShape)) : [];

  const lengths = c.lengths === null ? undefined : { lengths: c.lengths, enforceSorted: false };
  const hidden = initial.length === 0 ? undefined : c.mode === "LSTM" ? initial : initial[0];
  const [output, finals] = (module.forward as (...args: unknown[]) => [Tensor, Tensor | Tensor[]])(input, hidden, lengths);
  const actual = [output, ...(Array.isArray(finals) ? finals : [finals])];
  const [expectedOutput, expectedFinals] = loopOverCells(c, cells, input, initial);
  const expected = [expectedOutput, ...expectedFinals];
  actual.forEach((t, i) => expect(t.shape).toEqual(expected[i].shape));

  const upstream = expected.map((t) => randomLeaf(generator, [...t.shape]));
  const lossOf = (values: Tensor[]) => values.map((v, i) => v.mul(upstream[i]).sum()).reduce((a, b) => a.add(b));
  const leaves = [input, ...initial];
  const actualValues = evaluate([...actual, ...grad(lossOf(actual), [...leaves, ...module.parameters()])]);
  const expectedValues = evaluate([...expected, ...grad(lossOf(expected), [...leaves, ...cells.flat().flatMap((cell) => cell.parameters())])]);
  actualValues.forEach((values, i) => assertClose(values, expectedValues[i], { ...FLOAT64, label: `${JSON.stringify(c)} value ${i}` }));
}

describe("RNN, LSTM and GRU equal their cells run one element, layer, direction and step at a time (values and gradients)", () => {
  for (const mode of ["RNN", "LSTM", "GRU"] as const) {
    test(mode, () => {
      fc.assert(
        fc.property(
          loopCaseArb.map((c) => ({ ...c, mode })),
          (c) => checkAgainstCells(c),
        ),
        { numRuns: 40 },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The compiled path on masked graphs.

test("batches of other lengths build the same graph: cached programs give the interpreter's bits", () => {
  const steps = [[4, 2, 3], [1, 4, 4], [3, 3, 1], [2, 1, 4]];
  const run = () => {
    const generator = new Generator(5);
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, batchFirst: true, projSize: 2, dtype: "float64", generator });
    return steps.map((lengths) => {
      const x = randomLeaf(generator, [3, 4, 2]);
      const [output, [hN, cN]] = lstm.call(x, undefined, { lengths, enforceSorted: false });
      const loss = output.mul(randomLeaf(generator, [3, 4, 4])).sum().add(hN.sum()).add(cN.mul(cN).sum());
      return evaluate([loss, ...grad(loss, [x, ...lstm.parameters()])]);
    });
  };
  const expected = interpreted(run);
  const before = programCacheStats();
  const actual = run();
  // The second step compiles the graph, once for all four lengths; the steps after run that program.
  const after = programCacheStats();
  expect(after.compiled - before.compiled).toBe(1);
  expect(after.hits - before.hits).toBe(steps.length - 2);
  actual.forEach((values, s) => values.forEach((v, i) => expectSameBits(v, expected[s][i], `step ${s}, value ${i}`)));
});

// ---------------------------------------------------------------------------------------------
// DataLoader and padSequence beyond the fixture.

describe("DataLoader", () => {
  const xs = Array.from({ length: 5 }, (_, i) => tensor([i, -i, 2 * i], { dtype: "float64" }));
  const ys = Array.from({ length: 5 }, (_, i) => tensor(i % 2, { dtype: "int32" }));

  test("an array of [input, target] samples gives [inputs, targets] batches: new leaves holding the stacked rows", () => {
    const batches = [...new DataLoader(xs.map((x, i) => [x, ys[i]] as const), { batchSize: 2 })];
    expect(batches.map(([x, y]) => [x.shape, y.shape, x.dtype, y.dtype])).toEqual([
      [[2, 3], [2], "float64", "int32"],
      [[2, 3], [2], "float64", "int32"],
      [[1, 3], [1], "float64", "int32"],
    ]);
    expect(batches.map(([x]) => x.toArray())).toEqual([
      [[0, -0, 0], [1, -1, 2]],
      [[2, -2, 4], [3, -3, 6]],
      [[4, -4, 8]],
    ]);
    expect(batches.map(([, y]) => y.toArray())).toEqual([[0, 1], [0, 1], [0]]);
    expect(batches.every(([x, y]) => x.isLeaf && y.isLeaf && !x.requiresGrad)).toBe(true);
  });

  test("a dataset of tensor samples gives tensor batches; samples may be graph nodes", () => {
    const batches = [...new DataLoader(xs.map((x) => x.mul(2)), { batchSize: 3, dropLast: true })];
    expect(batches.map((b) => b.toArray())).toEqual([[[0, -0, 0], [2, -2, 4], [4, -4, 8]]]);
  });

  test("breaking out of an epoch leaves the rest undrawn, as PyTorch", () => {
    const generator = new Generator(1);
    const loader = new DataLoader(xs, { batchSize: 2, shuffle: true, generator });
    for (const batch of loader) {
      expect(batch.shape).toEqual([2, 3]);
      break;
    }
    // One epoch started: the base seed (2 words) and one permutation (4 words) were drawn.
    const reference = new Generator(1);
    for (let i = 0; i < 6; i++) reference.nextUint32();
    expect(generator.nextUint32()).toBe(reference.nextUint32());
  });

  test.each([
    ["samples of different shapes", () => [...new DataLoader([xs[0], tensor([1, 2], { dtype: "float64" })], { batchSize: 2 })], "DataLoader: stack expects each tensor to be equal size and dtype, but got float64 [3] at sample 0 and float64 [2] at sample 1"],
    ["samples of different dtypes", () => [...new DataLoader([xs[0], tensor([1, 2, 3])], { batchSize: 2 })], "but got float64 [3] at sample 0 and float32 [3] at sample 1"],
    ["a tuple field of another shape", () => [...new DataLoader([[xs[0], ys[0]], [xs[1], xs[1]]], { batchSize: 2 })], "at sample 0[1] and float64 [3] at sample 1[1]"],
    ["tuples of different sizes", () => [...new DataLoader([[xs[0], ys[0]], [xs[1]]], { batchSize: 2 })], "DataLoader: sample 1 must be an array of 2 Tensors like sample 0"],
    ["a sample that is a number", () => [...new DataLoader([1, 2] as never)], "DataLoader: sample 0 must be a Tensor or an array of Tensors"],
    ["batchSize 0", () => new DataLoader(xs, { batchSize: 0 }), "DataLoader: batchSize must be a positive integer, got 0"],
    ["PyTorch-cased options", () => new DataLoader(xs, { batch_size: 2 } as never), "DataLoader: unknown option(s) 'batch_size'"],
    ["a dataset without at()", () => new DataLoader({ length: 3 } as never), "DataLoader: dataset must be an array of samples or have a length and at(index)"],
    ["shuffling nothing", () => new DataLoader([], { shuffle: true }), "DataLoader: num_samples should be a positive integer value, but got num_samples=0"],
    ["tensors of different lengths", () => new TensorDataset(zeros([3, 2]), zeros([4])), "TensorDataset: Size mismatch between tensors: tensors[0] has 3 samples, tensors[1] has 4"],
    ["randperm(-1)", () => randperm(-1), "randperm: Trying to create tensor with negative dimension -1: [-1]"],
  ])("%s is refused", (_label, run, message) => {
    expect(run).toThrow(message);
  });
});

test("padSequence passes each sequence's gradient back, and none to the padding", () => {
  const sequences = [tensor([[1, 2], [3, 4]], { dtype: "float64", requiresGrad: true }), tensor([[5, 6]], { dtype: "float64", requiresGrad: true })];
  const padded = padSequence(sequences, { batchFirst: true, paddingValue: Number.NaN });
  const weights = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], { dtype: "float64" });
  const [first, second] = grad(padded.mul(weights).sum(), sequences);
  expect(first.toArray()).toEqual([[1, 2], [3, 4]]);
  expect(second.toArray()).toEqual([[5, 6]]);
});

// ---------------------------------------------------------------------------------------------
// Errors, naming the module.

describe("errors", () => {
  const x = zeros([3, 2, 2]);
  const rnn = new RNN({ inputSize: 2, hiddenSize: 3 });
  test.each([
    ["lengths past the input", () => rnn.forward(x, undefined, { lengths: [4, 2] }), "RNN: lengths[0] is 4, longer than the input's 3 time steps"],
    ["lengths past the input (batchFirst)", () => new GRU({ inputSize: 2, hiddenSize: 3, batchFirst: true }).forward(zeros([2, 3, 2]), undefined, { lengths: [3, 4], enforceSorted: false }), "GRU: lengths[1] is 4, longer than the input's 3 time steps"],
    ["lengths of the wrong count", () => new LSTM({ inputSize: 2, hiddenSize: 3 }).forward(x, undefined, { lengths: [3, 2, 1] }), "LSTM: Expected lengths.length to be equal to the batch size, but got 3 (batch size 2)"],
    ["a zero length", () => new GRU({ inputSize: 2, hiddenSize: 3 }).forward(x, undefined, { lengths: [3, 0] }), "GRU: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0 (lengths[1] = 0)"],
    ["a fractional length", () => rnn.forward(x, undefined, { lengths: [3, 1.5] }), "RNN: lengths[1] must be an integer, got 1.5"],
    ["unsorted lengths while enforceSorted", () => rnn.forward(x, undefined, { lengths: [2, 3] }), "RNN: lengths must be sorted in decreasing order when enforceSorted is true, got [2, 3]. Pass enforceSorted: false"],
    ["lengths with an unbatched input", () => rnn.forward(zeros([3, 2]), undefined, { lengths: [3] }), "RNN: lengths need a batched (3-D) input, got a 2-D (unbatched) input"],
    ["lengths that are not an array", () => rnn.forward(x, undefined, { lengths: 3 } as never), "RNN: lengths must be an array of sequence lengths, got 3"],
    ["PyTorch-cased enforce_sorted", () => rnn.forward(x, undefined, { lengths: [3, 2], enforce_sorted: false } as never), "RNN: unknown option(s) 'enforce_sorted'"],
    ["a 3-D input into a cell", () => new RNNCell({ inputSize: 2, hiddenSize: 3 }).forward(x), "RNNCell: Expected input to be 1-D or 2-D but received 3-D tensor"],
    ["a cell input of the wrong size", () => new LSTMCell({ inputSize: 3, hiddenSize: 2 }).forward(zeros([4, 2])), "LSTMCell: input has inconsistent inputSize: got 2, expected 3"],
    ["a cell state of the wrong batch", () => new GRUCell({ inputSize: 2, hiddenSize: 3 }).forward(zeros([4, 2]), zeros([3, 3])), "GRUCell: Expected hidden size [4, 3], got [3, 3]"],
    ["a batched state for an unbatched cell input", () => new RNNCell({ inputSize: 2, hiddenSize: 3 }).forward(zeros([2]), zeros([1, 3])), "RNNCell: Expected hidden size [3], got [1, 3]"],
    ["an LSTMCell state that is not a pair", () => new LSTMCell({ inputSize: 2, hiddenSize: 3 }).forward(zeros([2]), [zeros([3])] as never), "LSTMCell: the initial state must be a pair [h0, c0]"],
    ["an LSTMCell c of the wrong dtype", () => new LSTMCell({ inputSize: 2, hiddenSize: 3 }).forward(zeros([2]), [zeros([3]), zeros([3], { dtype: "float64" })]), "LSTMCell: hidden[1] is float64 but the parameters are float32"],
    ["a cell with numLayers", () => new GRUCell({ inputSize: 2, hiddenSize: 3, numLayers: 2 } as never), "GRUCell: unknown option(s) 'numLayers'"],
    ["an RNNCell nonlinearity", () => new RNNCell({ inputSize: 2, hiddenSize: 3, nonlinearity: "gelu" as never }), "RNNCell: Unknown nonlinearity 'gelu'. Select from 'tanh' or 'relu'."],
    ["projSize on an RNN", () => new RNN({ inputSize: 2, hiddenSize: 3, projSize: 1 } as never), "RNN: unknown option(s) 'projSize'"],
    ["projSize not below hiddenSize", () => new LSTM({ inputSize: 2, hiddenSize: 3, projSize: 3 }), "LSTM: projSize has to be smaller than hiddenSize, got projSize 3 and hiddenSize 3"],
    ["a negative projSize", () => new LSTM({ inputSize: 2, hiddenSize: 3, projSize: -1 }), "LSTM: projSize should be a positive integer or zero to disable projections, got -1"],
    ["an h0 of the hidden size with projSize", () => new LSTM({ inputSize: 2, hiddenSize: 3, projSize: 1 }).forward(x, [zeros([1, 2, 3]), zeros([1, 2, 3])]), "LSTM: Expected hidden[0] size [1, 2, 1], got [1, 2, 3]"],
    ["padSequence of nothing", () => padSequence([]), "padSequence: received an empty list of sequences"],
    ["padSequence of different trailing shapes", () => padSequence([zeros([2, 3]), zeros([1, 4])]), "padSequence: sequences[1] has shape [1, 4], expected [*, 3] as sequences[0]"],
    ["padSequence of 0-D tensors", () => padSequence([zeros([])]), "padSequence: sequences[0] is 0-D; each sequence needs a time dim first"],
  ])("%s", (_label, run, message) => {
    expect(run).toThrow(message);
  });
});
