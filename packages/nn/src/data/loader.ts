import { Generator, defaultGenerator, randperm } from "@gradgraph/core";
import { checkBoolean, checkGenerator, checkPositiveInteger, describeValue, readOptions } from "../validation";
import { type Dataset, type Sample, collate } from "./dataset";

/** Options of `DataLoader`, as `torch.utils.data.DataLoader` takes them (without workers). */
export interface DataLoaderOptions {
  /** Samples per batch; 1 by default. */
  batchSize?: number;
  /** A fresh random order every epoch (PyTorch's RandomSampler); false by default. */
  shuffle?: boolean;
  /** Leave out the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** PyTorch's `generator=`: what each epoch draws from; the default generator (through a fresh sampler seed) unless given. */
  generator?: Generator;
}

/**
 * torch.utils.data.DataLoader for map-style datasets (`num_workers=0`, default collate): every
 * `for (const batch of loader)` is one epoch of batches, each sample's fields (a tensor or a tuple
 * of tensors) stacked along a new first dim into new leaves.
 *
 * Shuffled epochs are PyTorch's after the same seed: each epoch draws what PyTorch 1.13 draws,
 * when it draws it, so the order and the generators' states match between and after batches.
 * Creating the epoch's iterator takes one 64-bit draw (the workers' base seed, taken even without
 * workers and without shuffling); the first batch then takes the permutation, `randperm(n)` from
 * `generator`, or without one from a new generator seeded by another 64-bit draw of the default
 * generator; running out of indices takes a second, unused permutation from the same generator
 * (a quirk of RandomSampler, which shows only when the loader has its own generator).
 */
export class DataLoader<S extends Sample> implements Iterable<S> {
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether every epoch draws a new order. */
  readonly shuffle: boolean;
  /** Whether an epoch leaves out a last batch smaller than `batchSize`. */
  readonly dropLast: boolean;
  private readonly dataset: Dataset<S>;
  private readonly generator: Generator | undefined;

  constructor(dataset: Dataset<S>, options?: DataLoaderOptions) {
    const { batchSize = 1, shuffle = false, dropLast = false, generator } = readOptions("DataLoader", options, ["batchSize", "shuffle", "dropLast", "generator"]);
    if (dataset === null || typeof dataset !== "object" || !Number.isInteger(dataset.length) || typeof dataset.at !== "function") {
      throw new TypeError(`DataLoader: dataset must be an array of samples or have a length and at(index), got ${describeValue(dataset)}`);
    }
    checkPositiveInteger("DataLoader", "batchSize", batchSize);
    checkBoolean("DataLoader", "shuffle", shuffle);
    checkBoolean("DataLoader", "dropLast", dropLast);
    checkGenerator("DataLoader", generator);
    if (shuffle && dataset.length === 0) throw new RangeError("DataLoader: num_samples should be a positive integer value, but got num_samples=0");
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = generator;
  }

  /** The number of batches in an epoch, PyTorch's `len(loader)`. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** One epoch: the batches in order (or shuffled), each a new sample of stacked leaves. */
  [Symbol.iterator](): Iterator<S> {
    (this.generator ?? defaultGenerator).nextUint64();
    return this.batches();
  }

  /** PyTorch's BatchSampler: the sampler is pulled one index at a time, so its draws happen when PyTorch's do. */
  private *batches(): IterableIterator<S> {
    let indices: number[] = [];
    for (const index of this.sampler()) {
      indices.push(index);
      if (indices.length === this.batchSize) {
        yield this.batch(indices);
        indices = [];
      }
    }
    if (indices.length > 0 && !this.dropLast) yield this.batch(indices);
  }

  /**
   * PyTorch's SequentialSampler or RandomSampler. A generator function: nothing in it runs before
   * the first batch is asked for, as in PyTorch. After the permutation, RandomSampler yields
   * `randperm(n)[:num_samples % n]`, nothing here, but its draws are taken when the epoch ends.
   */
  private *sampler(): IterableIterator<number> {
    const n = this.dataset.length;
    if (!this.shuffle) {
      for (let i = 0; i < n; i++) yield i;
      return;
    }
    const generator = this.samplerGenerator();
    yield* randperm(n, { generator }).unsafeData();
    randperm(n, { generator });
  }

  private batch(indices: readonly number[]): S {
    if (this.dataset.batch !== undefined) return this.dataset.batch(indices);
    return collate("DataLoader", indices.map((i) => this.dataset.at(i) as S), indices);
  }

  /** RandomSampler's generator: the loader's, or a new one seeded from the default generator (mt19937 reads the seed's low 32 bits). */
  private samplerGenerator(): Generator {
    if (this.generator !== undefined) return this.generator;
    return new Generator(Number(defaultGenerator.nextUint64() & 0xffffffffn));
  }
}
