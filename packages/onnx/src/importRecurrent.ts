import { concat, type Tensor, tensor, where, withScope, zeros } from "@gradgraph/core";

/** ONNX's recurrent operators, and how many gate blocks their W, R and B stack. */
const gateCounts = { RNN: 1, LSTM: 4, GRU: 3 } as const;
export type RecurrentOperator = keyof typeof gateCounts;

/** One ONNX RNN / LSTM / GRU node's inputs and attributes, read and checked by the caller. */
interface RecurrentNode {
  readonly operator: RecurrentOperator;
  /** (seq, batch, input) in ONNX's layout 0, (batch, seq, input) in layout 1. */
  readonly X: Tensor;
  /** (directions, gates·hidden, input) and (directions, gates·hidden, hidden), gates in ONNX's order. */
  readonly W: Tensor;
  readonly R: Tensor;
  /** (directions, 2·gates·hidden): [Wb, Rb]. */
  readonly B: Tensor | undefined;
  /** (batch,) int32: each sequence's length; the steps past it give zeros and leave the state as it was. */
  readonly sequenceLengths: Tensor | undefined;
  /** (directions, batch, hidden) in layout 0, (batch, directions, hidden) in layout 1. */
  readonly initialH: Tensor | undefined;
  readonly initialC: Tensor | undefined;
  /** LSTM's peepholes (directions, 3·hidden): [Pi, Po, Pf]. */
  readonly peepholes: Tensor | undefined;
  readonly hiddenSize: number;
  readonly directions: 1 | 2;
  /** A forward-only node that runs from the last step back ("reverse"). */
  readonly reverse: boolean;
  /** Layout 1: X, Y and the states with the batch dim first. */
  readonly batchFirst: boolean;
  /** ONNX's `clip`: every gate's pre-activation bounded to [-clip, clip]. */
  readonly clip: number | undefined;
  /** GRU: the reset gate applied after the hidden state's product (PyTorch's form) or before it (ONNX's default). */
  readonly linearBeforeReset: boolean;
  /** RNN's activation, per direction. */
  readonly activations: readonly ("Tanh" | "Relu")[];
}

const shapeOf = (t: Tensor) => `[${t.shape.join(", ")}]`;

/**
 * The node unrolled into gradgraph ops, step by step (each step in scope `t<k>`, as the nn
 * modules tag theirs): ONNX's equations with its gate orders (LSTM i, o, f, c with peepholes;
 * GRU z, r, h either side of linear_before_reset). Returns [Y, Y_h] (and Y_c for an LSTM) in
 * ONNX's shapes: Y (seq, directions, batch, hidden), the finals (directions, batch, hidden), or
 * with the batch first in layout 1. With sequence lengths a step past a sequence's end outputs
 * zeros and keeps the state, so the finals are the states at each sequence's last valid step (the
 * first, running backwards), and zeros for a sequence of length 0, as ONNX Runtime computes them.
 */
export function unrollRecurrent(node: RecurrentNode): Tensor[] {
  const { operator, W, R, B, hiddenSize: hidden, directions, batchFirst } = node;
  const gates = gateCounts[operator];
  if (node.X.shape.length !== 3) throw new Error(`X must be ${batchFirst ? "(batch, seq, input) in layout 1" : "(seq, batch, input)"}, got shape ${shapeOf(node.X)}`);
  // Layout 1 is layout 0 with the first two dims swapped, in and out.
  const swapped = (t: Tensor | undefined) => (t === undefined || !batchFirst ? t : t.permute(1, 0, 2));
  const X = swapped(node.X)!;
  const [steps, batch, inputSize] = X.shape;
  if (steps === 0) throw new Error(`X has no steps (shape ${shapeOf(node.X)})`);
  const expectShape = (t: Tensor | undefined, name: string, shape: readonly number[]) => {
    if (t !== undefined && t.shape.join() !== shape.join()) throw new Error(`${name} must have shape [${shape.join(", ")}], got ${shapeOf(t)}`);
  };
  const stateShape = batchFirst ? [batch, directions, hidden] : [directions, batch, hidden];
  expectShape(W, "W", [directions, gates * hidden, inputSize]);
  expectShape(R, "R", [directions, gates * hidden, hidden]);
  expectShape(B, "B", [directions, 2 * gates * hidden]);
  expectShape(node.sequenceLengths, "sequence_lens", [batch]);
  expectShape(node.initialH, "initial_h", stateShape);
  expectShape(node.initialC, "initial_c", stateShape);
  expectShape(node.peepholes, "P", [directions, 3 * hidden]);
  if (node.sequenceLengths !== undefined && node.sequenceLengths.dtype !== "int32") throw new Error(`sequence_lens must hold integers (INT32), got ${node.sequenceLengths.dtype}`);
  const [initialH, initialC] = [swapped(node.initialH), swapped(node.initialC)];
  const lengths = node.sequenceLengths?.reshape(batch, 1);
  const clipped = (t: Tensor) => (node.clip === undefined ? t : t.clamp(-node.clip, node.clip));

  const ofDirection = (t: Tensor, d: number, shape: readonly number[]) => t.slice(0, d, d + 1).reshape(...shape);
  const block = (t: Tensor, k: number) => t.slice(t.shape.length - 1, k * hidden, (k + 1) * hidden);
  const perDirection = Array.from({ length: directions }, (_, d) => {
    const inputWeights = ofDirection(W, d, [gates * hidden, inputSize]).permute(1, 0);
    const hiddenWeights = ofDirection(R, d, [gates * hidden, hidden]).permute(1, 0);
    const bias = B === undefined ? undefined : ofDirection(B, d, [2 * gates * hidden]);
    const [inputBias, hiddenBias] = bias === undefined ? [undefined, undefined] : [bias.slice(0, 0, gates * hidden), bias.slice(0, gates * hidden, 2 * gates * hidden)];
    const peepholes = node.peepholes === undefined ? undefined : ofDirection(node.peepholes, d, [3 * hidden]);
    let h = initialH === undefined ? zeros([batch, hidden], { dtype: X.dtype }) : ofDirection(initialH, d, [batch, hidden]);
    let c = initialC === undefined ? zeros([batch, hidden], { dtype: X.dtype }) : ofDirection(initialC, d, [batch, hidden]);
    const outputs: Tensor[] = new Array(steps);
    const backwards = d === 1 || node.reverse;
    for (let k = 0; k < steps; k++) {
      const t = backwards ? steps - 1 - k : k;
      withScope(`t${k}`, () => {
        const x = X.slice(0, t, t + 1).reshape(batch, inputSize);
        const fromInput = inputBias === undefined ? x.matmul(inputWeights) : x.matmul(inputWeights).add(inputBias);
        const fromHidden = hiddenBias === undefined ? h.matmul(hiddenWeights) : h.matmul(hiddenWeights).add(hiddenBias);
        let [next, nextC] = [h, c];
        if (operator === "RNN") {
          const sum = clipped(fromInput.add(fromHidden));
          next = node.activations[d] === "Relu" ? sum.relu() : sum.tanh();
        } else if (operator === "LSTM") {
          const all = fromInput.add(fromHidden);
          // Peepholes: the input and forget gates see the previous cell, the output gate the new one.
          const peep = (g: number, k: number, cell: Tensor) => (peepholes === undefined ? block(all, g) : block(all, g).add(block(peepholes, k).mul(cell)));
          const i = clipped(peep(0, 0, c)).sigmoid();
          const f = clipped(peep(2, 2, c)).sigmoid();
          nextC = f.mul(c).add(i.mul(clipped(block(all, 3)).tanh()));
          const o = clipped(peep(1, 1, nextC)).sigmoid();
          next = o.mul(nextC.tanh());
        } else {
          const z = clipped(block(fromInput, 0).add(block(fromHidden, 0))).sigmoid();
          const r = clipped(block(fromInput, 1).add(block(fromHidden, 1))).sigmoid();
          // linear_before_reset 0 resets the state before its product: R_h (r ⊙ h) + Rb_h.
          const resetHidden = node.linearBeforeReset
            ? r.mul(block(fromHidden, 2))
            : (() => {
                const product = r.mul(h).matmul(block(hiddenWeights, 2));
                return hiddenBias === undefined ? product : product.add(block(hiddenBias, 2));
              })();
          const candidate = clipped(block(fromInput, 2).add(resetHidden)).tanh();
          next = z.neg().add(1).mul(candidate).add(z.mul(h));
        }
        if (lengths === undefined) {
          [h, c] = [next, nextC];
          outputs[t] = h.reshape(1, 1, batch, hidden);
        } else {
          const valid = tensor(t, { dtype: "int32" }).lt(lengths);
          [h, c] = [where(valid, next, h), operator === "LSTM" ? where(valid, nextC, c) : c];
          outputs[t] = where(valid, next, 0).reshape(1, 1, batch, hidden);
        }
      });
    }
    // ONNX Runtime gives a sequence of length 0 zero final states, not its initial ones.
    const [finalH, finalC] = lengths === undefined ? [h, c] : [h, c].map((state) => where(lengths.gt(0), state, 0));
    return { outputs, h: finalH.reshape(1, batch, hidden), c: finalC.reshape(1, batch, hidden) };
  });
  const Y = concat(Array.from({ length: steps }, (_, t) => (directions === 1 ? perDirection[0].outputs[t] : concat(perDirection.map((p) => p.outputs[t]), 1))), 0);
  const finals = (pick: (p: (typeof perDirection)[number]) => Tensor) => swapped(directions === 1 ? pick(perDirection[0]) : concat(perDirection.map(pick), 0))!;
  const output = batchFirst ? Y.permute(2, 0, 1, 3) : Y;
  return operator === "LSTM" ? [output, finals((p) => p.h), finals((p) => p.c)] : [output, finals((p) => p.h)];
}
