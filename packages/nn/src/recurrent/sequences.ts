import { type Tensor, concat, formatShape, full, stack, tensor } from "@gradgraph/core";
import { checkBoolean, checkInteger, checkTensor, describeValue, readOptions } from "../validation";

/**
 * A batch of sequences of different lengths, padded to the longest, for RNN, LSTM and GRU:
 * `rnn.call(x, h0, { lengths, enforceSorted })` is PyTorch's
 *
 * ```py
 * packed = pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
 * output, h_n = rnn(packed, h0)
 * output, _ = pad_packed_sequence(output, batch_first, total_length=x.size(time_dim))
 * ```
 *
 * in one call, without a PackedSequence in between: the output keeps the input's padded shape,
 * with zeros past each element's length (PyTorch trims to the longest length unless
 * `total_length` is given: slice if you want that), and h_n (and c_n) hold each element's state
 * at its last real step, in the batch's own order (as PyTorch's, which unsorts them). The
 * reverse direction of a bidirectional module starts at each element's last real step. The
 * padding's values are never read, and their gradient is zero. Initial states are in the batch's
 * order too.
 */
export interface SequenceLengths {
  /** Each batch element's number of real time steps, from 1 to the input's length. */
  lengths: ArrayLike<number>;
  /**
   * As PyTorch's `enforce_sorted` (true by default): require the lengths in non-increasing order.
   * The result does not depend on the order; pass false for batches in any order.
   */
  enforceSorted?: boolean;
}

/**
 * Checks `options` against a (steps, batch) input as PyTorch's pack_padded_sequence does (and
 * refuses lengths past the input, which PyTorch reads out of bounds); returns the (steps, batch, 1)
 * int32 mask, 1 at each element's real steps.
 */
export function realSteps(mode: string, options: SequenceLengths, batched: boolean, steps: number, batch: number): Tensor {
  const { lengths, enforceSorted = true } = readOptions(mode, options, ["lengths", "enforceSorted"]);
  if (lengths === null || typeof lengths !== "object" || typeof lengths.length !== "number") {
    throw new TypeError(`${mode}: lengths must be an array of sequence lengths, got ${describeValue(lengths)}`);
  }
  checkBoolean(mode, "enforceSorted", enforceSorted);
  if (!batched) throw new Error(`${mode}: lengths need a batched (3-D) input, got a 2-D (unbatched) input`);
  if (lengths.length !== batch) {
    throw new Error(`${mode}: Expected lengths.length to be equal to the batch size, but got ${lengths.length} (batch size ${batch})`);
  }
  for (let b = 0; b < batch; b++) {
    const length = lengths[b];
    checkInteger(mode, `lengths[${b}]`, length);
    if (length <= 0) {
      throw new RangeError(`${mode}: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0 (lengths[${b}] = ${length})`);
    }
    if (length > steps) throw new RangeError(`${mode}: lengths[${b}] is ${length}, longer than the input's ${steps} time steps`);
    if (enforceSorted && b > 0 && length > lengths[b - 1]) {
      throw new Error(
        `${mode}: lengths must be sorted in decreasing order when enforceSorted is true, got [${Array.from(lengths).join(", ")}]. ` +
          "Pass enforceSorted: false for batches in any order.",
      );
    }
  }
  const mask = new Int32Array(steps * batch);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) mask[t * batch + b] = t < lengths[b] ? 1 : 0;
  }
  return tensor(mask, { shape: [steps, batch, 1], dtype: "int32" });
}

/** Options of `padSequence`, as `torch.nn.utils.rnn.pad_sequence` takes them. */
export interface PadSequenceOptions {
  /** (batch, longest, *) instead of (longest, batch, *). */
  batchFirst?: boolean;
  /** What fills the steps past each sequence's end; 0 by default. */
  paddingValue?: number;
}

/**
 * `torch.nn.utils.rnn.pad_sequence`: sequences (L_i, *) of one dtype and the same trailing
 * shape, padded to the longest and stacked into (longest, batch, *), or (batch, longest, *) with
 * `batchFirst`. Differentiable in the sequences. Their lengths are the `lengths` the recurrent
 * modules take: `sequences.map((s) => s.shape[0])`.
 */
export function padSequence(sequences: readonly Tensor[], options?: PadSequenceOptions): Tensor {
  const { batchFirst = false, paddingValue = 0 } = readOptions("padSequence", options, ["batchFirst", "paddingValue"]);
  checkBoolean("padSequence", "batchFirst", batchFirst);
  if (typeof paddingValue !== "number") throw new TypeError(`padSequence: paddingValue must be a number, got ${describeValue(paddingValue)}`);
  if (!Array.isArray(sequences as unknown)) throw new TypeError(`padSequence: sequences must be an array of Tensors, got ${describeValue(sequences)}`);
  if (sequences.length === 0) throw new Error("padSequence: received an empty list of sequences");
  sequences.forEach((sequence, i) => checkTensor("padSequence", `sequences[${i}]`, sequence));
  const [first] = sequences;
  if (first.ndim === 0) throw new Error("padSequence: sequences[0] is 0-D; each sequence needs a time dim first");
  const trailing = first.shape.slice(1);
  sequences.forEach((sequence, i) => {
    if (sequence.ndim !== first.ndim || sequence.shape.some((size, d) => d > 0 && size !== first.shape[d])) {
      throw new Error(`padSequence: sequences[${i}] has shape ${formatShape(sequence.shape)}, expected [*${trailing.map((size) => `, ${size}`).join("")}] as sequences[0]`);
    }
    if (sequence.dtype !== first.dtype) throw new TypeError(`padSequence: sequences[${i}] is ${sequence.dtype} but sequences[0] is ${first.dtype}`);
  });
  const longest = Math.max(...sequences.map((sequence) => sequence.shape[0]));
  const padded = sequences.map((sequence) => {
    const missing = longest - sequence.shape[0];
    return missing === 0 ? sequence : concat([sequence, full([missing, ...trailing], paddingValue, { dtype: sequence.dtype })], 0);
  });
  return stack(padded, batchFirst ? 0 : 1);
}
