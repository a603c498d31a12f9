/**
 * fromJSON reads untrusted files: every field is checked as building the graph in code would
 * check it, nothing is read from a prototype, and a small file cannot make us allocate much.
 * Hand-written hostile files first, then a fuzzer that mutates saved random graphs: every result
 * is a clear "fromJSON: ..." error or a graph holding exactly what the file says.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isFloat,
  apply,
  type Attrs,
  type BuiltinOpName,
  builtinOps,
  concat,
  type DType,
  evaluate,
  fromJSON,
  grad,
  OpError,
  registerOp,
  sum,
  type Tensor,
  tensor,
  toJSON,
} from "@gradgraph/core";
import { cases } from "./op-cases";

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
    ["an unknown dtype", graph([leaf({ dtype: "float16" })]), /node 0: dtype must be one of float32, float64, int32, bool, got "float16"/],
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

// ---------------------------------------------------------------------------------------------
// The fuzzer

/** A saved graph of one to three built-in ops on sampled inputs, with the gradients of the first, and its values. */
interface Saved {
  json: Json;
  text: string;
  values: number[][];
}

const opNames = Object.keys(builtinOps) as BuiltinOpName[];

const savedGraphArb: fc.Arbitrary<Saved> = fc
  .array(fc.constantFrom(...opNames), { minLength: 1, maxLength: 3 })
  .chain((names) => fc.tuple(fc.tuple(...names.map((name) => cases[name].sample.map((sample) => ({ name, sample })))), fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 3 })))
  .map(([built, extra]) => {
    const nodes = built.map(({ name, sample }) => apply(builtinOps[name], sample.inputs, sample.attrs));
    const outputs: Tensor[] = [...nodes, tensor(extra, { dtype: "float32" }).mul(2)];
    const first = built[0];
    const wrt = first.sample.inputs.filter((x: Tensor) => isFloat(x.dtype));
    if (!cases[first.name].nondifferentiable && isFloat(nodes[0].dtype) && wrt.length > 0) outputs.push(...grad(sum(nodes[0]), wrt));
    const text = JSON.stringify(toJSON(outputs));
    return { json: JSON.parse(text) as Json, text, values: evaluate(outputs).map((v) => Array.from(v)) };
  });

interface Mutation {
  kind: number;
  at: number;
  pick: number;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({ kind: fc.nat({ max: 8 }), at: fc.nat(), pick: fc.nat() });

const hostileValues: readonly unknown[] = [
  -1, 0, 1, 2, 0.5, -0, 1e300, 2 ** 31, 2 ** 53, NaN, Infinity, "", "abc", "NaN", "-0", "Infinity", "__proto__", "constructor",
  "toString", "float16", "int32", "float64", "constant", "placeholder", "sum", true, false, null, undefined, [], {}, [0], [-1], ["0"],
  [[0]], [0, 1, 2], JSON.parse('{"__proto__": [0]}'), { dims: [0] },
];
const hostileKeys = ["extra", "data", "__proto__", "attrs", "requiresGrad", "name", "scope", "constructor"];
const validNumbers: Record<DType, readonly unknown[]> = {
  float32: [0, -0, "-0", 1.25, -3.5, 1e-40, 3e38, "NaN", "Infinity", "-Infinity", 0.1],
  float64: [0, "-0", 1.25, -3.5, 1e-310, 1e300, "NaN", "Infinity", "-Infinity", 0.1],
  int32: [0, -0, 1, -1, 2, 7, 2 ** 31 - 1, -(2 ** 31)],
  bool: [0, 1, -0],
};

type Container = Record<string | number, unknown>;
interface Slot {
  container: Container;
  key: string | number;
}

/** Every place a value sits in the file, walked without recursion and not into anything nested deeper than a file ever is. */
function slotsOf(root: Container): Slot[] {
  const slots: Slot[] = [];
  const stack: { value: Container; depth: number }[] = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    for (const key of Array.isArray(value) ? value.keys() : Object.keys(value)) {
      slots.push({ container: value, key });
      const child = value[key];
      if (child !== null && typeof child === "object" && depth < 6) stack.push({ value: child as Container, depth: depth + 1 });
    }
  }
  return slots;
}

function setOwn(container: Container, key: string | number, value: unknown): void {
  Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The data entries of constants, with their dtype: where a mutation changes values, not structure. */
function dataSlots(file: Json): { data: unknown[]; index: number; dtype: DType }[] {
  const nodes = Array.isArray(file.nodes) ? (file.nodes as unknown[]) : [];
  return nodes.flatMap((node) => {
    const { op: kind, data, dtype } = (node ?? {}) as Json;
    if (kind !== "constant" || !Array.isArray(data) || !(dtype === "float32" || dtype === "float64" || dtype === "int32")) return [];
    return data.map((_, index) => ({ data, index, dtype }));
  });
}

function mutate(file: Json, { kind, at, pick }: Mutation): void {
  const slots = slotsOf(file);
  const { container, key } = slots[at % slots.length];
  const value = container[key];
  const isList = Array.isArray(container);
  switch (kind) {
    case 0: // any value where any other was
      return setOwn(container, key, hostileValues[pick % hostileValues.length]);
    case 1: // a nearby number, or a string one character off
      if (typeof value === "number") return setOwn(container, key, [value + 1, value - 1, -value, value * 2, value / 2, value + 0.25][pick % 6]);
      if (typeof value === "string") return setOwn(container, key, pick % 2 === 0 ? value.slice(1) : `${value}x`);
      return setOwn(container, key, hostileValues[pick % hostileValues.length]);
    case 2: // a key or list entry deleted
      if (isList) (container as unknown as unknown[]).splice(key as number, 1);
      else delete container[key];
      return;
    case 3: // a list entry duplicated, or a key added
      if (isList) (container as unknown as unknown[]).splice(key as number, 0, value);
      else setOwn(container, hostileKeys[pick % hostileKeys.length], value);
      return;
    case 4: {
      // two nodes swapped
      const nodes = file.nodes as unknown[];
      if (!Array.isArray(nodes) || nodes.length < 2) return;
      const [i, j] = [at % nodes.length, pick % nodes.length];
      [nodes[i], nodes[j]] = [nodes[j], nodes[i]];
      return;
    }
    case 5: // deep nesting
      return setOwn(container, key, deeplyNested(20_000));
    case 6: {
      // the keys of an object in another order: the same file
      if (isList || value === null || typeof value !== "object" || Array.isArray(value)) return;
      const entries = Object.entries(value as Json).reverse();
      return setOwn(container, key, Object.fromEntries(entries));
    }
    case 7: {
      // a dim counted from the end: the same graph
      if (!["dim", "dim0", "dim1", "dims"].includes(String(key)) || isList) return;
      const shift = 1 + (pick % 4);
      return setOwn(container, key, Array.isArray(value) ? value.map((d) => (typeof d === "number" ? d - shift : d)) : typeof value === "number" ? value - shift : value);
    }
    default: {
      // a data value changed to another valid one of its dtype
      const entries = dataSlots(file);
      if (entries.length === 0) return;
      const { data, index, dtype } = entries[at % entries.length];
      data[index] = validNumbers[dtype][pick % validNumbers[dtype].length];
    }
  }
}

/** What a file's data entry means for its dtype, as plain JS computes it. */
function expectedValue(v: unknown, dtype: DType): number {
  const n = v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v === "-0" ? -0 : (v as number);
  // A bool stores 0 or 1: a -0 in the file is false, stored as 0.
  return dtype === "float32" ? Math.fround(n) : dtype === "int32" ? n | 0 : dtype === "bool" ? (n === 0 ? 0 : 1) : n;
}

const sameBits = (a: number, b: number) => Object.is(a, b) || (a !== a && b !== b);

function expectSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) if (!sameBits(actual[i], expected[i])) expect.fail(`${label}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
}

/** Evaluation of a loaded graph may fail only as an op fails on bad values (an index out of range), never with an internal error. */
function evaluateOrExplain(outputs: readonly Tensor[]): number[][] | Error {
  try {
    return evaluate(outputs).map((v) => Array.from(v));
  } catch (error) {
    expect(error).toBeInstanceOf(OpError);
    return error as Error;
  }
}

/** The graph the file describes, built in code from its records (no fromJSON involved), with its values or its error. */
function buildInCode(file: Json): number[][] | Error {
  const nodes: Tensor[] = [];
  for (const spec of file.nodes as Json[]) {
    const inputs = (spec.inputs as number[]).map((i) => nodes[i]);
    const dtype = spec.dtype as DType;
    nodes.push(
      spec.op === "constant"
        ? tensor((spec.data as unknown[]).map((v) => expectedValue(v, dtype)), { shape: spec.shape as number[], dtype })
        : apply(builtinOps[spec.op as BuiltinOpName], inputs, spec.attrs as Attrs),
    );
  }
  return evaluateOrExplain((file.outputs as number[]).map((i) => nodes[i]));
}

describe("fromJSON fuzzed with mutated saved graphs", () => {
  it("gives a clear error or a graph holding exactly what the file says; no-op mutations keep the values", () => {
    fc.assert(
      fc.property(savedGraphArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (saved, mutations) => {
        const file = JSON.parse(saved.text) as Json;
        for (const mutation of mutations) mutate(file, mutation);
        let loaded: ReturnType<typeof fromJSON>;
        try {
          loaded = fromJSON(file);
        } catch (error) {
          expectLoadError(error);
          return;
        }
        // It loaded, so the file is well formed: every node is what its record says (records
        // of one node, same op, inputs and attributes, are one node, named by the first).
        const specs = file.nodes as Json[];
        loaded.nodes.forEach((node, i) => {
          const spec = specs[i];
          // A size of -0 in the file (JSON text can hold one) is the size 0.
          const specShape = (spec.shape as number[]).map((size) => (size === 0 ? 0 : size));
          expect([node.op, node.dtype, [...node.shape]]).toEqual([spec.op, spec.dtype, specShape]);
          if (loaded.nodes.indexOf(node) === i) expect([node.scope, node.name]).toEqual([spec.scope, spec.name]);
          if (node.op === "constant") {
            const dtype = node.dtype;
            expectSameValues(node.data(), (spec.data as unknown[]).map((v) => expectedValue(v, dtype)), `node ${i} data`);
          }
        });
        const values = evaluateOrExplain(loaded.outputs);
        const again = JSON.stringify(toJSON(loaded.outputs));
        expect(JSON.stringify(toJSON(fromJSON(JSON.parse(again)).outputs)), "a loaded graph saves and loads again").toBe(again);
        if (again === saved.text) {
          expect(values).not.toBeInstanceOf(Error);
          (values as number[][]).forEach((v, k) => expectSameValues(v, saved.values[k], `output ${k}`));
        }
      }),
      { numRuns: 400 },
    );
  });

  it("loads any valid change of data with exactly that data, and the values the same graph built in code has", () => {
    fc.assert(
      fc.property(savedGraphArb, fc.array(fc.record({ at: fc.nat(), pick: fc.nat() }), { minLength: 1, maxLength: 4 }), (saved, changes) => {
        const file = JSON.parse(saved.text) as Json;
        for (const { at, pick } of changes) mutate(file, { kind: 8, at, pick });
        const loaded = fromJSON(file);
        const values = evaluateOrExplain(loaded.outputs);
        const expected = buildInCode(file);
        if (expected instanceof Error) {
          expect((values as Error).message).toBe(expected.message);
          return;
        }
        expect(values).not.toBeInstanceOf(Error);
        expected.forEach((v, k) => expectSameValues((values as number[][])[k], v, `output ${k}`));
      }),
      { numRuns: 200 },
    );
  });
});
