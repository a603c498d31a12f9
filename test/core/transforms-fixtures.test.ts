/**
 * PyTorch parity for the function transforms (test/fixtures/transforms.json, written by
 * make_transforms.py): torch.autograd.functional's jacobian, hessian, vjp, jvp and hvp of random
 * functions built from the op set, in float64, against func.jacrev, jacfwd, jacobian, hessian,
 * vjp, jvp and hvp, nested as PyTorch nests them.
 */
import { describe, it } from "vitest";
import { func, type Tensor } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";
import { FLOAT64, type FixtureTensor, fromFixture, loadFixture } from "../helpers/fixtures";
import { buildFunction, scalarOf, type Step } from "./transforms-cases";

interface TransformCase {
  id: string;
  inputs: FixtureTensor[];
  steps: Step[];
  outputs: number[];
  values: FixtureTensor[];
  jacobian: FixtureTensor[][];
  hessian: FixtureTensor[][];
  cotangents: FixtureTensor[];
  vjp: FixtureTensor[];
  tangents: FixtureTensor[];
  jvp: FixtureTensor[];
  scalar: FixtureTensor;
  hvp: FixtureTensor[];
}

const cases = loadFixture<TransformCase>("transforms.json");
const tensors = (list: FixtureTensor[]): Tensor[] => list.map((t) => fromFixture(t, "float64"));

function expectBlocks(actual: Tensor[][], expected: FixtureTensor[][], label: string): void {
  expected.forEach((row, k) => row.forEach((block, j) => assertClose(actual[k][j], block, { ...FLOAT64, label: `${label}[${k}][${j}]` })));
}

function expectEach(actual: Tensor[], expected: FixtureTensor[], label: string): void {
  expected.forEach((t, i) => assertClose(actual[i], t, { ...FLOAT64, label: `${label}[${i}]` }));
}

describe("function transforms against torch.autograd.functional (float64)", () => {
  for (const c of cases) {
    const fn = buildFunction(c.steps, c.outputs);
    const scalar = scalarOf(fn);
    const argnums = c.inputs.map((_, i) => i);

    it(`${c.id}: jacrev, jacfwd and jacobian`, () => {
      const inputs = tensors(c.inputs);
      expectBlocks(func.jacrev(fn, { argnums })(...inputs) as Tensor[][], c.jacobian, "jacrev");
      expectBlocks(func.jacfwd(fn, { argnums })(...inputs) as Tensor[][], c.jacobian, "jacfwd");
      expectBlocks(func.jacobian(fn, { argnums })(...inputs) as Tensor[][], c.jacobian, "jacobian");
    });

    it(`${c.id}: hessian`, () => {
      expectBlocks(func.hessian(scalar, { argnums })(...tensors(c.inputs)) as Tensor[][], c.hessian, "hessian");
    });

    it(`${c.id}: vjp, jvp and hvp`, () => {
      const inputs = tensors(c.inputs);
      const { outputs, pullback } = func.vjp(fn, ...inputs);
      expectEach(outputs as Tensor[], c.values, "vjp outputs");
      expectEach(pullback(tensors(c.cotangents)), c.vjp, "vjp");
      const pushed = func.jvp(fn, inputs, tensors(c.tangents));
      expectEach(pushed.outputs as Tensor[], c.values, "jvp outputs");
      expectEach(pushed.tangents as Tensor[], c.jvp, "jvp");
      // linearize: the same J·t from a linearization built once, and linear in the tangent
      const linear = func.linearize(fn, ...inputs);
      expectEach(linear.outputs as Tensor[], c.values, "linearize outputs");
      expectEach(linear.jvp(...tensors(c.tangents)) as Tensor[], c.jvp, "linearize jvp");
      const doubled = linear.jvp(...tensors(c.tangents).map((t) => t.mul(2))) as Tensor[];
      expectEach(doubled.map((t) => t.div(2)), c.jvp, "linearize jvp of doubled tangents, halved");
      const { output, hvp } = func.hvp(scalar, inputs, tensors(c.tangents));
      assertClose(output, c.scalar, { ...FLOAT64, label: "hvp output" });
      expectEach(hvp, c.hvp, "hvp");
    });
  }
});
