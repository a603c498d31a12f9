/**
 * The function transforms against laws and independent arithmetic, on the random functions of
 * test/fixtures/transforms.json at random inputs: jacrev equals jacfwd and central finite
 * differences, J·t and Jᵀ·u are the plain-loop products of the Jacobian with the vectors, the
 * pullback is linear in its cotangent, the Hessian is symmetric and H·v is its product with v.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluate, func, type Tensor, tensor } from "@gradgraph/core";
import { type FixtureTensor, loadFixture } from "../helpers/fixtures";
import { buildFunction, scalarOf, type Step } from "./transforms-cases";

interface FunctionCase {
  id: string;
  inputs: FixtureTensor[];
  steps: Step[];
  outputs: number[];
}

const cases = loadFixture<FunctionCase>("transforms.json");
const values = (t: Tensor): number[] => Array.from(evaluate([t])[0]);
const sizeOf = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** A case and inputs of its shapes, drawn in [-1, 1]. */
const caseWithInputs = fc.constantFrom(...cases).chain((c) =>
  fc
    .tuple(...c.inputs.map((x) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: sizeOf(x.shape), maxLength: sizeOf(x.shape) })))
    .map((data) => ({ c, data, shapes: c.inputs.map((x) => x.shape) })),
);

const leaves = (data: number[][], shapes: number[][]): Tensor[] => data.map((d, i) => tensor(d, { shape: shapes[i], dtype: "float64" }));
const argnumsOf = (shapes: unknown[]) => shapes.map((_, i) => i);

function expectNear(actual: readonly number[], expected: readonly number[], tolerance: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  actual.forEach((a, i) => {
    if (Math.abs(a - expected[i]) > tolerance * (1 + Math.abs(expected[i]))) {
      throw new Error(`${label}: element ${i} is ${a}, expected ${expected[i]}`);
    }
  });
}

/** Σⱼ M[k][j]·vⱼ with each block read as a (rows × size of vⱼ) matrix: a plain loop. */
function blockProduct(blocks: number[][], vectors: number[][], rows: number): number[] {
  const out = new Array<number>(rows).fill(0);
  blocks.forEach((block, j) => {
    const n = vectors[j].length;
    for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) out[r] += block[r * n + c] * vectors[j][c];
  });
  return out;
}

const runs = { numRuns: 25 };

describe("function transform laws", () => {
  it("jacrev equals jacfwd, and both equal central finite differences", () => {
    fc.assert(
      fc.property(caseWithInputs, ({ c, data, shapes }) => {
        const fn = buildFunction(c.steps, c.outputs);
        const argnums = argnumsOf(shapes);
        const reverse = func.jacrev(fn, { argnums })(...leaves(data, shapes)) as Tensor[][];
        const forward = func.jacfwd(fn, { argnums })(...leaves(data, shapes)) as Tensor[][];
        const h = 1e-6;
        reverse.forEach((row, k) =>
          row.forEach((block, j) => {
            const label = `${c.id} J[${k}][${j}]`;
            expectNear(values(forward[k][j]), values(block), 1e-12, `${label} jacfwd`);
            // Column c of the block: (fn(x + h·e_c) - fn(x - h·e_c)) / 2h, evaluated point by point.
            const m = sizeOf(fn(...leaves(data, shapes))[k].shape);
            const n = data[j].length;
            const differences = new Array<number>(m * n);
            for (let col = 0; col < n; col++) {
              const at = (step: number) => {
                const moved = data.map((d) => [...d]);
                moved[j][col] += step;
                return values(fn(...leaves(moved, shapes))[k]);
              };
              const [plus, minus] = [at(h), at(-h)];
              for (let r = 0; r < m; r++) differences[r * n + col] = (plus[r] - minus[r]) / (2 * h);
            }
            expectNear(values(block), differences, 1e-6, `${label} finite differences`);
          }),
        );
      }),
      { numRuns: 10 },
    );
  });

  it("jvp is J·t and the pullback is Jᵀ·u, both linear", () => {
    fc.assert(
      fc.property(caseWithInputs, fc.double({ min: -2, max: 2, noNaN: true }), ({ c, data, shapes }, alpha) => {
        const fn = buildFunction(c.steps, c.outputs);
        const inputs = leaves(data, shapes);
        const jacobian = (func.jacrev(fn, { argnums: argnumsOf(shapes) })(...inputs) as Tensor[][]).map((row) => row.map(values));
        const tangents = data.map((d) => d.map((v, i) => Math.sin(3 * v + i)));
        const { tangents: pushed } = func.jvp(fn, inputs, leaves(tangents, shapes));
        (pushed as Tensor[]).forEach((t, k) => expectNear(values(t), blockProduct(jacobian[k], tangents, t.size), 1e-12, `${c.id} jvp ${k}`));

        const { outputs, pullback } = func.vjp(fn, ...inputs);
        const outs = outputs as Tensor[];
        const u = outs.map((y) => Array.from({ length: y.size }, (_, i) => Math.cos(i + 1)));
        const w = outs.map((y) => Array.from({ length: y.size }, (_, i) => (i % 3) - 1));
        const cotangents = (list: number[][]) => list.map((d, k) => tensor(d, { shape: outs[k].shape, dtype: "float64" }));
        const [pu, pw] = [pullback(cotangents(u)), pullback(cotangents(w))];
        const mixed = pullback(cotangents(u.map((d, k) => d.map((v, i) => alpha * v + w[k][i]))));
        data.forEach((d, j) => {
          // Jᵀ·u by the plain loop over the blocks of input j.
          const transposed = new Array<number>(d.length).fill(0);
          jacobian.forEach((row, k) => {
            for (let r = 0; r < u[k].length; r++) for (let col = 0; col < d.length; col++) transposed[col] += row[j][r * d.length + col] * u[k][r];
          });
          expectNear(values(pu[j]), transposed, 1e-12, `${c.id} vjp ${j}`);
          const combined = values(pu[j]).map((v, i) => alpha * v + values(pw[j])[i]);
          expectNear(values(mixed[j]), combined, 1e-12, `${c.id} vjp linearity ${j}`);
        });
      }),
      runs,
    );
  });

  it("the Hessian is symmetric and hvp is H·v", () => {
    fc.assert(
      fc.property(caseWithInputs, ({ c, data, shapes }) => {
        const scalar = scalarOf(buildFunction(c.steps, c.outputs));
        const inputs = leaves(data, shapes);
        const blocks = (func.hessian(scalar, { argnums: argnumsOf(shapes) })(...inputs) as Tensor[][]).map((row) => row.map(values));
        data.forEach((di, i) =>
          data.forEach((dj, j) => {
            expectNear(blocks[i][j], reorder(blocks[j][i], dj.length, di.length), 1e-12, `${c.id} H[${i}][${j}] = H[${j}][${i}]ᵀ`);
          }),
        );
        const v = data.map((d) => d.map((x, k) => Math.cos(2 * x - k)));
        const { hvp } = func.hvp(scalar, inputs, leaves(v, shapes));
        hvp.forEach((t, i) => expectNear(values(t), blockProduct(blocks[i], v, data[i].length), 1e-12, `${c.id} hvp ${i}`));
      }),
      runs,
    );
  });
});

/** A (rows × cols) matrix, flat, transposed to (cols × rows). */
function reorder(flat: number[], rows: number, cols: number): number[] {
  const out = new Array<number>(flat.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = flat[r * cols + c];
  return out;
}
