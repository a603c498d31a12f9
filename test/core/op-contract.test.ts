/**
 * The OpDef contract, enforced where a definition enters and wherever its functions run: what
 * they return is checked where it comes back, and an error thrown inside one names the op and
 * the module path of the node, keeping the original as its cause.
 */
import { describe, expect, it } from "vitest";
import {
  apply,
  type Attrs,
  compile,
  fromJSON,
  gather,
  getOp,
  grad,
  OpError,
  type OpDef,
  ones,
  placeholder,
  registerOp,
  scalar,
  type Tensor,
  tensor,
  toJSON,
  unaryOp,
  withScope,
} from "@gradgraph/core";

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error("expected an error, but none was thrown");
}

let count = 0;
/** A well-formed definition (the identity) under a fresh name, with `fields` replaced. */
function definition(fields: Record<string, unknown> = {}): OpDef {
  return { name: `contract.op${count++}`, arity: 1, infer: ([x]) => x, kernel: ([x]) => x.data, vjp: (g) => [g], ...fields } as OpDef;
}

const register = (fields: Record<string, unknown>) => registerOp(definition(fields));

describe("registerOp checks the definition's shape", () => {
  const fn = () => undefined;
  it.each<[string, unknown, RegExp]>([
    ["no object at all", null, /^registerOp: expected an op definition object, got null$/],
    ["a name that is no string", { name: undefined }, /^registerOp: op name undefined must be an identifier/],
    ["a name that is a number", { name: 5 }, /^registerOp: op name 5 must be an identifier/],
    ["a name starting with a digit", { name: "1op" }, /^registerOp: op name "1op" must be an identifier/],
    ["a name with a space", { name: "my op" }, /^registerOp: op name "my op" must be an identifier/],
    ["the name of a leaf kind", { name: "constant" }, /^registerOp: 'constant' is the name of a leaf kind and cannot name an op$/],
    ["a negative arity", { arity: -1 }, /' arity must be a non-negative integer or "variadic", got -1$/],
    ["a fractional arity", { arity: 1.5 }, /' arity must be .* got 1.5$/],
    ["an arity given as a string", { arity: "2" }, /' arity must be .* got "2"$/],
    ["no shape rule", { infer: undefined }, /' infer must be a function \(the shape rule\), got undefined$/],
    ["no kernel", { kernel: undefined }, /' kernel must be a function, got undefined$/],
    ["a kernel that is a string", { kernel: "a + b" }, /' kernel must be a function, got "a \+ b"$/],
    ["no VJP", { vjp: undefined }, /' vjp must be a function or "nondifferentiable", got undefined$/],
    ["a misspelt nondifferentiable", { vjp: "non-differentiable" }, /' vjp must be a function or "nondifferentiable", got "non-differentiable"$/],
    ["a canonicalize that is no function", { canonicalize: {} }, /' canonicalize must be a function, got an object$/],
    ["an elementwise formula given bare", { elementwise: "a + b" }, /' elementwise must be \{ expr: string, params\?: names \}, got "a \+ b"$/],
    ["an elementwise formula that is no string", { elementwise: { expr: 5 } }, /' elementwise must be \{ expr: string, params\?: names \}, got an object$/],
    ["formula params that are no names", { elementwise: { expr: "a * k", params: ["1k"] } }, /' elementwise must be \{ expr: string, params\?: names \}, got an object$/],
    ["a view rule that is no function", { view: {} }, /' view must be a function, got an object$/],
    ["a placement rule that is no function", { placement: "concat" }, /' placement must be a function, got "concat"$/],
    ["a reduction whose dims are a list", { reduction: { dims: [0], identity: 0, combine: "acc + v" } }, /' reduction must be \{ dims: function, identity: number, combine: string \}/],
    ["a reduction whose identity is a string", { reduction: { dims: fn, identity: "0", combine: "acc + v" } }, /' reduction must be/],
    ["a reduction whose combine is a function", { reduction: { dims: fn, identity: 0, combine: fn } }, /' reduction must be/],
    ["matrixProduct other than true", { matrixProduct: 1 }, /' matrixProduct must be true, got 1$/],
    ["two compiled meanings", { elementwise: { expr: "a" }, view: fn }, /' may have at most one compiled meaning, got elementwise and view$/],
    ["a misspelt field", { canonicalise: fn }, /' has an unknown field 'canonicalise' \(expected name, arity, canonicalize, infer, kernel, vjp, jvp, batch, elementwise/],
  ])("refuses %s, naming the op and the field", (_what, fields, message) => {
    const def = fields === null ? null : definition(fields as Record<string, unknown>);
    const error = thrown(() => registerOp(def as OpDef));
    expect(error.message).toMatch(message);
    if (def !== null && typeof def.name === "string" && def.name.startsWith("contract.")) {
      expect(error.message).toContain(`'${def.name}'`);
      expect(() => getOp(def.name), "a refused definition is not registered").toThrow(/unknown op/);
    }
  });

  it("accepts every optional field in its right form", () => {
    expect(() => register({ canonicalize: (_inputs: unknown, attrs: Attrs) => attrs, vjp: "nondifferentiable", elementwise: { expr: "a" } })).not.toThrow();
    expect(() => register({ reduction: { dims: () => [0], identity: -Infinity, combine: "Math.max(acc, v)" } })).not.toThrow();
    expect(() => register({ arity: "variadic", matrixProduct: true })).not.toThrow();
  });
});

describe("formula params", () => {
  let made = 0;
  const scaledOp = () => unaryOp<{ k: number }>(`contract.scaled${made++}`, "a * k", (g, { attrs: { k } }) => [g.mul(k)], { k: 2 });

  it("a formula reads the node's number attributes, in the interpreter, compiled programs and files", () => {
    const op = registerOp(scaledOp());
    const x = tensor([1, -2, 4]);
    const tripled = apply(op, [x], { k: 3 });
    expect(Array.from(tripled.data())).toEqual([3, -6, 12]);
    expect(Array.from(apply(op, [x]).data()), "the default").toEqual([2, -4, 8]);
    expect(Array.from(compile({ inputs: [], outputs: [tripled] }).run([])[0])).toEqual([3, -6, 12]);
    expect(Array.from(fromJSON(JSON.parse(JSON.stringify(toJSON([apply(op, [x], { k: -Infinity })])))).outputs[0].data())).toEqual([-Infinity, Infinity, -Infinity]);
  });

  it("a param that is no number is refused when the node is built, naming the op and the attribute", () => {
    const op = registerOp({ ...scaledOp(), canonicalize: (_inputs, attrs) => attrs as { k: number } });
    expect(thrown(() => apply(op, [ones([2])], { k: "2" })).message).toBe(`${op.name}: canonicalize failed: the formula reads attribute 'k' as a number, got "2"`);
    expect(thrown(() => apply(registerOp(scaledOp()), [ones([2])], { k: "2" })).message).toMatch(/attribute 'k' must be a number, got "2"$/);
  });
});

describe("the shape rule's errors and results, when a node is built", () => {
  it("an OpError of a shape rule names the module path too", () => {
    const error = thrown(() => withScope("encoder", () => withScope("l1", () => ones([2, 3]).add(ones([4, 3])))));
    expect(error).toBeInstanceOf(OpError);
    expect(error.message).toBe(
      "add in 'encoder.l1': the size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0 (shapes [2, 3] and [4, 3])",
    );
    expect([(error as OpError).op, (error as OpError).scope]).toEqual(["add", "encoder.l1"]);
    expect(error.cause).toBeInstanceOf(OpError);
    expect(thrown(() => ones([2, 3]).add(ones([4, 3]))).message, "outside any scope, as before").toMatch(/^add: the size of tensor a/);
  });

  it("so does one of the attribute rules", () => {
    expect(thrown(() => withScope("head", () => ones([2, 3]).sum(5))).message).toBe(
      "sum in 'head': dimension out of range (expected to be in range of [-2, 1], but got 5)",
    );
  });

  it("a shape rule that throws something else is named, with the original as cause", () => {
    const boom = new TypeError("Cannot read properties of undefined (reading 'length')");
    const op = register({
      infer: () => {
        throw boom;
      },
    });
    const error = thrown(() => withScope("rnn.l0.t2", () => apply(op, [ones([2])])));
    expect(error).toBeInstanceOf(OpError);
    expect(error.message).toBe(`${op.name} in 'rnn.l0.t2': shape rule failed: Cannot read properties of undefined (reading 'length')`);
    expect(error.cause).toBe(boom);
  });

  it.each<[string, unknown, string]>([
    ["nothing", undefined, "undefined"],
    ["a shape with a negative size", { shape: [-1], dtype: "float32" }, "shape [-1], dtype \"float32\""],
    ["a shape with NaN", { shape: [NaN], dtype: "float32" }, "shape [NaN], dtype \"float32\""],
    ["an unknown dtype", { shape: [2], dtype: "float16" }, "shape [2], dtype \"float16\""],
  ])("a shape rule returning %s is the op's error, not a later TypeError", (_what, meta, got) => {
    const op = register({ infer: () => meta });
    expect(thrown(() => apply(op, [ones([2])])).message).toBe(
      `${op.name}: the shape rule must return a shape of non-negative integers and a dtype (float32, float64, int32, bool), got ${got}`,
    );
  });

  it("attributes must be plain JSON data, even for an op without canonicalize", () => {
    const op = register({});
    let deep: unknown[] = [0];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const error = thrown(() => apply(op, [ones([2])], { deep } as unknown as Attrs));
    expect(error).toBeInstanceOf(OpError);
    expect(error.message).toMatch(/attribute 'deep' must be a number, string, boolean, null or a flat list of numbers or of strings, got \[an array\]/);
    expect(thrown(() => apply(op, [ones([2])], new Map() as unknown as Attrs)).message).toBe(`${op.name}: attributes must be an object, got an object`);
  });
});

describe("kernel outputs are checked, in the evaluator and in compiled programs", () => {
  const float32Op = (kernel: (x: Float32Array) => unknown) => register({ kernel: ([x]: { data: Float32Array }[]) => kernel(x.data) });
  it.each<[string, (x: Float32Array) => unknown, string]>([
    ["a Float64Array for a float32 node", (x) => Float64Array.from(x), "a Float64Array of 3 values"],
    ["a plain Array", (x) => Array.from(x), "an Array of 3 values"],
    ["an Int32Array", (x) => Int32Array.from(x), "an Int32Array of 3 values"],
    ["too few values", (x) => x.slice(1), "a Float32Array of 2 values"],
    ["too many values", (x) => Float32Array.of(...x, 0), "a Float32Array of 4 values"],
    ["nothing", () => undefined, "undefined"],
  ])("refuses %s", (_what, kernel, got) => {
    const op = float32Op(kernel);
    const expected = `${op.name} in 'layer': the kernel returned ${got}; expected a Float32Array of 3 values for float32 [3]`;
    const input = placeholder([3], "float32", "x");
    const y = withScope("layer", () => apply(op, [input]));
    input.assign([1, 2, 3]);
    expect(thrown(() => y.data()).message).toBe(expected);
    expect(thrown(() => compile({ inputs: [input], outputs: [y] }).run([[1, 2, 3]])).message).toBe(expected);
    // Applied to shared constants, the compiler folds the node by running its kernel once, at compile time.
    const folded = withScope("layer", () => apply(op, [scalar(1)]));
    expect(thrown(() => compile({ outputs: [folded.mul(1)] })).message).toMatch(new RegExp(`^${op.name.replace(".", "\\.")} in 'layer': the kernel returned`));
  });

  it("an error inside a kernel names the op and the module path, the original kept as cause", () => {
    const boom = new RangeError("offset is out of bounds");
    const op = register({
      kernel: () => {
        throw boom;
      },
    });
    const input = placeholder([2], "float32");
    const y = withScope("rnn.l0.t2", () => apply(op, [input]));
    input.assign([1, 2]);
    for (const run of [() => y.data(), () => compile({ inputs: [input], outputs: [y] }).run([[1, 2]])]) {
      const error = thrown(run);
      expect(error).toBeInstanceOf(OpError);
      expect(error.message).toBe(`${op.name} in 'rnn.l0.t2': kernel failed: offset is out of bounds`);
      expect(error.cause).toBe(boom);
    }
  });

  it("a built-in kernel's own error gains the module path", () => {
    const index = placeholder([2, 1], "int32");
    const picked = withScope("decoder.t3", () => gather(ones([2, 3]), 1, index));
    index.assign([5, 0]);
    const expected = "gather in 'decoder.t3': index 5 is out of bounds for dimension 1 with size 3";
    expect(thrown(() => picked.data()).message).toBe(expected);
    const error = thrown(() => compile({ inputs: [index], outputs: [picked] }).run([[5, 0]]));
    expect(error.message).toBe(expected);
    expect((error.cause as Error).message).toBe("gather: index 5 is out of bounds for dimension 1 with size 3");
  });
});

describe("VJP results are checked when gradients are built", () => {
  const x = tensor([1, 2], { dtype: "float64" });
  const gradientOf = (vjp: unknown, scope = "head") => {
    const op = register({ vjp });
    return { op, build: () => grad(withScope(scope, () => apply(op, [x])).sum(), [x]) };
  };

  it.each<[string, unknown, string]>([
    ["too few gradients", () => [], "must be a list of 1 entries, one per input (null for none), got 0"],
    ["too many gradients", (g: Tensor) => [g, g], "must be a list of 1 entries, one per input (null for none), got 2"],
    ["a Tensor instead of a list", (g: Tensor) => g, "must be a list of 1 entries, one per input (null for none), got an object"],
    ["undefined for an input", () => [undefined], "for input 0 must be a Tensor or null, got undefined"],
    ["a number for an input", () => [1], "for input 0 must be a Tensor or null, got 1"],
    ["the wrong dtype", (g: Tensor) => [g.cast("float32")], "for input 0 has float32 [2], but the input is float64 [2]"],
    ["the wrong shape", (g: Tensor) => [g.sum()], "for input 0 has float64 [], but the input is float64 [2]"],
  ])("refuses %s, never reading them as zero gradients", (_what, vjp, message) => {
    const { op, build } = gradientOf(vjp);
    const error = thrown(build);
    expect(error).toBeInstanceOf(OpError);
    expect(error.message).toBe(`grad: the gradient of '${op.name}' in 'head' ${message}`);
  });

  it("null means no contribution, for any input", () => {
    const { build } = gradientOf(() => [null]);
    expect(Array.from(build()[0].data())).toEqual([0, 0]);
  });

  it("an error inside a VJP names the op and the module path, the original kept as cause", () => {
    const boom = new Error("boom");
    const { op, build } = gradientOf(() => {
      throw boom;
    }, "rnn.l0.t2");
    const error = thrown(build);
    expect(error).toBeInstanceOf(OpError);
    expect(error.message).toBe(`${op.name} in 'rnn.l0.t2': gradient (VJP) failed: boom`);
    expect(error.cause).toBe(boom);
  });

  it("so does an invalid node built inside a VJP, which names its own op and the backward scope", () => {
    const { op, build } = gradientOf((g: Tensor) => [g.add(ones([3], { dtype: "float64" }))], "rnn.l0.t2");
    expect(thrown(build).message).toBe(
      `${op.name} in 'rnn.l0.t2': gradient (VJP) failed: add in 'backward.rnn.l0.t2': the size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0 (shapes [2] and [3])`,
    );
  });

  it("backward() goes through the same checks", () => {
    const w = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const op = register({ vjp: () => [] });
    expect(thrown(() => apply(op, [w]).sum().backward()).message).toBe(`grad: the gradient of '${op.name}' must be a list of 1 entries, one per input (null for none), got 0`);
  });
});
