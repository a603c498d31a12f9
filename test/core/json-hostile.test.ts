/**
 * fromJSON reads untrusted files: every field is checked as building the graph in code would
 * check it, nothing is read from a prototype, and a small file cannot make us allocate much.
 */
import { describe, expect, it } from "vitest";
import { concat, fromJSON, OpError, registerOp, tensor } from "@gradgraph/core";

type Json = Record<string, unknown>;

const leaf = (fields: Json = {}): Json => ({ op: "constant", inputs: [], attrs: {}, shape: [2], dtype: "float32", data: [1, 2], ...fields });
const op = (name: string, inputs: number[], shape: number[], fields: Json = {}): Json => ({ op: name, inputs, attrs: {}, shape, dtype: "float32", ...fields });
const graph = (nodes: unknown[], outputs: unknown = [nodes.length - 1]): Json => ({ format: "gradgraph-graph/1", nodes, outputs });

/** A value nested `depth` lists deep, built without recursion. */
function deeplyNested(depth: number): unknown[] {
  let value: unknown[] = [0];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** A clear error: an Error of our own (never a TypeError or a stack overflow) that says it comes from fromJSON. */
function expectLoadError(error: unknown): asserts error is Error {
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(TypeError);
  expect(error).not.toBeInstanceOf(RangeError);
  expect((error as Error).message).toMatch(/^fromJSON: /);
}

function loadError(json: unknown): Error {
  try {
    fromJSON(json);
  } catch (error) {
    expectLoadError(error);
    return error;
  }
  throw new Error("expected fromJSON to refuse the file, but it loaded");
}

describe("fromJSON refuses hostile files with a clear error", () => {
  it.each<[string, unknown, RegExp]>([
    ["a negative leaf shape", graph([leaf({ shape: [-1, -3], data: [3] })]), /node 0: shape must be a list of non-negative integers, got \[-1, -3\]/],
    ["a fractional leaf shape", graph([leaf({ shape: [1.5, 2], data: [1, 2, 3] })]), /node 0: shape must be .* got \[1.5, 2\]/],
    ["a shape of strings", graph([leaf({ shape: ["3"], data: [1, 2, 3] })]), /node 0: shape must be .* got \["3"\]/],
    ["a dim too large to compute with, beside a zero", graph([leaf({ shape: [1e300, 0], data: [] })]), /node 0: shape must be .* got \[1e\+300, 0\]/],
    ["a shape that is no list", graph([leaf({ shape: "2" })]), /node 0: shape must be .* got "2"/],
    ["data that is a string", graph([leaf({ shape: [3], data: "abc" })]), /node 0: a constant needs data, a list of 3 values, got "abc"/],
    ["data holding strings", graph([leaf({ data: ["x", 1] })]), /node 0: data\[0\] must be a finite number in float32 range, or "NaN", .* got "x"/],
    ["data holding null", graph([leaf({ data: [1, null] })]), /node 0: data\[1\] must be a finite number .* got null/],
    ["data holding objects", graph([leaf({ data: [{}, 1] })]), /node 0: data\[0\] must be .* got an object/],
    ["a NaN given as a number rather than encoded", graph([leaf({ dtype: "float64", data: [NaN, 1] })]), /node 0: data\[0\] must be a finite number, or "NaN"/],
    ["too few values", graph([leaf({ data: [1] })]), /node 0: shape \[2\] needs 2 values, the data holds 1/],
    ["too many values", graph([leaf({ data: [1, 2, 3] })]), /node 0: shape \[2\] needs 2 values, the data holds 3/],
    ["a fraction for int32", graph([leaf({ dtype: "int32", data: [1.5, 2] })]), /node 0: data\[0\] must be an integer in int32 range for int32, got 1.5/],
    ["an integer beyond int32", graph([leaf({ dtype: "int32", data: [1, 2 ** 31] })]), /node 0: data\[1\] must be an integer in int32 range for int32, got 2147483648/],
    ["an encoded special for int32", graph([leaf({ dtype: "int32", data: ["NaN", 1] })]), /node 0: data\[0\] must be an integer in int32 range/],
    ["a value that float32 would make infinite", graph([leaf({ data: [1e39, 1] })]), /node 0: data\[0\] must be a finite number in float32 range/],
    ["an unknown dtype", graph([leaf({ dtype: "float16" })]), /node 0: dtype must be one of float32, float64, int32, got "float16"/],
    ["a placeholder over the size limit", graph([leaf({ op: "placeholder", shape: [65536, 65536, 4], data: undefined })]), /node 0: shape \[65536, 65536, 4\] has 17179869184 elements, more than the 2147483647/],
    ["a constant over the size limit", graph([leaf({ shape: [2 ** 31], data: [1] })]), /node 0: shape \[2147483648\] has 2147483648 elements, more than/],
    ["outputs naming a prototype property", graph([leaf()], ["__proto__"]), /output 0 must be the index of a node \(of 1\), got "__proto__"/],
    ["outputs naming an array property", graph([leaf()], ["length"]), /output 0 must be the index of a node/],
    ["a fractional output", graph([leaf()], [0.5]), /output 0 must be the index of a node/],
    ["an output past the end", graph([leaf()], [1]), /output 0 must be the index of a node \(of 1\), got 1/],
    ["a negative output", graph([leaf()], [-1]), /output 0 must be the index of a node/],
    ["outputs that are no list", graph([leaf()], { length: 1e9 }), /outputs must be a list of node indices, got an object/],
    ["no outputs at all", { format: "gradgraph-graph/1", nodes: [leaf()] }, /outputs must be a list of node indices, got undefined/],
    ["op '__proto__'", graph([leaf(), op("__proto__", [0], [2])]), /node 1: unknown op '__proto__'/],
    ["op 'constructor'", graph([leaf(), op("constructor", [0], [2])]), /node 1: unknown op 'constructor'/],
    ["op 'toString'", graph([leaf(), op("toString", [0], [2])]), /node 1: unknown op 'toString'/],
    ["op 'hasOwnProperty'", graph([leaf(), op("hasOwnProperty", [0], [2])]), /node 1: unknown op 'hasOwnProperty'/],
    ["an op that is no string", graph([leaf(), op(5 as unknown as string, [0], [2])]), /node 1: op must be a string, got 5/],
    ["a reduction dim out of range", graph([leaf(), op("sum", [0], [2], { attrs: { dims: [5], keepdim: false } })]), /node 1: sum: dimension out of range/],
    ["attributes with a '__proto__' key", graph([leaf(), JSON.parse('{"op":"sum","inputs":[0],"attrs":{"__proto__":{"dims":[0]}},"shape":[],"dtype":"float32"}')]), /node 1: sum: an attribute may not be named '__proto__'/],
    ["attributes that are null", graph([leaf(), op("sum", [0], [], { attrs: null })]), /node 1: sum: attributes must be an object, got null/],
    ["attributes that are a list", graph([leaf(), op("neg", [0], [2], { attrs: [] })]), /node 1: neg: attributes must be an object, got \[\]/],
    ["an attribute nested 100,000 deep", graph([leaf(), op("sum", [0], [], { attrs: { dims: deeplyNested(100_000) } })]), /node 1: sum: attribute 'dims' must be a number, string, boolean, null or a flat list/],
    ["inputs that are no list", graph([leaf(), op("neg", "0" as unknown as number[], [2])]), /node 1: inputs must be a list of node indices, got "0"/],
    ["an input that is a string", graph([leaf(), op("neg", ["0"] as unknown as number[], [2])]), /node 1: input 0 must be the index of an earlier node, got "0"/],
    ["a fractional input", graph([leaf(), op("neg", [0.5], [2])]), /node 1: input 0 must be the index of an earlier node, got 0.5/],
    ["an input referring to the node itself", graph([leaf(), op("neg", [1], [2])]), /node 1: input 0 must be the index of an earlier node, got 1/],
    ["a name that is no string", graph([leaf({ name: 5 })]), /node 0: name must be a string, got 5/],
    ["a scope that is no string", graph([leaf({ scope: {} })]), /node 0: scope must be a string, got an object/],
    ["requiresGrad that is no boolean", graph([leaf({ requiresGrad: "yes" })]), /node 0: requiresGrad must be true or false, got "yes"/],
    ["an int32 leaf requiring gradients", graph([leaf({ dtype: "int32", requiresGrad: true })]), /node 0: only float leaves can require gradients/],
    ["a recorded shape the shape rule does not give", graph([leaf(), op("neg", [0], [3])]), /node 1: 'neg' gives float32 \[2\] but the file says float32 \[3\]/],
    ["a recorded dtype the shape rule does not give", graph([leaf(), op("neg", [0], [2], { dtype: "float64" })]), /node 1: 'neg' gives float32 \[2\] but the file says float64 \[2\]/],
    ["a constant with inputs", graph([leaf(), leaf({ inputs: [0] })]), /node 1: a constant has no inputs, got 1/],
    ["a constant with attributes", graph([leaf({ attrs: { dim: 0 } })]), /node 0: a constant has no attributes, got an object/],
    ["a placeholder with data", graph([leaf({ op: "placeholder" })]), /node 0: a placeholder holds no data/],
    ["an op node with data", graph([leaf(), op("neg", [0], [2], { data: [5, 6] })]), /node 1: only constants hold data, this node is 'neg'/],
    ["an unknown node field", graph([leaf({ datta: [1, 2] })]), /node 0: unknown field 'datta'/],
    ["an unknown graph field", { ...graph([leaf()]), version: 2 }, /^fromJSON: unknown field 'version'/],
    ["a node that is null", graph([null]), /node 0: expected an object, got null/],
    ["a node that is a list", graph([[1, 2]]), /node 0: expected an object, got \[1, 2\]/],
    ["nodes that are no list", { format: "gradgraph-graph/1", nodes: {}, outputs: [] }, /nodes must be a list, got an object/],
    ["a hole in the nodes", graph(new Array(2), []), /node 0: expected an object, got undefined/],
    ["no format", { nodes: [], outputs: [] }, /expected an object with format "gradgraph-graph\/1"/],
    ["a node whose fields come from its prototype", graph([Object.assign(Object.create({ dtype: "float32", shape: [2] }), { op: "constant", inputs: [], data: [1, 2] })]), /node 0: expected an object/],
  ])("%s", (_what, json, message) => {
    expect(loadError(json).message).toMatch(message);
  });

  it("keeps the original error as the cause", () => {
    const error = loadError(graph([leaf(), op("sum", [0], [2], { attrs: { dims: [5], keepdim: false } })]));
    expect(error.cause).toBeInstanceOf(OpError);
  });

  it("reads only a file's own fields, not what Object.prototype holds", () => {
    Object.defineProperty(Object.prototype, "scope", { value: "polluted", configurable: true });
    try {
      const [loaded] = fromJSON(graph([leaf()])).outputs;
      expect(loaded.scope).toBeUndefined();
    } finally {
      delete (Object.prototype as { scope?: unknown }).scope;
    }
  });

  it("loads what it should: encoded specials, null-prototype objects, a placeholder requiring gradients", () => {
    const specials = fromJSON(graph([leaf({ dtype: "float64", shape: [4], data: ["NaN", "Infinity", "-Infinity", "-0"] })])).outputs[0];
    const values = Array.from(specials.data());
    expect(values.slice(0, 3)).toEqual([NaN, Infinity, -Infinity]);
    expect(Object.is(values[3], -0)).toBe(true);
    const bare = Object.assign(Object.create(null), leaf());
    expect(Array.from(fromJSON(graph([bare])).outputs[0].data())).toEqual([1, 2]);
    const [input] = fromJSON(graph([leaf({ op: "placeholder", data: undefined, requiresGrad: true })])).outputs;
    expect([input.op, input.requiresGrad]).toEqual(["placeholder", true]);
  });

  it("reads a user op's attributes as plain data too, though it declares no canonicalize", () => {
    registerOp({ name: "jsonHostile.identity", arity: 1, infer: ([x]) => x, kernel: ([x]) => x.data, vjp: (g) => [g] });
    const file = (attrs: unknown) => graph([leaf(), op("jsonHostile.identity", [0], [2], { attrs })]);
    expect(loadError(file({ depth: deeplyNested(100_000) })).message).toMatch(/node 1: jsonHostile.identity: attribute 'depth' must be a number/);
    expect(loadError(file({ mixed: [1, "a"] })).message).toMatch(/attribute 'mixed' must be .* got \[1, "a"\]/);
    expect(loadError(file(JSON.parse('{"__proto__": 1}'))).message).toMatch(/an attribute may not be named '__proto__'/);
    expect(Array.from(fromJSON(file({ note: "kept", sizes: [1, 2] })).outputs[0].data())).toEqual([1, 2]);
  });

  it("spells attributes any way building does: concat along dim -1 is concat along the last dim", () => {
    const [a, b] = [tensor([[1, 2], [3, 4]]), tensor([[5], [6]])];
    const file = graph([leaf({ shape: [2, 2], data: [1, 2, 3, 4] }), leaf({ shape: [2, 1], data: [5, 6] }), op("concat", [0, 1], [2, 3], { attrs: { dim: -1 } })]);
    expect(Array.from(fromJSON(file).outputs[0].data())).toEqual(Array.from(concat([a, b], 1).data()));
  });
});
