/**
 * Every public function of the core, called wrongly, says which function, what it expected and
 * what came: never an internal "cannot read properties of undefined".
 */
import { describe, expect, it } from "vitest";
import * as G from "@gradgraph/core";

const x = G.tensor([[1, 2], [3, 4]]);
const bad = <T>(value: unknown) => value as T;

/** [the call, the function its message must start with, a part of what it must say] */
const calls: [string, () => unknown, string, RegExp][] = [
  ["tensor with null options", () => G.tensor([1], bad(null)), "tensor", /options must be an object, got null/],
  ["tensor with an unknown option", () => G.tensor([1], bad({ dtpye: "float64" })), "tensor", /unknown option 'dtpye'/],
  ["tensor with a string requiresGrad", () => G.tensor([1], bad({ requiresGrad: "yes" })), "tensor", /requiresGrad must be true or false/],
  ["full with a string value", () => G.full([2], bad("a")), "full", /the fill value must be a number, got the string "a"/],
  ["scalar of a string", () => G.scalar(bad("a")), "scalar", /value must be a number/],
  ["rand with a non-generator", () => G.rand([2], bad({ generator: 3 })), "rand", /generator must be a Generator, got number 3/],
  ["randn with an unknown option", () => G.randn([2], bad({ seed: 3 })), "randn", /unknown option 'seed'/],
  ["placeholder with a numeric name", () => G.placeholder([2], "float32", bad(3)), "placeholder", /name must be a string/],
  ["softmax of undefined", () => G.softmax(bad(undefined), 0), "softmax", /input must be a Tensor, got undefined/],
  ["mean of undefined", () => G.mean(bad(undefined)), "mean", /input must be a Tensor/],
  ["logSoftmax of a number", () => G.logSoftmax(bad(3), 0), "logSoftmax", /input must be a Tensor, got number 3/],
  ["stack of undefined", () => G.stack(bad(undefined)), "stack", /tensors must be an array of Tensors, got undefined/],
  ["stack with a number inside", () => G.stack([x, bad(3)]), "stack", /tensors\[1\] must be a Tensor, got number 3/],
  ["concat of undefined", () => G.concat(bad(undefined)), "concat", /tensors must be an array of Tensors/],
  ["select of a string", () => G.select(bad("x"), 0, 0), "select", /input must be a Tensor/],
  ["matmul with a number", () => x.matmul(bad(2)), "matmul", /^matmul: argument 'other' \(position 1\) must be a Tensor, got number 2$/],
  ["matmul with null", () => x.matmul(bad(null)), "matmul", /argument 'other' \(position 1\) must be a Tensor, got null/],
  // PyTorch's maximum, minimum, atan2, hypot, logaddexp and the logical ops take no number.
  ["maximum with a number", () => x.maximum(bad(2)), "maximum", /argument 'other' \(position 1\) must be a Tensor, got number 2/],
  ["minimum with a number", () => x.minimum(bad(2)), "minimum", /argument 'other' \(position 1\) must be a Tensor, got number 2/],
  ["atan2 with a number", () => x.atan2(bad(2)), "atan2", /argument 'other' \(position 1\) must be a Tensor/],
  ["hypot with a number", () => x.hypot(bad(2)), "hypot", /argument 'other' \(position 1\) must be a Tensor/],
  ["logAddExp with a number", () => x.logAddExp(bad(2)), "logAddExp", /argument 'other' \(position 1\) must be a Tensor/],
  ["logicalAnd with a number", () => x.logicalAnd(bad(1)), "logicalAnd", /argument 'other' \(position 1\) must be a Tensor, got number 1/],
  ["add with a string", () => x.add(bad("a")), "add", /^add: argument 'other' \(position 1\) must be a Tensor or a number, got the string "a"$/],
  ["eq with null", () => x.eq(bad(null)), "eq", /argument 'other' \(position 1\) must be a Tensor or a number, got null/],
  ["pow with an array", () => x.pow(bad([2])), "pow", /argument 'other' \(position 1\) must be a Tensor or a number, got an array/],
  ["lerp with a number end", () => x.lerp(bad(2), 0.5), "lerp", /argument 'end' \(position 1\) must be a Tensor, got number 2/],
  ["clamp with a string bound", () => x.clamp(bad("a")), "clamp", /argument 'min' \(position 1\) must be a Tensor or a number/],
  ["clip with a string upper bound", () => x.clip(0, bad("a")), "clip", /argument 'max' \(position 2\) must be a Tensor or a number/],
  ["gather with a number index", () => x.gather(0, bad(2)), "gather", /argument 'index' \(position 2\) must be a Tensor, got number 2/],
  ["maskedFill with a string value", () => x.maskedFill(x.gt(2), bad("a")), "maskedFill", /argument 'value' \(position 2\) must be a Tensor or a number/],
  ["backward with a number gradient", () => x.sum().backward(bad(2)), "backward", /argument 'gradient' \(position 1\) must be a Tensor, got number 2/],
  ["reshape to a negative size", () => x.reshape(4, -2), "reshape", /shape \[4, -2\] must hold non-negative integers/],
  ["reshape to a size that does not fit", () => x.reshape([3, -1]), "reshape", /shape \[3, -1\] is invalid for input of size 4/],
  ["reshape to a string", () => x.reshape(bad("a")), "reshape", /argument 'shape' \(position 1\) must be an integer or an array of integers, got the string "a"/],
  ["reshape with NaN among the sizes", () => x.reshape(2, NaN), "reshape", /'shape' must be a list of integers, got \[2, NaN\]/],
  ["reshape with a string among the sizes", () => x.reshape(2, bad("a")), "reshape", /argument 'shape' \(position 2\) must be an integer, got the string "a"/],
  ["reshape with a string in the list", () => x.reshape(bad([2, "a"])), "reshape", /argument 'shape' must be a list of integers, got the string "a" at index 1/],
  ["reshape without a shape", () => x.reshape(), "reshape", /shape \[\] is invalid for input of size 4/],
  ["view that does not fit", () => x.view(3, 2), "view", /shape \[3, 2\] is invalid for input of size 4/],
  ["permute with too few dims", () => x.permute([0]), "permute", /number of dims don't match/],
  ["expand to a size that does not match", () => x.expand([3, 3]), "expand", /expanded size of the tensor \(3\) must match the existing size \(2\)/],
  ["tile with a string", () => x.tile(bad("a")), "tile", /argument 'dims' \(position 1\) must be an integer or an array of integers/],
  ["tile to a negative size", () => x.tile(2, 3, -1), "tile", /Trying to create tensor with negative dimension -2/],
  ["flip with a fraction", () => x.flip(0.5), "flip", /'dims' must be a list of integers, got \[0.5\]/],
  ["flip with an object", () => x.flip(bad({})), "flip", /argument 'dims' \(position 1\) must be an integer or an array of integers, got an object/],
  ["zeros of a negative size", () => G.zeros(-1), "zeros", /shape \[-1\] must hold non-negative integers/],
  ["zeros without sizes", () => bad<() => G.Tensor>(G.zeros)(), "zeros", /missing the argument 'size'/],
  ["zeros with an array and a number", () => G.zeros(bad([2]), bad(3)), "zeros", /sizes one by one or as one array .*got an array followed by number 3/],
  ["ones with a string size", () => G.ones(2, bad("a")), "ones", /argument 'size' \(position 2\) must be an integer, got the string "a"/],
  ["randn with sizes and an unknown option", () => G.randn(2, 3, bad({ seed: 3 })), "randn", /unknown option 'seed'/],
  // A composite's errors name it, not the op it is built from (std on var, amax on max, ...).
  ["std along a dim out of range", () => x.std(5), "std", /dimension out of range/],
  ["amax along a dim out of range", () => x.amax(5), "amax", /dimension out of range/],
  ["sort along a dim out of range", () => x.sort(5), "sort", /dimension out of range/],
  ["logSoftmax along a dim out of range", () => x.logSoftmax(5), "logSoftmax", /dimension out of range/],
  ["cumprod along a dim out of range", () => x.cumprod(5), "cumprod", /dimension out of range/],
  ["var with null options", () => x.var(0, bad(null)), "var", /options must be an object, got null/],
  ["movedim with a string source", () => x.movedim(bad("a"), 0), "movedim", /source must be a dim or a list of dims, got the string "a"/],
  ["roll with null shifts", () => x.roll(bad(null)), "roll", /shifts must be an integer or a list of integers, got null/],
  ["cast of null", () => G.cast(bad(null), "float32"), "cast", /input must be a Tensor, got null/],
  ["maxPool1d with a NaN kernel", () => G.maxPool1d(G.zeros(1, 1, 4), NaN), "maxPool1d", /kernelSize/],
  ["assign of a string", () => x.assign(bad("a")), "assign", /expected a Tensor, a typed array or \(nested\) numbers, got the string "a"/],
  ["compile of undefined", () => G.compile(bad(undefined)), "compile", /expected \{ inputs\?, outputs, updates\?, reorderSums\? \}/],
  ["compile with outputs that are no array", () => G.compile({ outputs: bad(3) }), "compile", /outputs must be an array, got number 3/],
  ["compile with an update that is no pair", () => G.compile({ outputs: [x], updates: [bad(x)] }), "compile", /updates\[0\] must be a \[leaf, newValue\] pair/],
  ["compile with reorderSums that is no boolean", () => G.compile({ outputs: [x], reorderSums: bad("yes") }), "compile", /reorderSums must be true or false, got the string "yes"/],
  ["grad without inputs", () => G.grad(x.sum(), bad(undefined)), "grad", /inputs must be an array of Tensors, got undefined/],
  ["grad of a number", () => G.grad(bad(3), [x]), "grad", /output must be a Tensor, got number 3/],
  ["valueAndGrad of a number", () => G.valueAndGrad(bad<(x: G.Tensor) => G.Tensor>(3)), "valueAndGrad", /fn must be a function, got number 3/],
  ["evaluate of undefined", () => G.evaluate(bad(undefined)), "evaluate", /outputs must be an array of Tensors, got undefined/],
  ["evaluate of a number", () => G.evaluate([bad(3)]), "evaluate", /outputs\[0\] must be a Tensor/],
  ["toJSON of undefined", () => G.toJSON(bad(undefined)), "toJSON", /outputs must be an array of Tensors/],
  ["manualSeed of a string", () => G.manualSeed(bad("a")), "manualSeed", /the seed must be a safe integer, got "a"/],
  ["noGrad of a number", () => G.noGrad(bad(3)), "noGrad", /the function to run must be a function/],
  ["withScope with a number path", () => G.withScope(bad(3), () => 1), "withScope", /path must be a non-empty string/],
  ["zeroGrad of a number", () => G.zeroGrad(bad(3)), "zeroGrad", /expected an iterable of Tensors, got number 3/],
  ["zeroGrad with a number inside", () => G.zeroGrad([x, bad(1)]), "zeroGrad", /each element must be a Tensor/],
];

describe("wrong arguments", () => {
  it.each(calls)("%s", (_what, call, where, message) => {
    let error: unknown;
    try {
      call();
    } catch (caught) {
      error = caught;
    }
    expect(error, "an error").toBeInstanceOf(Error);
    const text = (error as Error).message;
    expect(text.startsWith(`${where}: `), text).toBe(true);
    expect(text).toMatch(message);
  });
});

/** Sizes and dims one by one or as one array, as PyTorch takes them; each form checked against hand-written values. */
describe("sizes as numbers or one array", () => {
  const m = G.tensor([[1, 2, 3], [4, 5, 6]]);
  const row = G.tensor([[1, 2]]);
  const forms: [string, () => G.Tensor, () => G.Tensor, G.NestedArray][] = [
    ["reshape", () => m.reshape(3, 2), () => m.reshape([3, 2]), [[1, 2], [3, 4], [5, 6]]],
    ["reshape with -1", () => m.reshape(-1, 2), () => m.reshape([-1, 2]), [[1, 2], [3, 4], [5, 6]]],
    ["view", () => m.view(6), () => m.view([6]), [1, 2, 3, 4, 5, 6]],
    ["permute", () => m.permute(1, 0), () => m.permute([1, 0]), [[1, 4], [2, 5], [3, 6]]],
    ["expand", () => row.expand(2, 2), () => row.expand([2, -1]), [[1, 2], [1, 2]]],
    ["repeat", () => row.repeat(2, 1), () => row.repeat([2, 1]), [[1, 2], [1, 2]]],
    ["tile", () => row.tile(2), () => row.tile([2]), [[1, 2, 1, 2]]],
    ["flip", () => m.flip(0, 1), () => m.flip([0, 1]), [[6, 5, 4], [3, 2, 1]]],
    ["flip of one dim", () => m.flip(1), () => m.flip([1]), [[3, 2, 1], [6, 5, 4]]],
  ];
  it.each(forms)("%s", (_what, oneByOne, asArray, expected) => {
    expect(oneByOne().toArray()).toEqual(expected);
    expect(asArray().toArray()).toEqual(expected);
  });

  it("zeros and ones take the sizes one by one or as one array, the options last", () => {
    expect(G.zeros(2, 3).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(G.zeros([2, 3]).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(G.zeros(2, 3, { dtype: "float64" }).dtype).toBe("float64");
    expect(G.ones(2, { dtype: "int32" }).toArray()).toEqual([1, 1]);
    expect(G.ones([2], undefined).toArray()).toEqual([1, 1]);
    const scalarZero = G.zeros([]);
    expect([scalarZero.shape, scalarZero.item()]).toEqual([[], 0]);
  });

  it("rand and randn draw the same numbers whichever way the sizes are given (as torch.rand(2, 3) and torch.rand((2, 3)))", () => {
    const draw = (make: (generator: G.Generator) => G.Tensor) => Array.from(make(new G.Generator(7)).data());
    expect(draw((generator) => G.rand(2, 3, { generator }))).toEqual(draw((generator) => G.rand([2, 3], { generator })));
    expect(draw((generator) => G.randn(4, { generator, dtype: "float64" }))).toEqual(draw((generator) => G.randn([4], { generator, dtype: "float64" })));
    expect(G.rand(2, 3).shape).toEqual([2, 3]);
  });
});
