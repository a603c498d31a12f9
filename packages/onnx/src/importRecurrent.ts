import { concat, type Tensor, withScope, zeros } from "@gradgraph/core";

/** ONNX's recurrent operators, and how many gate blocks their W, R and B stack. */
const gateCounts = { RNN: 1, LSTM: 4, GRU: 3 } as const;
export type RecurrentOperator = keyof typeof gateCounts;

/** One ONNX RNN / LSTM / GRU node's inputs and attributes, read and checked by the caller. */
interface RecurrentNode {
  readonly operator: RecurrentOperator;
  /** (seq, batch, input): ONNX's layout 0. */
  readonly X: Tensor;
  /** (directions, gates·hidden, input) and (directions, gates·hidden, hidden), gates in ONNX's order. */
  readonly W: Tensor;
  readonly R: Tensor;
  /** (directions, 2·gates·hidden): [Wb, Rb]. */
  readonly B: Tensor | undefined;
  /** (directions, batch, hidden). */
  readonly initialH: Tensor | undefined;
  readonly initialC: Tensor | undefined;
  readonly hiddenSize: number;
  readonly directions: 1 | 2;
  /** A forward-only node that runs from the last step back ("reverse"). */
  readonly reverse: boolean;
  /** RNN's activation, per direction. */
  readonly activations: readonly ("Tanh" | "Relu")[];
}

const shapeOf = (t: Tensor) => `[${t.shape.join(", ")}]`;

/**
 * The node unrolled into gradgraph ops, step by step (each step in scope `t<k>`, as the nn
 * modules tag theirs): ONNX's equations with its gate orders (LSTM i, o, f, c; GRU z, r, h with
 * linear_before_reset, as PyTorch computes it). Returns [Y, Y_h] (and Y_c for an LSTM) in ONNX's
 * shapes: Y (seq, directions, batch, hidden), the finals (directions, batch, hidden).
 */
export function unrollRecurrent(node: RecurrentNode): Tensor[] {
  const { operator, X, W, R, B, hiddenSize: hidden, directions } = node;
  const gates = gateCounts[operator];
  if (X.shape.length !== 3) throw new Error(`X must be (seq, batch, input), got shape ${shapeOf(X)}`);
  const [steps, batch, inputSize] = X.shape;
  if (steps === 0) throw new Error("X has no steps (shape [0, ...])");
  const expectShape = (t: Tensor | undefined, name: string, shape: readonly number[]) => {
    if (t !== undefined && t.shape.join() !== shape.join()) throw new Error(`${name} must have shape [${shape.join(", ")}], got ${shapeOf(t)}`);
  };
  expectShape(W, "W", [directions, gates * hidden, inputSize]);
  expectShape(R, "R", [directions, gates * hidden, hidden]);
  expectShape(B, "B", [directions, 2 * gates * hidden]);
  expectShape(node.initialH, "initial_h", [directions, batch, hidden]);
  expectShape(node.initialC, "initial_c", [directions, batch, hidden]);

  const ofDirection = (t: Tensor, d: number, shape: readonly number[]) => t.slice(0, d, d + 1).reshape(...shape);
  const block = (t: Tensor, k: number) => t.slice(1, k * hidden, (k + 1) * hidden);
  const perDirection = Array.from({ length: directions }, (_, d) => {
    const inputWeights = ofDirection(W, d, [gates * hidden, inputSize]).permute(1, 0);
    const hiddenWeights = ofDirection(R, d, [gates * hidden, hidden]).permute(1, 0);
    const bias = B === undefined ? undefined : ofDirection(B, d, [2 * gates * hidden]);
    const [inputBias, hiddenBias] = bias === undefined ? [undefined, undefined] : [bias.slice(0, 0, gates * hidden), bias.slice(0, gates * hidden, 2 * gates * hidden)];
    let h = node.initialH === undefined ? zeros([batch, hidden], { dtype: X.dtype }) : ofDirection(node.initialH, d, [batch, hidden]);
    let c = node.initialC === undefined ? zeros([batch, hidden], { dtype: X.dtype }) : ofDirection(node.initialC, d, [batch, hidden]);
    const outputs: Tensor[] = new Array(steps);
    const backwards = d === 1 || node.reverse;
    for (let k = 0; k < steps; k++) {
      const t = backwards ? steps - 1 - k : k;
      withScope(`t${k}`, () => {
        const x = X.slice(0, t, t + 1).reshape(batch, inputSize);
        const fromInput = inputBias === undefined ? x.matmul(inputWeights) : x.matmul(inputWeights).add(inputBias);
        const fromHidden = hiddenBias === undefined ? h.matmul(hiddenWeights) : h.matmul(hiddenWeights).add(hiddenBias);
        if (operator === "RNN") {
          const sum = fromInput.add(fromHidden);
          h = node.activations[d] === "Relu" ? sum.relu() : sum.tanh();
        } else if (operator === "LSTM") {
          const all = fromInput.add(fromHidden);
          const [i, o, f] = [0, 1, 2].map((g) => block(all, g).sigmoid());
          c = f.mul(c).add(i.mul(block(all, 3).tanh()));
          h = o.mul(c.tanh());
        } else {
          const z = block(fromInput, 0).add(block(fromHidden, 0)).sigmoid();
          const r = block(fromInput, 1).add(block(fromHidden, 1)).sigmoid();
          const candidate = block(fromInput, 2).add(r.mul(block(fromHidden, 2))).tanh();
          h = z.neg().add(1).mul(candidate).add(z.mul(h));
        }
      });
      outputs[t] = h.reshape(1, 1, batch, hidden);
    }
    return { outputs, h: h.reshape(1, batch, hidden), c: c.reshape(1, batch, hidden) };
  });
  const Y = concat(Array.from({ length: steps }, (_, t) => (directions === 1 ? perDirection[0].outputs[t] : concat(perDirection.map((p) => p.outputs[t]), 1))), 0);
  const finals = (pick: (p: (typeof perDirection)[number]) => Tensor) => (directions === 1 ? pick(perDirection[0]) : concat(perDirection.map(pick), 0));
  return operator === "LSTM" ? [Y, finals((p) => p.h), finals((p) => p.c)] : [Y, finals((p) => p.h)];
}
