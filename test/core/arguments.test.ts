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
  ["rand with a non-generator", () => G.rand([2], bad({ generator: 3 })), "uniform", /generator must be a Generator, got number 3/],
  ["randn with an unknown option", () => G.randn([2], bad({ seed: 3 })), "randn", /unknown option 'seed'/],
  ["placeholder with a numeric name", () => G.placeholder([2], "float32", bad(3)), "placeholder", /name must be a string/],
  ["softmax of undefined", () => G.softmax(bad(undefined), 0), "softmax", /input must be a Tensor, got undefined/],
  ["mean of undefined", () => G.mean(bad(undefined)), "mean", /input must be a Tensor/],
  ["logSoftmax of a number", () => G.logSoftmax(bad(3), 0), "logSoftmax", /input must be a Tensor, got number 3/],
  ["stack of undefined", () => G.stack(bad(undefined)), "stack", /tensors must be an array of Tensors, got undefined/],
  ["stack with a number inside", () => G.stack([x, bad(3)]), "stack", /tensors\[1\] must be a Tensor, got number 3/],
  ["concat of undefined", () => G.concat(bad(undefined)), "concat", /tensors must be an array of Tensors/],
  ["select of a string", () => G.select(bad("x"), 0, 0), "select", /input must be a Tensor/],
  ["matmul with a number", () => x.matmul(bad(2)), "matmul", /other must be a Tensor, got number 2/],
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
