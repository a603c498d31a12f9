/**
 * Every Tensor method and every function of the functional API, called with a hostile value
 * (a number, a string, null, undefined, an array, a plain object, NaN) in each argument position:
 * the call either works or throws an error that names the function, never an internal TypeError
 * ("Cannot read properties of ...", "... is not a function") or a stack overflow. The methods are
 * read from the Tensor prototype and the functions from the module's exports, so one added later
 * is swept without a line here; `validCalls` only gives the arguments before the hostile one,
 * so that later positions are reached with the earlier ones right.
 */
import { describe, expect, it } from "vitest";
import * as G from "@gradgraph/core";
import * as C from "../../packages/core/src/api/creation";
import * as F from "../../packages/core/src/api/functional";

/** The functional API and the creation functions, by name. */
const functions = { ...F, ...C } as unknown as Record<string, (...args: unknown[]) => unknown>;

const hostileValues: [string, unknown][] = [
  ["number", 2],
  ["string", "a"],
  ["null", null],
  ["undefined", undefined],
  ["array", [1, 2]],
  ["object", {}],
  ["NaN", NaN],
];

/** The IR node's own members, which the engine calls (no user API): not swept. */
const engineMembers = new Set(["constructor", "cache", "keepVersion", "setLeafData", "releaseForWriting", "moveLeafData", "newVersion", "release", "describe"]);

/** A fresh set of operands for each call, so `assign` and friends change nothing another call sees. */
function operands() {
  const x = G.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const int = (values: G.NestedArray) => G.tensor(values, { dtype: "int32" });
  return {
    x,
    y: G.tensor([[0.5, -1, 2], [3, 0, -2]]),
    w: G.tensor([[1, 0], [0, 1], [1, 1]]),
    index: int([[0, 2, 1], [1, 0, 0]]),
    rows: int([0, 1]),
    row: int([0]),
    flat: int([0, 5]),
    mask: x.detach().gt(2),
    source: G.tensor([[7, 8, 9]]),
    signal: G.rand([1, 2, 4]),
    image: G.rand([1, 2, 4, 4]),
    kernel1d: G.rand([3, 2, 2]),
    kernel2d: G.rand([3, 2, 2, 2]),
  };
}
type Operands = ReturnType<typeof operands>;

/** The method's arguments of a call that works, with `self` when the receiver is not `x`. */
const methodCalls: Record<string, (o: Operands) => { self?: G.Tensor; args: unknown[] }> = {
  assign: (o) => ({ self: G.tensor([1, 2]), args: [o.rows.cast("float32")] }),
  item: (o) => ({ self: o.x.sum(), args: [] }),
  backward: (o) => ({ self: o.x.sum(), args: [G.tensor(1)] }),
  any: () => ({ args: [1, true] }),
  all: () => ({ args: [1, true] }),
  nanToNum: () => ({ args: [0, 1, -1] }),
  clamp: () => ({ args: [1, 4] }),
  clip: () => ({ args: [1, 4] }),
  lerp: (o) => ({ args: [o.y, 0.5] }),
  matmul: (o) => ({ args: [o.w] }),
  transpose: () => ({ args: [0, 1] }),
  permute: () => ({ args: [1, 0] }),
  reshape: () => ({ args: [3, 2] }),
  view: () => ({ args: [3, 2] }),
  flatten: () => ({ args: [0, 1] }),
  unflatten: () => ({ args: [1, [3, 1]] }),
  movedim: () => ({ args: [0, 1] }),
  narrow: () => ({ args: [1, 0, 2] }),
  flip: () => ({ args: [0, 1] }),
  roll: () => ({ args: [1, 1] }),
  repeat: () => ({ args: [2, 1] }),
  tile: () => ({ args: [2, 1] }),
  repeatInterleave: () => ({ args: [2, 1] }),
  tril: () => ({ args: [0] }),
  triu: () => ({ args: [0] }),
  diag: () => ({ args: [0] }),
  diagonal: () => ({ args: [0, 0, 1] }),
  split: () => ({ args: [1, 1] }),
  chunk: () => ({ args: [2, 1] }),
  unbind: () => ({ args: [0] }),
  unfold: () => ({ args: [1, 2, 1] }),
  expand: () => ({ args: [2, 2, 3] }),
  squeeze: () => ({ args: [0] }),
  unsqueeze: () => ({ args: [0] }),
  slice: () => ({ args: [1, 0, 2, 1] }),
  select: () => ({ args: [0, 1] }),
  ...Object.fromEntries(["sum", "mean", "amax", "amin", "argmax", "argmin", "prod", "max", "min", "logSumExp", "sort", "argsort"].map((name) => [name, () => ({ args: [1, true] })])),
  var: () => ({ args: [1, { correction: 1 }] }),
  std: () => ({ args: [1, { correction: 1 }] }),
  norm: () => ({ args: [2, 1, true] }),
  ...Object.fromEntries(["cumsum", "cumprod", "cummax", "cummin", "softmax", "logSoftmax"].map((name) => [name, () => ({ args: [1] })])),
  topk: () => ({ args: [2, 1, true] }),
  gather: (o) => ({ args: [1, o.index] }),
  indexSelect: (o) => ({ args: [1, o.rows] }),
  index: () => ({ args: [[0, null]] }),
  indexPut: (o) => ({ args: [[o.row], o.source, false] }),
  indexAdd: (o) => ({ args: [0, o.row, o.source, { alpha: 2 }] }),
  scatter: (o) => ({ args: [1, o.index, o.y] }),
  scatterAdd: (o) => ({ args: [1, o.index, o.y] }),
  scatterReduce: (o) => ({ args: [1, o.index, o.y, "sum", { includeSelf: true }] }),
  take: (o) => ({ args: [o.flat] }),
  takeAlongDim: (o) => ({ args: [o.index, 1] }),
  maskedFill: (o) => ({ args: [o.mask, 0] }),
  maskedSelect: (o) => ({ args: [o.mask] }),
  nonzero: () => ({ args: [{ asTuple: false }] }),
  cast: () => ({ args: ["float64"] }),
};

/** The binary methods, whose one argument is another tensor of x's shape. */
const binaryMethods = ["add", "sub", "mul", "div", "floorDivide", "remainder", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr", "logicalXor", "atan2", "hypot", "copysign", "fmod", "logAddExp"];
for (const name of binaryMethods) methodCalls[name] = (o) => ({ args: [o.y] });

/** The functional API's calls that are not `method(x, ...args)`. */
const functionCalls: Record<string, (o: Operands) => unknown[]> = {
  variance: (o) => [o.x, 1, { correction: 1 }],
  reshape: (o) => [o.x, [3, 2]],
  permute: (o) => [o.x, [1, 0]],
  expand: (o) => [o.x, [2, 2, 3]],
  repeat: (o) => [o.x, [2, 1]],
  tile: (o) => [o.x, [2, 1]],
  flip: (o) => [o.x, [0, 1]],
  cumsum: (o) => [o.x, 1, { reverse: true }],
  clip: (o) => [o.x, 1, 4],
  where: (o) => [o.mask, o.x, o.y],
  concat: (o) => [[o.x, o.y], 0],
  stack: (o) => [[o.x, o.y], 0],
  meshgrid: (o) => [[o.rows, o.flat], "ij"],
  einsum: (o) => ["ij,jk->ik", o.x, o.w],
  oneHot: (o) => [o.rows, 3],
  pad: (o) => [o.x, [1, 1], "constant", 0],
  advancedIndex: (o) => [o.x, [o.rows]],
  unbroadcast: (o) => [o.x, [3]],
  sliceBackward: (o) => [o.x, 1, 0, 1, 4],
  diagonalBackward: (o) => [o.x.select(0, 0).slice(0, 0, 2), 0, 0, 1, 2, 2],
  padBackward: (o) => [o.x, [0, 1], "reflect"],
  unfoldBackward: (o) => [o.x.unfold(1, 2, 1), 1, 2, 1, 3],
  linearScan: (o) => [o.x, o.y, { dim: 1 }],
  conv1d: (o) => [o.signal, o.kernel1d, undefined, { padding: 1 }],
  conv2d: (o) => [o.image, o.kernel2d, undefined, { padding: 1 }],
  convTranspose1d: (o) => [o.signal, o.kernel1d.transpose(0, 1).slice(0, 0, 2), undefined, {}],
  convTranspose2d: (o) => [o.image, o.kernel2d.transpose(0, 1).slice(0, 0, 2), undefined, {}],
  maxPool1d: (o) => [o.signal, 2, {}],
  maxPool2d: (o) => [o.image, 2, {}],
  avgPool1d: (o) => [o.signal, 2, {}],
  avgPool2d: (o) => [o.image, 2, {}],
  adaptiveAvgPool1d: (o) => [o.signal, 2],
  adaptiveAvgPool2d: (o) => [o.image, [2, 2]],
  interpolate: (o) => [o.image, { scaleFactor: 2 }],
  layerNorm: (o) => [o.x, [3], undefined, undefined, 1e-5],
  groupNorm: (o) => [o.image, 2, undefined, undefined, 1e-5],
  batchNorm: (o) => [o.image, undefined, undefined, undefined, undefined, true, 0.1, 1e-5],
  dropout: (o) => [o.x, 0.5],
  scaledDotProductAttention: (o) => [o.signal, o.signal, o.signal, {}],
  softplus: (o) => [o.x, 1, 20],
  hardtanh: (o) => [o.x, -1, 1],
  leakyRelu: (o) => [o.x, 0.1],
  elu: (o) => [o.x, 1],
  celu: (o) => [o.x, 1],
  gelu: (o) => [o.x, "tanh"],
  tensor: () => [[1, 2], { dtype: "float64" }],
  full: () => [[2], 1, { dtype: "float64" }],
  zeros: () => [2, 3, { dtype: "float64" }],
  ones: () => [2, 3, { dtype: "float64" }],
  scalar: () => [1, "float64"],
  eye: () => [2, 3, { dtype: "float64" }],
  arange: () => [0, 3, 1, { dtype: "float64" }],
  linspace: () => [0, 1, 3, { dtype: "float64" }],
  logspace: () => [0, 1, 3, 10, { dtype: "float64" }],
  fullLike: (o) => [o.x, 1, { dtype: "float64" }],
  zerosLike: (o) => [o.x, { dtype: "float64" }],
  onesLike: (o) => [o.x, { dtype: "float64" }],
  rand: () => [2, 3, { dtype: "float64" }],
  randn: () => [2, 3, { dtype: "float64" }],
  uniform: () => [[2], 0, 1, { dtype: "float64" }],
  randLike: (o) => [o.x, { dtype: "float64" }],
  randnLike: (o) => [o.x, { dtype: "float64" }],
  randint: () => [0, 5, [2], { dtype: "int32" }],
  randperm: () => [3, { dtype: "int32" }],
  placeholder: () => [[2], "float64", "input"],
};

/** How a function's errors may name it when it is another's alias (PyTorch's clip errors say clamp; variance is PyTorch's var). */
const reportedAs: Record<string, string> = { clip: "clamp", variance: "var" };

/** Everything a result holds that is evaluated lazily, realized so that late errors show too (a placeholder has no value to realize). */
function realize(result: unknown): void {
  if (result instanceof G.Tensor) {
    if (result.op !== "placeholder") result.data();
  }
  else if (Array.isArray(result)) result.forEach(realize);
  else if (result !== null && typeof result === "object") Object.values(result).forEach(realize);
}

const internal = /Cannot read propert|is not a function|is not iterable|undefined is not|Maximum call stack|Cannot convert|Invalid array length/;

/** The complaint about a call, or undefined when it fails as it should (or works). */
function complaint(name: string, call: () => unknown): string | undefined {
  try {
    realize(call());
    return undefined;
  } catch (error) {
    if (!(error instanceof Error)) return `threw a non-Error ${String(error)}`;
    const names = [name, reportedAs[name]].filter(Boolean);
    if (internal.test(error.message) || error instanceof RangeError) return `internal error: ${error.message}`;
    if (!names.some((n) => error.message.startsWith(`${n}: `))) return `error does not name ${name}: ${error.message}`;
    return undefined;
  }
}

/** The call's arguments with the one at `position` replaced by a hostile value and the ones after it left out. */
const withHostile = (args: readonly unknown[], position: number, value: unknown) => [...args.slice(0, position), value];

/** Every (position, hostile value) pair, up to one position past the valid call and the function's declared arity. */
function variants(validArgs: number, arity: number): [string, number, unknown][] {
  const positions = Array.from({ length: Math.max(validArgs, arity) + 1 }, (_, i) => i);
  return positions.flatMap((position) => hostileValues.map(([kind, value]): [string, number, unknown] => [`${kind} at ${position + 1}`, position, value]));
}

const methodNames = Object.getOwnPropertyNames(G.Tensor.prototype).filter(
  (name) => !engineMembers.has(name) && typeof Object.getOwnPropertyDescriptor(G.Tensor.prototype, name)!.value === "function",
);
const functionNames = Object.keys(functions).filter((name) => typeof functions[name] === "function");

function methodCall(name: string, o: Operands) {
  return Object.hasOwn(methodCalls, name) ? methodCalls[name](o) : { args: [] };
}

function functionArgs(name: string, o: Operands): unknown[] {
  if (Object.hasOwn(functionCalls, name)) return functionCalls[name](o);
  const { self, args } = methodCall(name, o);
  return [self ?? o.x, ...args];
}

describe("every Tensor method, with a hostile argument anywhere", () => {
  it("sweeps the methods installed on the prototype", () => {
    expect(methodNames.length).toBeGreaterThan(130);
    expect(methodNames).toContain("matmul");
  });

  it("the valid calls work", () => {
    const failures = methodNames.flatMap((name) => {
      const o = operands();
      const { self = o.x, args } = methodCall(name, o);
      try {
        realize((self as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args));
        return [];
      } catch (error) {
        return [`${name}: ${(error as Error).message}`];
      }
    });
    expect(failures, failures.join("\n")).toEqual([]);
  });

  it.each(methodNames)("x.%s", (name) => {
    const method = (G.Tensor.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    const complaints = variants(methodCall(name, operands()).args.length, method.length).flatMap(([variant, position, value]) => {
      const o = operands();
      const { self = o.x, args } = methodCall(name, o);
      const found = complaint(name, () => method.apply(self, withHostile(args, position, value)));
      return found === undefined ? [] : [`${variant}: ${found}`];
    });
    expect(complaints, complaints.join("\n")).toEqual([]);
  });
});

describe("every function of the functional API and every creation function, with a hostile argument anywhere", () => {
  it("sweeps the modules' exports", () => {
    expect(functionNames.length).toBeGreaterThan(190);
  });

  it("the valid calls work", () => {
    const failures = functionNames.filter((name) => Object.hasOwn(functionCalls, name) || Object.hasOwn(methodCalls, name)).flatMap((name) => {
      try {
        realize(functions[name](...functionArgs(name, operands())));
        return [];
      } catch (error) {
        return [`${name}: ${(error as Error).message}`];
      }
    });
    expect(failures, failures.join("\n")).toEqual([]);
  });

  it.each(functionNames)("%s", (name) => {
    const fn = functions[name];
    const complaints = variants(functionArgs(name, operands()).length, fn.length).flatMap(([variant, position, value]) => {
      const found = complaint(name, () => fn(...withHostile(functionArgs(name, operands()), position, value)));
      return found === undefined ? [] : [`${variant}: ${found}`];
    });
    expect(complaints, complaints.join("\n")).toEqual([]);
  });
});
