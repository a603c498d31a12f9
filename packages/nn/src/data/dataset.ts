import { Tensor, evaluate, formatShape, sameShape, tensor } from "@gradgraph/core";
import { checkTensor } from "../validation";

/** One sample: a tensor, or a tuple of tensors (input and target...). */
export type Sample = Tensor | readonly Tensor[];

/**
 * What a DataLoader reads (PyTorch's map-style Dataset): a length and the sample at each index.
 * A plain array of samples is one.
 */
export interface Dataset<S extends Sample> {
  readonly length: number;
  /** The sample at `index` (0 to length - 1). */
  at(index: number): S | undefined;
  /**
   * The collated batch of the samples at `indices`, when the dataset can build it faster than
   * one sample at a time (PyTorch's `__getitems__`); the loader uses it when it is there.
   */
  batch?(indices: readonly number[]): S;
}

/** torch.utils.data.TensorDataset: sample i is `[t[i] for t in tensors]`; every tensor has the same first dim. */
export class TensorDataset<T extends Tensor[]> implements Dataset<T> {
  readonly tensors: T;

  constructor(...tensors: T) {
    if (tensors.length === 0) throw new Error("TensorDataset: needs at least one tensor");
    tensors.forEach((t, i) => {
      checkTensor("TensorDataset", `tensors[${i}]`, t);
      if (t.ndim === 0) throw new Error(`TensorDataset: tensors[${i}] is 0-D; samples are taken along the first dim`);
      if (t.shape[0] !== tensors[0].shape[0]) {
        throw new Error(`TensorDataset: Size mismatch between tensors: tensors[0] has ${tensors[0].shape[0]} samples, tensors[${i}] has ${t.shape[0]}`);
      }
    });
    this.tensors = tensors;
  }

  /** The number of samples: the first dim of the tensors. */
  get length(): number {
    return this.tensors[0].shape[0];
  }

  at(index: number): T {
    return this.tensors.map((t) => t.select(0, index)) as T;
  }

  /** The rows at `indices` of each tensor, copied straight from its values into a new leaf: no graph is built. */
  batch(indices: readonly number[]): T {
    return this.tensors.map((t) => {
      const rows = t.unsafeData();
      const rowSize = t.size / t.shape[0];
      const values = new arrays[t.dtype](indices.length * rowSize);
      indices.forEach((index, k) => values.set(rows.subarray(index * rowSize, (index + 1) * rowSize), k * rowSize));
      return tensor(values, { shape: [indices.length, ...t.shape.slice(1)], dtype: t.dtype });
    }) as T;
  }
}

/** PyTorch's default_collate for tensors and tuples of them: each field stacked along a new first dim. */
export function collate<S extends Sample>(owner: string, samples: readonly S[], indices: readonly number[]): S {
  const first = samples[0];
  if (first instanceof Tensor) {
    return stackValues(
      owner,
      samples.map((sample, i) => {
        if (!(sample instanceof Tensor)) throw new TypeError(`${owner}: sample ${indices[i]} is not a Tensor like sample ${indices[0]}`);
        return sample;
      }),
      indices,
      "",
    ) as S;
  }
  if (!Array.isArray(first)) throw new TypeError(`${owner}: sample ${indices[0]} must be a Tensor or an array of Tensors`);
  const fields = first.length;
  samples.forEach((sample, i) => {
    if (!Array.isArray(sample) || sample.length !== fields) {
      throw new TypeError(`${owner}: sample ${indices[i]} must be an array of ${fields} Tensors like sample ${indices[0]}`);
    }
  });
  return Array.from({ length: fields }, (_, field) =>
    stackValues(
      owner,
      samples.map((sample) => (sample as readonly Tensor[])[field]),
      indices,
      `[${field}]`,
    ),
  ) as unknown as S;
}

const arrays = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } as const;

/**
 * The samples' values stacked into a new leaf (B, ...shape): data, not part of any graph, so a
 * training step's graph has the same signature from batch to batch (one compiled program).
 */
function stackValues(owner: string, tensors: readonly Tensor[], indices: readonly number[], field: string): Tensor {
  const [first] = tensors;
  tensors.forEach((t, i) => {
    checkTensor(owner, `sample ${indices[i]}${field}`, t);
    if (t.dtype !== first.dtype || !sameShape(t.shape, first.shape)) {
      throw new Error(
        `${owner}: stack expects each tensor to be equal size and dtype, but got ${first.dtype} ${formatShape(first.shape)} ` +
          `at sample ${indices[0]}${field} and ${t.dtype} ${formatShape(t.shape)} at sample ${indices[i]}${field}`,
      );
    }
  });
  const values = new arrays[first.dtype](tensors.length * first.size);
  evaluate(tensors).forEach((data, i) => values.set(data, i * first.size));
  return tensor(values, { shape: [tensors.length, ...first.shape], dtype: first.dtype });
}
