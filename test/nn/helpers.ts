/** Shared by the nn tests: reading the PyTorch fixtures and comparing with a tolerance. */
import { readFileSync } from "node:fs";
import { type DType, type FloatDType, type Generator, type Tensor, tensor } from "@gradgraph/core";
import { expect } from "vitest";
import { Linear, Module, RNN } from "../../packages/nn/src";

export type FixtureTensor = { shape: number[]; data: number[]; dtype?: string };

export function loadFixture<T>(file: string): T[] {
  return JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), "utf8")).cases;
}

/** A fixture tensor as a gradgraph leaf: int64 class indices become int32, floats take `dtype`. */
export function fromFixture(t: FixtureTensor, dtype: DType, options: { requiresGrad?: boolean; name?: string } = {}): Tensor {
  return tensor(t.data, { shape: t.shape, dtype: t.dtype === "int64" ? "int32" : dtype, ...options });
}

export type Tolerance = { atol: number; rtol: number };
export const FLOAT64: Tolerance = { atol: 1e-10, rtol: 1e-9 };

/** `|actual - expected| <= atol + rtol*|expected|` everywhere (NaN matches NaN), with the first offender named. */
export function expectClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, tol: Tolerance, label = ""): void {
  const a = typeof actual === "number" ? [actual] : Array.from(actual);
  const e = typeof expected === "number" ? [expected] : Array.from(expected);
  expect(a.length, `${label}: length`).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const bothNaN = Number.isNaN(a[i]) && Number.isNaN(e[i]);
    const ok = bothNaN || a[i] === e[i] || Math.abs(a[i] - e[i]) <= tol.atol + tol.rtol * Math.abs(e[i]);
    if (!ok) expect.fail(`${label}[${i}]: got ${a[i]}, expected ${e[i]} (atol ${tol.atol}, rtol ${tol.rtol})`);
  }
}

/** The model of train.json: `out, _ = rnn(x); pred = head(out[-1])`, with PyTorch's state-dict keys. */
export class RnnRegressor extends Module {
  readonly rnn: RNN;
  readonly head: Linear;

  constructor(inputSize: number, hiddenSize: number, outputs: number, dtype: FloatDType, generator?: Generator) {
    super({ name: "" });
    this.rnn = this.registerModule("rnn", new RNN({ inputSize, hiddenSize, dtype, generator }));
    this.head = this.registerModule("head", new Linear(hiddenSize, outputs, { dtype, generator }));
  }

  forward(x: Tensor): Tensor {
    const [out] = this.rnn.forward(x);
    return this.head.forward(out.select(0, -1));
  }
}
