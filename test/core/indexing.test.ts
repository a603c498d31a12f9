/**
 * Indexing beyond the PyTorch fixtures: the errors for bad input (named by the function, in
 * PyTorch's words where it has them), what a lazy graph does with data-dependent shapes
 * (maskedSelect and nonzero read their mask when built, and refuse placeholders), and the places
 * where gradgraph answers and PyTorch 1.13 cannot (the gradient of a src larger than index).
 */
import { describe, expect, it } from "vitest";
import {
  compile,
  evaluate,
  grad,
  index,
  indexAdd,
  indexPut,
  maskedFill,
  maskedSelect,
  nonzero,
  OpError,
  placeholder,
  scatter,
  scatterAdd,
  scatterReduce,
  take,
  takeAlongDim,
  type Tensor,
  tensor,
} from "@gradgraph/core";

const ints = (values: number[] | number[][], shape?: number[]) => tensor(values, { dtype: "int32", ...(shape ? { shape } : {}) });
const x23 = tensor([[1, 2, 3], [4, 5, 6]]);

describe("errors name the function, what was expected and what came", () => {
  it.each<[string, () => unknown, RegExp]>([
    ["too many indices", () => x23.index([0, 0, 0]), /^index: too many indices for tensor of dimension 2 \(got 3\)$/],
    ["a number out of range", () => x23.index([null, 3]), /^index: index 3 is out of bounds for dimension 1 with size 3$/],
    ["a negative number out of range", () => x23.index([-3]), /^index: index -3 is out of bounds for dimension 0 with size 2$/],
    ["a fractional number", () => x23.index([0.5]), /^index: index 0.5 is out of bounds for dimension 0 with size 2$/],
    ["a float tensor as indices", () => x23.index([tensor([0, 1])]), /^index: tensors used as indices must be int32, got float32 \(for a mask, index with nonzero/],
    ["a non-positive step", () => x23.index([{ step: -1 }]), /^index: step must be greater than zero, got -1$/],
    ["a misspelled slice part", () => x23.index([{ stop: 1 } as never]), /^index: unknown option 'stop' \(options are start, end, step\)$/],
    ["a fractional slice bound", () => x23.index([{ start: 0.5 }]), /^index: a slice's start must be an integer, got number 0.5$/],
    ["no list", () => x23.index(0 as never), /^index: expected a list with an entry per leading dim/],
    ["an entry of another kind", () => x23.index(["0" as never]), /^index: indices\[0\] must be an int32 tensor, a number, a slice \{ start, end, step \} or null, got the string "0"$/],
    ["index tensors that do not broadcast", () => x23.index([ints([0, 1]), ints([0, 1, 2])]), /^advancedIndex: shape mismatch: indexing tensors could not be broadcast together with shapes \[2\], \[3\]$/],
    ["indexPut with only nulls", () => indexPut(x23, [null], tensor(1)), /^indexPut: expected at least one index tensor, got only nulls$/],
    ["indexPut values of another dtype", () => indexPut(x23, [ints([0])], tensor([1, 2, 3], { dtype: "float64" })), /^indexPut: index put requires the source and destination dtypes match, got float32 for the destination and float64 for the source$/],
    ["indexPut values of another shape", () => indexPut(x23, [ints([0, 1])], tensor([1, 2])), /^indexPut: shape mismatch: value tensor of shape \[2\] cannot be broadcast to indexing result of shape \[2, 3\]$/],
    ["indexPut with too many indices", () => indexPut(x23, [null, null, ints([0])], tensor(1)), /^indexPut: too many indices for tensor of dimension 2 \(got 3\)$/],
    ["scatter with index of another rank", () => scatter(x23, 1, ints([0, 1]), tensor([1, 2])), /^scatter: index tensor must have the same number of dimensions as input/],
    ["scatter with src smaller than index", () => scatter(x23, 1, ints([[0, 1]]), tensor([[1]])), /^scatter: expected index \[1, 2\] to be smaller size than src \[1, 1\]$/],
    ["scatter with src of another dtype", () => scatter(x23, 1, ints([[0]]), tensor([[1]], { dtype: "float64" })), /^scatter: src float64 \[1, 1\] must have index's shape \[1, 1\] and self's dtype float32$/],
    ["scatter with a float index", () => scatter(x23, 0, tensor([[0]]), 1), /^scatter: index must be an int32 tensor, got float32$/],
    ["scatterReduce with an unknown reduction", () => scatterReduce(x23, 1, ints([[0]]), tensor([[1]]), "max" as never), /^scatterReduce: reduce argument must be either sum, prod, mean, amax or amin, got "max"$/],
    ["scatterReduce with includeSelf not a boolean", () => scatterReduce(x23, 1, ints([[0]]), tensor([[1]]), "sum", { includeSelf: 1 as never }), /^scatterReduce: attribute 'includeSelf' must be true or false, got 1$/],
    ["scatterReduce with an unknown option", () => scatterReduce(x23, 1, ints([[0]]), tensor([[1]]), "sum", { include_self: true } as never), /^scatterReduce: unknown option 'include_self'/],
    ["indexAdd with alpha not a number", () => indexAdd(x23, 0, ints([0]), tensor([[1, 2, 3]]), { alpha: "2" as never }), /^indexAdd: alpha must be a number, got the string "2"$/],
    ["take with a float index", () => take(x23, tensor([0])), /^take: index must be an int32 tensor, got float32$/],
    ["takeAlongDim with indices of another rank", () => takeAlongDim(x23, ints([0]), 1), /^takeAlongDim: input and indices should have the same number of dimensions, but got 2 dimensions for input, and 1 dimensions for indices$/],
    ["takeAlongDim with a dim out of range", () => takeAlongDim(x23, ints([[0]]), 2), /^takeAlongDim: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)$/],
    ["maskedFill with a 1-D value", () => maskedFill(x23, tensor([1, 0, 1]), tensor([1, 2])), /^maskedFill: only supports a 0-dimensional value tensor, but got tensor with 1 dimension\(s\)$/],
    ["maskedFill with a mask that does not broadcast", () => maskedFill(x23, tensor([1, 0]), 0), /^maskedFill: the size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1/],
    ["maskedSelect with a mask that does not broadcast", () => maskedSelect(x23, tensor([1, 0])), /^maskedSelect: the size of tensor a \(2\) must match the size of tensor b \(3\)/],
    ["nonzero with an unknown option", () => nonzero(x23, { as_tuple: true } as never), /^nonzero: unknown option 'as_tuple' \(options are asTuple\)$/],
  ])("%s", (_what, build, message) => {
    expect(build).toThrow(OpError);
    expect(build).toThrow(message);
  });

  it.each<[string, () => Tensor, RegExp]>([
    ["an index tensor value out of range", () => x23.index([null, ints([0, 3])]), /^advancedIndex: index 3 is out of bounds for dimension 1 with size 3$/],
    ["a negative index tensor value out of range", () => x23.index([ints([-3])]), /^advancedIndex: index -3 is out of bounds for dimension 0 with size 2$/],
    ["take beyond the last element", () => take(x23, ints([6])), /^advancedIndex: index 6 is out of bounds for dimension 0 with size 6$/],
    ["indexPut at a position out of range", () => indexPut(x23, [ints([2])], tensor(0)), /^indexPut: index 2 is out of bounds for dimension 0 with size 2$/],
    ["scatter out of range", () => scatter(x23, 1, ints([[0, 5]]), 0), /^scatter: index 5 is out of bounds for dimension 1 with size 3$/],
    ["scatter with a negative index (gather's rule, as PyTorch)", () => scatter(x23, 1, ints([[-1]]), 0), /^scatter: index -1 is out of bounds for dimension 1 with size 3$/],
    ["scatterReduce out of range", () => scatterReduce(x23, 0, ints([[2]]), tensor([[1]]), "amax"), /^scatterReduce: index 2 is out of bounds for dimension 0 with size 2$/],
    ["takeAlongDim with a negative index", () => takeAlongDim(x23, ints([[-1], [0]]), 1), /^gather: index -1 is out of bounds for dimension 1 with size 3$/],
  ])("%s: found when evaluated (index values are data)", (_what, build, message) => {
    const node = build();
    expect(() => node.data()).toThrow(OpError);
    expect(() => node.data()).toThrow(message);
  });
});

describe("x.index follows PyTorch's layout of advanced indexing", () => {
  const x = tensor(Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] });
  const i = ints([0, 1, 2, 1, 0]);
  const j = ints([3, 2, 1, 0, 3]);

  it("puts the broadcast dims in place of adjacent indexed dims, first when a dim separates them, after a number's dim is dropped", () => {
    expect(x.index([null, i, j]).shape).toEqual([2, 5]);
    expect(x.index([ints([0, 1, 0, 1, 0]), null, j]).shape).toEqual([5, 3]);
    expect(x.index([0, null, j]).shape).toEqual([3, 5]);
    expect(x.index([0, null, j]).toArray()).toEqual([[3, 2, 1, 0, 3], [7, 6, 5, 4, 7], [11, 10, 9, 8, 11]]);
  });

  it("without index tensors it is the view: numbers drop their dim, slices keep theirs", () => {
    expect(x.index([1, { start: 1 }, -1]).toArray()).toEqual([19, 23]);
    expect(x.index([null, { step: 2 }]).shape).toEqual([2, 2, 4]);
    expect(x.index([])).toBe(x);
  });

  it("x[mask] is x.index(nonzero(mask, { asTuple: true })), for a mask of x's leading dims too", () => {
    const rows = tensor([1, 0]);
    expect(x.index(nonzero(rows, { asTuple: true })).toArray()).toEqual([x.index([0]).toArray()]);
    const mask = x.gt(10);
    expect(x.index(mask.nonzero({ asTuple: true })).toArray()).toEqual(maskedSelect(x, mask).toArray());
  });
});

describe("data-dependent shapes in a lazy graph", () => {
  it("maskedSelect reads its mask when built; x may be a placeholder, fed each run of a compiled program", () => {
    const x = placeholder([2, 3], "float64", "x");
    const picked = maskedSelect(x, tensor([[1, 0, 1], [0, 0, 1]]));
    expect(picked.shape).toEqual([3]);
    const program = compile({ inputs: [x], outputs: [picked, grad(picked.mul(picked).sum(), [x])[0]] });
    const [values, gradient] = program.run([Float64Array.of(1, 2, 3, 4, 5, 6)]);
    expect(Array.from(values)).toEqual([1, 3, 6]);
    expect(Array.from(gradient)).toEqual([2, 0, 6, 0, 0, 12]);
    expect(Array.from(program.run([Float64Array.of(-1, -2, -3, -4, -5, -6)])[0])).toEqual([-1, -3, -6]);
  });

  it("refuses a mask or input that depends on a placeholder, whose values are known only when evaluated", () => {
    const fed = placeholder([3], "float32", "fed");
    expect(() => maskedSelect(tensor([1, 2, 3]), fed.gt(0))).toThrow(
      /^maskedSelect: the result's shape depends on the mask's values, which are read when the graph is built, but this mask depends on a placeholder/,
    );
    expect(() => nonzero(fed)).toThrow(/^nonzero: the result's shape depends on the input's values, .* use maskedFill \/ where, whose shape does not depend on values$/);
    // maskedFill keeps x's shape, so a fed mask is fine there.
    fed.assign([1, 0, -1]);
    expect(maskedFill(tensor([1, 2, 3]), fed, 9).toArray()).toEqual([9, 2, 9]);
  });

  it("the mask's values are those it had when the result was built, as every value is fixed when built", () => {
    const weights = tensor([1, -1, 1]);
    const picked = maskedSelect(tensor([10, 20, 30]), weights.gt(0));
    weights.assign([-1, 1, -1]);
    expect(picked.toArray()).toEqual([10, 30]);
    expect(nonzero(weights.gt(0)).toArray()).toEqual([[1]]);
  });

  it("nonzero gives int32 coordinates, no gradient, and a 0-d input counts as 1-D with asTuple", () => {
    const coords = nonzero(tensor([[0, 2], [3, 0]], { requiresGrad: true }));
    expect(coords.dtype).toBe("int32");
    expect(coords.requiresGrad).toBe(false);
    expect(coords.toArray()).toEqual([[0, 1], [1, 0]]);
    expect(nonzero(tensor(5)).shape).toEqual([1, 0]);
    expect(nonzero(tensor(5), { asTuple: true }).map((t) => t.toArray())).toEqual([[0]]);
  });
});

describe("scatter-like ops with src larger than index", () => {
  // PyTorch 1.13 reads only the part of src that index covers, but its backward then fails
  // ("returned an invalid gradient"): gradgraph gives src zeros outside that part.
  const src = tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64", requiresGrad: true });
  const base = tensor([[0, 0], [0, 0]], { dtype: "float64" });
  const index = ints([[1, 0]]);

  it.each([
    ["scatter", () => scatter(base, 1, index, src), [[2, 1], [0, 0]]],
    ["scatterAdd", () => scatterAdd(base, 1, index, src), [[2, 1], [0, 0]]],
    ["scatterReduce", () => scatterReduce(base, 1, index, src, "sum"), [[2, 1], [0, 0]]],
  ] as const)("%s reads the covered part, and its gradient is zero elsewhere", (_name, build, expected) => {
    const out = build();
    expect(out.toArray()).toEqual(expected);
    const [g] = evaluate(grad(out.mul(tensor([[1, 2], [3, 4]], { dtype: "float64" })).sum(), [src]));
    expect(Array.from(g)).toEqual([2, 1, 0, 0, 0, 0]);
  });
});

describe("int32 and dtypes", () => {
  it("scatterReduce on int32: prod wraps modulo 2^32 and mean floors, as PyTorch's", () => {
    expect(scatterReduce(ints([65536, 3]), 0, ints([0, 0, 1]), ints([65536, 3, -7]), "prod").toArray()).toEqual([0, -21]);
    expect(scatterReduce(ints([-1, 2, 3]), 0, ints([0, 0, 1]), ints([-2, -2, 2]), "mean").toArray()).toEqual([-2, 2, 3]);
  });

  it("maskedFill converts the value to x's dtype (an int32 x truncates, a 0-d tensor is cast)", () => {
    expect(maskedFill(ints([0, 0, 0]), tensor([1, 0, 1]), 2.7).toArray()).toEqual([2, 0, 2]);
    const filled = maskedFill(tensor([1, 2], { dtype: "float32" }), tensor([1, 0]), tensor(0.1, { dtype: "float64" }));
    expect(filled.dtype).toBe("float32");
    expect(filled.toArray()).toEqual([Math.fround(0.1), 2]);
  });

  it("index tensors may be computed, and advanced indexing works on int32 tensors", () => {
    const x = ints([[1, 2], [3, 4]]);
    expect(index(x, [ints([1, 1]).sub(2)]).toArray()).toEqual([[3, 4], [3, 4]]);
  });
});
