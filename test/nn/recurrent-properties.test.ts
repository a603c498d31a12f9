import { Generator, type Tensor, concat, evaluate, grad, stack, tensor, zeros } from "@gradgraph/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { RNN } from "../../packages/nn/src";
import { assertClose } from "@gradgraph/core/testing";
import { FLOAT64 } from "../helpers/fixtures";
import { type RecurrentConfig, type RecurrentMode, buildRecurrent, runRecurrent } from "../helpers/recurrent-cases";

/**
 * The unrolled modules against an explicit loop written here from the fixture README's equations:
 * one batch element, one layer, one direction and one time step at a time, with column-vector
 * products `W x` on row blocks of the weights (the modules use row-major `x W^T` on whole gate
 * stacks). Layer k is fed the full output sequence of layer k-1, [forward | reverse].
 */

type Case = { mode: RecurrentMode; config: RecurrentConfig; seed: number };

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    mode: fc.constantFrom<RecurrentMode>("RNN", "LSTM", "GRU"),
    input_size: fc.integer({ min: 1, max: 4 }),
    hidden_size: fc.integer({ min: 1, max: 4 }),
    num_layers: fc.integer({ min: 1, max: 3 }),
    nonlinearity: fc.constantFrom<"tanh" | "relu">("tanh", "relu"),
    bias: fc.boolean(),
    batch_first: fc.boolean(),
    bidirectional: fc.boolean(),
    batched: fc.boolean(),
    batch: fc.integer({ min: 1, max: 3 }),
    seq_len: fc.integer({ min: 1, max: 4 }),
    has_h0: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ mode, seed, batch, batched, ...rest }) => ({ mode, seed, config: { ...rest, batched, batch: batched ? batch : null } }));

function randomValues(generator: Generator, size: number): Float64Array {
  const data = new Float64Array(size);
  generator.fillUniform(data, -1, 1);
  return data;
}

function randomTensor(generator: Generator, shape: number[]): Tensor {
  return tensor(randomValues(generator, shape.reduce((a, b) => a * b, 1)), { shape, dtype: "float64", requiresGrad: true });
}

/** One direction's parameters, each gate's rows taken separately. */
function gateParameters(params: Record<string, Tensor>, suffix: string, hidden: number) {
  const rows = (t: Tensor | undefined, gate: number) => t?.slice(0, gate * hidden, (gate + 1) * hidden);
  return (gate: number) => ({
    wi: rows(params[`weight_ih_${suffix}`], gate)!,
    wh: rows(params[`weight_hh_${suffix}`], gate)!,
    bi: rows(params[`bias_ih_${suffix}`], gate),
    bh: rows(params[`bias_hh_${suffix}`], gate),
  });
}

const plus = (x: Tensor, b: Tensor | undefined) => (b === undefined ? x : x.add(b));

/** One step on vectors: [h] or [h, c] from x (in) and the previous states (H). */
function referenceStep(c: Case, gate: ReturnType<typeof gateParameters>, x: Tensor, [h, cell]: Tensor[]): Tensor[] {
  const inputPart = (g: number) => plus(gate(g).wi.matmul(x), gate(g).bi);
  const hiddenPart = (g: number) => plus(gate(g).wh.matmul(h), gate(g).bh);
  const preActivation = (g: number) => inputPart(g).add(hiddenPart(g));
  if (c.mode === "RNN") return [c.config.nonlinearity === "tanh" ? preActivation(0).tanh() : preActivation(0).relu()];
  if (c.mode === "LSTM") {
    const [i, f, g, o] = [preActivation(0).sigmoid(), preActivation(1).sigmoid(), preActivation(2).tanh(), preActivation(3).sigmoid()];
    const next = f.mul(cell).add(i.mul(g));
    return [o.mul(next.tanh()), next];
  }
  const r = preActivation(0).sigmoid();
  const z = preActivation(1).sigmoid();
  const n = inputPart(2).add(r.mul(hiddenPart(2))).tanh();
  return [z.neg().add(1).mul(n).add(z.mul(h))];
}

/** Returns output and the final states laid out as PyTorch's (see the README's shape table). */
function referenceForward(c: Case, params: Record<string, Tensor>, input: Tensor, initial: (Tensor | undefined)[]): [Tensor, Tensor[]] {
  const { hidden_size: H, num_layers: layers, bidirectional, batched, batch_first: batchFirst, seq_len: L } = c.config;
  const B = batched ? c.config.batch! : 1;
  const D = bidirectional ? 2 : 1;
  const stateCount = c.mode === "LSTM" ? 2 : 1;
  const inputAt = (b: number, t: number) => (!batched ? input.select(0, t) : batchFirst ? input.select(0, b).select(0, t) : input.select(0, t).select(0, b));
  const initialAt = (s: number, index: number, b: number) => {
    const given = initial[s];
    if (given === undefined) return zeros([H], { dtype: "float64" });
    return batched ? given.select(0, index).select(0, b) : given.select(0, index);
  };

  // finals[s][index][b]
  const finals: Tensor[][][] = Array.from({ length: stateCount }, () => Array.from({ length: layers * D }, () => []));
  const outputs: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    let sequence = Array.from({ length: L }, (_, t) => inputAt(b, t));
    for (let k = 0; k < layers; k++) {
      const perDirection: Tensor[][] = [];
      for (let d = 0; d < D; d++) {
        const gate = gateParameters(params, `l${k}${d === 1 ? "_reverse" : ""}`, H);
        let state = Array.from({ length: stateCount }, (_, s) => initialAt(s, k * D + d, b));
        const hs = new Array<Tensor>(L);
        const times = Array.from({ length: L }, (_, i) => (d === 0 ? i : L - 1 - i));
        for (const t of times) {
          state = referenceStep(c, gate, sequence[t], state);
          hs[t] = state[0];
        }
        state.forEach((s, i) => finals[i][k * D + d].push(s));
        perDirection.push(hs);
      }
      sequence = sequence.map((_, t) => concat(perDirection.map((hs) => hs[t]), 0));
    }
    outputs.push(stack(sequence, 0)); // (L, D*H)
  }
  const output = !batched ? outputs[0] : batchFirst ? stack(outputs, 0) : stack(outputs, 1);
  const states = finals.map((perIndex) => stack(perIndex.map((perBatch) => (batched ? stack(perBatch, 0) : perBatch[0])), 0));
  return [output, states];
}

function checkAgainstReference(c: Case): void {
  const cfg = c.config;
  const generator = new Generator(c.seed);
  const module = buildRecurrent(c.mode, cfg, "float64");
  // Random weights, not PyTorch's small init, so that relu units and saturation are exercised.
  for (const p of module.parameters()) p.assign(randomValues(generator, p.size));
  const params = module.stateDict();

  const B = cfg.batch ?? 1;
  const D = cfg.bidirectional ? 2 : 1;
  const inputShape = !cfg.batched ? [cfg.seq_len, cfg.input_size] : cfg.batch_first ? [B, cfg.seq_len, cfg.input_size] : [cfg.seq_len, B, cfg.input_size];
  const stateShape = cfg.batched ? [D * cfg.num_layers, B, cfg.hidden_size] : [D * cfg.num_layers, cfg.hidden_size];
  const input = randomTensor(generator, inputShape);
  const initial = Array.from({ length: c.mode === "LSTM" ? 2 : 1 }, () => (cfg.has_h0 ? randomTensor(generator, stateShape) : undefined));

  const [output, finals] = runRecurrent(module, input, initial[0], initial[1]);
  const [expectedOutput, expectedFinals] = referenceForward(c, params, input, initial);
  expect(output.shape).toEqual(expectedOutput.shape);
  finals.forEach((s, i) => expect(s.shape).toEqual(expectedFinals[i].shape));

  const upstream = [expectedOutput, ...expectedFinals].map((t) => randomTensor(generator, [...t.shape]));
  const lossOf = (values: Tensor[]) => values.map((v, i) => v.mul(upstream[i]).sum()).reduce((a, b) => a.add(b));
  const wrt = [input, ...initial.filter((t): t is Tensor => t !== undefined), ...module.parameters()];
  const actual = [output, ...finals, ...grad(lossOf([output, ...finals]), wrt)];
  const expected = [expectedOutput, ...expectedFinals, ...grad(lossOf([expectedOutput, ...expectedFinals]), wrt)];
  const actualValues = evaluate(actual);
  const expectedValues = evaluate(expected);
  actualValues.forEach((values, i) => assertClose(values, expectedValues[i], { ...FLOAT64, label: `${JSON.stringify(c)} value ${i}` }));
}

describe("recurrent modules equal an explicit loop (values and gradients)", () => {
  for (const mode of ["RNN", "LSTM", "GRU"] as const) {
    test(mode, () => {
      fc.assert(
        fc.property(
          caseArb.map((c) => ({ ...c, mode })),
          (c) => checkAgainstReference(c),
        ),
        { numRuns: 40 },
      );
    });
  }
});

test("sequences longer than 64 steps (sliced and stacked through blocks) equal the loop too", () => {
  const config = { input_size: 2, hidden_size: 3, num_layers: 2, nonlinearity: "tanh" as const, bias: true, batch_first: true, bidirectional: true, batched: true, batch: 2, seq_len: 70, has_h0: true };
  checkAgainstReference({ mode: "RNN", seed: 11, config });
});

test("an RNN over 10,000 steps runs forward and backward without deep recursion", () => {
  const steps = 10_000;
  const rnn = new RNN({ inputSize: 1, hiddenSize: 2, dtype: "float64" });
  const xs = Array.from({ length: steps }, (_, t) => Math.sin(t / 10));
  const input = tensor(xs, { shape: [steps, 1, 1], dtype: "float64", requiresGrad: true });
  const [output, hN] = rnn.forward(input);
  output.sum().add(hN.sum()).backward();

  // The same recurrence and its backpropagation through time on plain numbers.
  const p = Object.fromEntries(Object.entries(rnn.stateDict()).map(([k, v]) => [k, Array.from(v.data())]));
  const hs: number[][] = [];
  let h = [0, 0];
  for (const x of xs) {
    h = [0, 1].map((j) => Math.tanh(p.weight_ih_l0[j] * x + p.bias_ih_l0[j] + p.weight_hh_l0[2 * j] * h[0] + p.weight_hh_l0[2 * j + 1] * h[1] + p.bias_hh_l0[j]));
    hs.push(h);
  }
  const inputGrad = new Float64Array(steps);
  let carried = [1, 1]; // d loss / d h_{L-1} from h_n
  for (let t = steps - 1; t >= 0; t--) {
    const dPre = [0, 1].map((j) => (1 + carried[j]) * (1 - hs[t][j] ** 2)); // + 1 from output[t]
    inputGrad[t] = p.weight_ih_l0[0] * dPre[0] + p.weight_ih_l0[1] * dPre[1];
    carried = [0, 1].map((k) => p.weight_hh_l0[k] * dPre[0] + p.weight_hh_l0[2 + k] * dPre[1]);
  }
  assertClose(output.data(), hs.flat(), { ...FLOAT64, label: "output" });
  assertClose(input.grad!.data(), inputGrad, { ...FLOAT64, label: "d loss / d input" });
});
