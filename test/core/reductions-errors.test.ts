/** The reductions and scans refuse bad input with PyTorch's words, naming the function. */
import { describe, expect, it } from "vitest";
import { amax, argmax, cumsum, max, norm, ones, sort, tensor, topk, variance, zeros } from "@gradgraph/core";

describe("reduction and scan errors", () => {
  const x = ones([2, 3]);
  it.each<[string, () => unknown, string | RegExp]>([
    ["max over an empty dim", () => max(zeros([2, 0]), 1), "max: Expected reduction dim 1 to have non-zero size (input shape [2, 0])"],
    ["max over a list of dims", () => max(x, [0, 1] as unknown as number), /^max: dim must be a number \(amax takes a list of dims\), got \[0, 1\]/],
    ["amax of an empty tensor without dims", () => amax(zeros([0])), /^amax: Expected reduction dim to be specified for input.numel\(\) == 0/],
    ["argmax of an empty tensor", () => argmax(zeros([0])), "argmax: Expected reduction dim to be specified for input.numel() == 0"],
    ["argmax along a dim out of range", () => argmax(x, 2), /^argmax: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/],
    ["a scan along a dim out of range", () => cumsum(x, -3), /^cumsum: dimension out of range/],
    ["topk with k larger than the dim", () => topk(x, 4), "topk: selected index k (4) out of range (the dim has size 3)"],
    ["norm with a negative p", () => norm(x, -1), 'norm: p must be "fro", a non-negative number or ±Infinity, got -1'],
    ["the variance of int32", () => variance(tensor([1, 2], { dtype: "int32" })), "var: expected a float tensor, got int32"],
    ["sort of no tensor", () => sort([1, 2] as never), /^sort: input must be a Tensor/],
  ])("%s", (_what, build, message) => {
    expect(build).toThrow(message);
  });
});
