/**
 * The layout composites beyond the PyTorch fixtures: einsum against a brute-force sum over every
 * assignment of its subscripts, split/chunk/unbind pieces against PyTorch's size rules, and the
 * errors gradgraph words itself (where it takes more than PyTorch 1.13 or PyTorch has no words).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as F from "@gradgraph/core";
import {
  apply,
  builtinOps,
  chunk,
  concat,
  einsum,
  linspace,
  meshgrid,
  narrow,
  OpError,
  oneHot,
  pad,
  randint,
  repeatInterleave,
  split,
  stack,
  type Tensor,
  tensor,
  unbind,
  unfold,
} from "@gradgraph/core";
import { assertClose, checkGrad, tensorArb } from "@gradgraph/core/testing";

const sizeOf = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** The value of an einsum by its definition: for each output position, the sum over every assignment of the other subscripts. */
function bruteForceEinsum(terms: readonly string[], output: string, operands: readonly { shape: number[]; data: number[] }[]): number[] {
  const size = new Map<string, number>();
  terms.forEach((term, k) => [...term].forEach((letter, d) => size.set(letter, Math.max(size.get(letter) ?? 1, operands[k].shape[d]))));
  const summed = [...size.keys()].filter((l) => !output.includes(l));
  const read = (k: number, at: Map<string, number>) => {
    const { shape, data } = operands[k];
    // A size-1 dim broadcasts: it is read at 0.
    return data[[...terms[k]].reduce((offset, letter, d) => offset * shape[d] + (shape[d] === 1 ? 0 : at.get(letter)!), 0)];
  };
  const assignments = (letters: readonly string[]): Map<string, number>[] =>
    letters.reduce<Map<string, number>[]>((all, l) => all.flatMap((m) => Array.from({ length: size.get(l)! }, (_, i) => new Map([...m, [l, i]]))), [new Map()]);
  return assignments([...output]).map((out) => assignments(summed).reduce((total, rest) => total + terms.reduce((p, _, k) => p * read(k, new Map([...out, ...rest])), 1), 0));
}

/** Up to three operands over the letters a-d, sizes 1-3 per letter, some repeated within an operand, some broadcast from 1. */
const einsumArb = fc
  .record({
    sizes: fc.record({ a: fc.integer({ min: 1, max: 3 }), b: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 3 }) }),
    terms: fc.array(fc.array(fc.constantFrom("a", "b", "c", "d"), { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
    outputMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    reversed: fc.boolean(),
    broadcast: fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
  })
  .chain(({ sizes, terms, outputMask, reversed, broadcast }) => {
    const used = [...new Set(terms.flat())].sort();
    const picked = used.filter((l) => outputMask["abcd".indexOf(l)]);
    const output = (reversed ? picked.reverse() : picked).join("");
    // A repeated letter needs the same size at both places, so only its first place may broadcast.
    const shapes = terms.map((term, k) => term.map((l, d) => (broadcast[3 * k + d] && term.indexOf(l) === d && term.lastIndexOf(l) === d ? 1 : sizes[l as keyof typeof sizes])));
    return fc.tuple(...shapes.map((shape) => tensorArb(shape, { dtype: "float64", min: -2, max: 2 }))).map((operands) => ({ terms: terms.map((t) => t.join("")), output, operands }));
  });

describe("einsum", () => {
  it("is the sum over every assignment of the summed subscripts", () => {
    fc.assert(
      fc.property(einsumArb, ({ terms, output, operands }) => {
        const result = einsum(`${terms.join(",")}->${output}`, ...operands);
        const expected = bruteForceEinsum(terms, output, operands.map((t) => ({ shape: [...t.shape], data: Array.from(t.data()) })));
        const sizes = new Map(terms.flatMap((term, k) => [...term].map((l, d) => [l, operands[k].shape[d]] as const)).filter(([, n]) => n !== 1));
        assertClose({ shape: result.shape, data: result.data() }, { shape: [...output].map((l) => sizes.get(l) ?? 1), data: expected }, { atol: 1e-12, rtol: 1e-12 });
      }),
      { numRuns: 150 },
    );
  });

  it("has the gradient of its sum", () => {
    fc.assert(
      fc.property(einsumArb, ({ terms, output, operands }) => {
        checkGrad((...xs: Tensor[]) => einsum(`${terms.join(",")}->${output}`, ...xs), operands);
      }),
      { numRuns: 30 },
    );
  });

  it("puts the ellipsis dims first in the implicit output, then the letters that appear once, sorted", () => {
    const x = tensor(Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4], dtype: "float64" });
    expect(einsum("...ba", x).toArray()).toEqual(einsum("...ba->...ab", x).toArray());
    expect(einsum("ba...", x).shape).toEqual([4, 3, 2]);
    expect(einsum("Bb,bA", tensor([[1, 2]]), tensor([[3], [4]])).toArray()).toEqual([[11]]);
  });
});

describe("split, chunk and unbind", () => {
  const layout = fc
    .array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 })
    .chain((shape) => fc.record({ shape: fc.constant(shape), dim: fc.integer({ min: 0, max: shape.length - 1 }), n: fc.integer({ min: 1, max: 5 }) }));

  it("give pieces that concatenate back to the tensor, sized as PyTorch sizes them", () => {
    fc.assert(
      fc.property(layout, ({ shape, dim, n }) => {
        const x = tensor(Array.from({ length: sizeOf(shape) }, (_, i) => i), { shape, dtype: "float64" });
        const length = shape[dim];
        const bySize = split(x, n, dim);
        expect(bySize.map((t) => t.shape[dim])).toEqual(length === 0 ? [0] : Array.from({ length: Math.ceil(length / n) }, (_, i) => Math.min(n, length - i * n)));
        const chunks = chunk(x, n, dim);
        const each = Math.ceil(length / n);
        expect(chunks.map((t) => t.shape[dim])).toEqual(length === 0 ? new Array(n).fill(0) : Array.from({ length: Math.ceil(length / each) }, (_, i) => Math.min(each, length - i * each)));
        for (const pieces of [bySize, chunks]) expect(concat(pieces, dim).toArray()).toEqual(x.toArray());
        const slices = unbind(x, dim);
        expect(slices).toHaveLength(length);
        if (length > 0) expect(stack(slices, dim).toArray()).toEqual(x.toArray());
      }),
    );
  });
});

it("the Tensor methods are the functional forms", () => {
  const x = tensor(Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] });
  const same = (a: Tensor | Tensor[], b: Tensor | Tensor[]) => expect([a].flat().map((t) => t.toArray())).toEqual([b].flat().map((t) => t.toArray()));
  same(x.flatten(1), F.flatten(x, 1));
  same(x.unflatten(2, [2, 2]), F.unflatten(x, 2, [2, 2]));
  same(x.movedim(0, -1), F.movedim(x, 0, -1));
  same(x.narrow(1, 1, 2), narrow(x, 1, 1, 2));
  same(x.repeat(2, 1, 1, 2), F.repeat(x, [2, 1, 1, 2]));
  same(x.tile(2), F.tile(x, [2]));
  same(x.repeatInterleave(2, 1), repeatInterleave(x, 2, 1));
  same(x.select(0, 0).diag(1), F.diag(x.select(0, 0), 1));
  same(x.diagonal(0, 1, 2), F.diagonal(x, 0, 1, 2));
  same(x.split([1, 3], 2), split(x, [1, 3], 2));
  same(x.chunk(2, 1), chunk(x, 2, 1));
  same(x.unbind(1), unbind(x, 1));
  same(x.flip(0, 2), F.flip(x, [0, 2]));
  same(x.roll(1), F.roll(x, 1));
  same(x.tril(1), F.tril(x, 1));
  same(x.triu(), F.triu(x));
  same(x.unfold(2, 2, 2), unfold(x, 2, 2, 2));
});

describe("arange's options", () => {
  it("follow any number of the numbers, as PyTorch's keyword arguments do", () => {
    const int32 = { dtype: "int32" } as const;
    expect([F.arange(4, int32), F.arange(1, 4, int32), F.arange(1, 7, 2, int32)].map((t) => [t.dtype, ...t.data()])).toEqual([
      ["int32", 0, 1, 2, 3],
      ["int32", 1, 2, 3],
      ["int32", 1, 3, 5],
    ]);
    expect(Array.from(F.arange(3).data())).toEqual([0, 1, 2]);
  });
});

describe("what gradgraph takes beyond PyTorch 1.13", () => {
  it("pads reflect, replicate and circular over any trailing dims of any tensor", () => {
    expect(pad(tensor([1, 2, 3]), [2, 1], "reflect").toArray()).toEqual([3, 2, 1, 2, 3, 2]);
    expect(pad(tensor([[1, 2], [3, 4]]), [1, 0, 0, 1], "replicate").toArray()).toEqual([[1, 1, 2], [3, 3, 4], [3, 3, 4]]);
    expect(pad(tensor([1, 2, 3]), [1, 2], "circular").toArray()).toEqual([3, 1, 2, 3, 1, 2]);
  });

  it("unfolds a 0-d tensor as PyTorch does, as a dim of size 1", () => {
    expect(unfold(tensor(5), 0, 1, 1).toArray()).toEqual([5]);
  });

  it("repeats each element by the counts of a list as of an int32 tensor", () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(repeatInterleave(x, [2, 0], 0).toArray()).toEqual(repeatInterleave(x, tensor([2, 0], { dtype: "int32" }), 0).toArray());
  });
});

describe("errors", () => {
  const x = tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
  const x3 = tensor(Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] });
  const { flip, roll, tril, unfold: unfoldOp, diagonalBackward, unfoldBackward, padBackward, pad: padOp } = builtinOps;
  it.each([
    ["flip: a repeated dim through apply", () => apply(flip, [x], { dims: [1, -1] }), /flip: dim 1 appears multiple times in the list of dims/],
    ["roll: shifts and dims of different lengths through apply", () => apply(roll, [x], { shifts: [1], dims: [0, 1] }), /roll: shifts and dimensions must align. shifts: 1, dims:2/],
    ["tril of a vector", () => apply(tril, [tensor([1, 2])], { diagonal: 0 }), /tril: input tensor must have at least 2 dimensions, got 1/],
    ["unfold: a negative size", () => apply(unfoldOp, [x], { dim: 1, size: -1, step: 1 }), /unfold: size is -1 but must be >= 0/],
    ["unfold: the op on a 0-d tensor", () => apply(unfoldOp, [tensor(1)], { dim: 0, size: 1, step: 1 }), /unfold: expected a tensor with at least one dimension, got a 0-d tensor/],
    ["unfoldBackward: a gradient of the wrong shape", () => apply(unfoldBackward, [x], { dim: 0, size: 4, step: 1, length: 4 }), /unfoldBackward: gradient \[3, 4\] is not that of windows of 4 in steps of 1 along dim 0 of length 4/],
    ["diagonalBackward: a diagonal of the wrong length", () => apply(diagonalBackward, [tensor([1, 2])], { offset: 0, dim1: 0, dim2: 1, size1: 3, size2: 3 }), /diagonalBackward: a diagonal of 2 elements does not fit offset 0 of a 3 x 3 plane/],
    ["pad: cropping more than a dim holds", () => pad(x, [-5, 1]), /pad: negative padding -5 and 1 crops more than the size 4 of dimension 1/],
    ["pad: reflect leaving nothing", () => pad(x3, [-2, -2], "reflect"), /pad: input \(size 4 at dimension 2\) is too small. Calculated output size: 0/],
    ["pad: replicate of an empty dim", () => pad(tensor([], { shape: [2, 0] }), [1, 1], "replicate"), /pad: dimension 1 of input \[2, 0\] is empty: there is nothing to replicate/],
    ["pad: circular wrapping what a crop left more than once", () => pad(x3, [-2, 3], "circular"), /pad: Padding value causes wrapping around more than once: padding \(-2, 3\) at dimension 2 of input \[2, 3, 4\]/],
    ["pad: circular cropping more than a dim holds", () => apply(padOp, [x], { pads: [-3, -2], mode: "circular" }), /pad: negative padding -3 and -2 crops more than the size 4 of dimension 1/],
    ["padBackward: constant mode", () => apply(padBackward, [x], { pads: [1, 1], mode: "constant" }), /padBackward: Unrecognised padding mode constant/],
    ["padBackward: a gradient smaller than the padding", () => apply(padBackward, [x], { pads: [3, 2], mode: "reflect" }), /padBackward: gradient \[3, 4\] is smaller than the padding \[3, 2\]/],
    ["narrow: a start past the end", () => narrow(x, 1, 5, 0), /narrow: start out of range \(expected to be in range of \[-4, 4\], but got 5\)/],
    ["einsum: more operands than terms", () => einsum("ij", x, x), /einsum: more operands were provided than specified in the equation/],
    ["einsum: a lone dot", () => einsum("i.j", x), /einsum: found '.' for operand 0 that is not part of any ellipsis/],
    ["einsum: int32 operands", () => einsum("i", tensor([1], { dtype: "int32" })), /einsum: expected float tensors, got int32/],
    ["einsum: ellipses that do not broadcast", () => einsum("...i,...i", x3, tensor([[1, 2, 3, 4], [5, 6, 7, 8]])), /einsum: operand 1 does not broadcast with the others along its ellipsis dims \(sizes 3 and 2\)/],
    ["meshgrid: a matrix", () => meshgrid([x]), /meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of shape \[3, 4\]/],
    ["meshgrid: dtypes that differ", () => meshgrid([tensor([1]), tensor([1], { dtype: "float64" })]), /meshgrid: expects all tensors to have the same dtype, got float32 and float64/],
    ["oneHot: float indices", () => oneHot(tensor([1])), /oneHot: one_hot is only applicable to index tensor \(int32\), got float32/],
    ["oneHot: a class count below -1", () => oneHot(tensor([1], { dtype: "int32" }), -2), /oneHot: numClasses must be non-negative \(or -1 to infer it\), got -2/],
    ["repeatInterleave: float counts", () => repeatInterleave(x, tensor([1, 2, 3])), /repeatInterleave: repeats must be an int32 tensor, got float32/],
    ["randint: an int32 range int32 cannot hold", () => randint(0, 2 ** 32, [2]), /randint: \[0, 4294967296\) does not fit int32; give a float dtype for a larger range/],
    ["linspace: a fractional number of steps", () => linspace(0, 1, 2.5), /linspace: steps must be an integer, got number 2.5/],
  ])("%s", (_what, build, message) => {
    expect(build).toThrow(OpError);
    expect(build).toThrow(message);
  });
});
