/**
 * Printing tensors: the strings of PyTorch 1.13's `repr` (test/fixtures/print.json, written by
 * make_print.py), with gradgraph's spellings of dtypes and grad_fn mapped explicitly below;
 * tensors that cannot be evaluated; print options; Node's util.inspect; and printing leaves
 * later evaluation and backward as they would have been.
 */
import { format, inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  type DType,
  type PrintOptions,
  type Tensor,
  getPrintOptions,
  placeholder,
  setPrintOptions,
  tensor,
} from "@gradgraph/core";
import { formatFixed, formatScientific } from "../../packages/core/src/basics/pythonFloat";
import { loadFixture } from "../helpers/fixtures";

type FixtureNumber = number | "NaN" | "Infinity" | "-Infinity";

interface ReprCase {
  id: string;
  kind: "repr";
  tensor: { dtype: DType; shape: number[]; data: FixtureNumber[] };
  options: Record<string, FixtureNumber | boolean | string>;
  requires_grad?: true;
  op?: keyof typeof ops;
  repr: string;
}

interface FormatCase {
  id: string;
  kind: "format";
  precision: number;
  values: FixtureNumber[];
  fixed: string[];
  scientific: string[];
}

const cases = loadFixture<ReprCase | FormatCase>("print.json");

/** What make_print.py applied to the leaf, and PyTorch's grad_fn for it beside gradgraph's op name. */
const ops = {
  mul2: { apply: (x: Tensor) => x.mul(2), torch: "MulBackward0", gradgraph: "mul" },
  neg: { apply: (x: Tensor) => x.neg(), torch: "NegBackward0", gradgraph: "neg" },
  sum: { apply: (x: Tensor) => x.sum(), torch: "SumBackward0", gradgraph: "sum" },
  tanh: { apply: (x: Tensor) => x.tanh(), torch: "TanhBackward0", gradgraph: "tanh" },
  reshape: { apply: (x: Tensor) => x.reshape(-1), torch: "ReshapeAliasBackward0", gradgraph: "reshape" },
};

/** torch.set_printoptions's keywords as gradgraph's options. */
function printOptions(torchOptions: ReprCase["options"]): Parameters<typeof setPrintOptions>[0] {
  const names: Record<string, string> = { sci_mode: "sciMode" };
  return Object.fromEntries(
    Object.entries(torchOptions).map(([key, value]) => [names[key] ?? key, typeof value === "string" && key !== "profile" ? Number(value) : value]),
  );
}

/**
 * PyTorch's text in gradgraph's spellings: `dtype=torch.float64` is `dtype=float64`, grad_fn names
 * the op. A renamed suffix is shorter, so where PyTorch moved it to a new line gradgraph may not:
 * for those cases line breaks before suffixes are compared as ", " (the exact placement of
 * gradgraph's own spellings is checked by hand below).
 */
function inGradgraphSpelling(repr: string, op: ReprCase["op"]): { text: string; renamed: boolean } {
  let text = repr.replace(/dtype=torch\.(\w+)/g, "dtype=$1");
  if (op !== undefined) text = text.replace(`grad_fn=<${ops[op].torch}>`, `grad_fn=<${ops[op].gradgraph}>`);
  return { text, renamed: text !== repr };
}

const joinSuffixLines = (text: string) => text.replace(/,\n +(?=(dtype|grad_fn|requires_grad|size)=)/g, ", ");

function build(c: ReprCase): Tensor {
  const leaf = tensor(c.tensor.data.map(Number), { shape: c.tensor.shape, dtype: c.tensor.dtype, requiresGrad: c.requires_grad === true || c.op !== undefined });
  return c.op === undefined ? leaf : ops[c.op].apply(leaf);
}

afterEach(() => {
  setPrintOptions({ profile: "default" });
});

describe("tensors print as PyTorch's repr", () => {
  const reprCases = cases.filter((c): c is ReprCase => c.kind === "repr");

  it("covers every kind of case the fixture holds", () => {
    expect(reprCases.length).toBeGreaterThan(100);
    expect(reprCases.some((c) => c.repr.includes("..."))).toBe(true);
    expect(reprCases.some((c) => c.repr.includes("e+"))).toBe(true);
    expect(reprCases.some((c) => c.repr.includes("size=("))).toBe(true);
  });

  it.each(reprCases.map((c) => [c.id, c] as const))("%s", (_, c) => {
    setPrintOptions({ profile: "default", ...printOptions(c.options) });
    const actual = String(build(c));
    const expected = inGradgraphSpelling(c.repr, c.op);
    if (expected.renamed) expect(joinSuffixLines(actual)).toBe(joinSuffixLines(expected.text));
    else expect(actual).toBe(expected.text);
  });
});

describe("numbers are written as Python's format writes them", () => {
  const formatCases = cases.filter((c): c is FormatCase => c.kind === "format");

  it.each(formatCases.map((c) => [c.precision, c] as const))(".%if and .%ie", (_, c) => {
    const values = c.values.map(Number);
    expect(values.map((v) => formatFixed(v, c.precision))).toEqual(c.fixed);
    expect(values.map((v) => formatScientific(v, c.precision))).toEqual(c.scientific);
  });
});

describe("gradgraph's own spellings, laid out by PyTorch's rules (worked out by hand)", () => {
  it("a short dtype suffix stays on the line where PyTorch's longer one would wrap", () => {
    // The last line is 62 characters: 62 + 2 + 2 + len("dtype=float64") = 79 fits in 80; torch's 19 characters would not.
    const x = tensor([[0.5, -1.25, 2, 0.75, -0.125, 3], [1, 2, 3, 4, 5, 6.5]], { dtype: "float64" });
    expect(String(x)).toBe(
      "tensor([[ 0.5000, -1.2500,  2.0000,  0.7500, -0.1250,  3.0000],\n" +
        "        [ 1.0000,  2.0000,  3.0000,  4.0000,  5.0000,  6.5000]], dtype=float64)",
    );
  });

  it("grad_fn names the op that built the tensor, and goes to the next line when it does not fit", () => {
    const x = tensor([0.5, -0.25], { requiresGrad: true });
    const squared = x.mul(x);
    expect(String(squared)).toBe("tensor([0.2500, 0.0625], grad_fn=<mul>)");
    expect(String(x.sum())).toBe("tensor(0.2500, grad_fn=<sum>)");
    // "tensor([0.2500, 0.0625]" is 23 characters; torch counts 2 more, and 2 for ", ": 23 + 2 + 2 + len("grad_fn=<mul>") = 40.
    setPrintOptions({ linewidth: 40 });
    expect(String(squared)).toBe("tensor([0.2500, 0.0625], grad_fn=<mul>)");
    setPrintOptions({ linewidth: 39 });
    expect(String(squared)).toBe("tensor([0.2500, 0.0625],\n       grad_fn=<mul>)");
  });

  it("int32 and bool carry PyTorch's dtype suffix for those dtypes", () => {
    expect(String(tensor([3, -4], { dtype: "int32" }))).toBe("tensor([ 3, -4], dtype=int32)");
    expect(String(tensor([true, false]))).toBe("tensor([ True, False])");
    expect(String(tensor([], { shape: [0], dtype: "bool" }))).toBe("tensor([], dtype=bool)");
  });

  it("results that need no gradient show no suffix, leaves that require one say so", () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(String(w.detach())).toBe("tensor([1., 2.])");
    expect(String(w)).toBe("tensor([1., 2.], requires_grad=True)");
  });
});

describe("tensors that cannot be evaluated print why, without evaluating and without throwing", () => {
  it("an unfed placeholder and what is built on it show the shape, dtype and which placeholders are missing", () => {
    const x = placeholder([2, 3], "float32", "x");
    const h = placeholder([3], "float64", "h");
    const anonymous = placeholder([1]);
    expect(String(x)).toBe("tensor(<placeholder 'x'>, size=(2, 3))");
    expect(String(h)).toBe("tensor(<placeholder 'h'>, size=(3,), dtype=float64)");
    expect(String(anonymous)).toBe(`tensor(<placeholder #${anonymous.id}>, size=(1,))`);
    expect(String(x.tanh())).toBe("tensor(<needs placeholder 'x'>, size=(2, 3))");
    expect(String(x.cast("float64").add(h).sum())).toBe("tensor(<needs placeholders 'x', 'h'>, size=(), dtype=float64)");
    const w = tensor([1, 2, 3], { requiresGrad: true });
    expect(String(x.mul(w))).toBe("tensor(<needs placeholder 'x'>, size=(2, 3), grad_fn=<mul>)");
  });

  it("once fed, the same tensors print their values, which follow each new feed", () => {
    const x = placeholder([2], "float32", "x");
    const y = x.mul(2);
    expect(String(y)).toBe("tensor(<needs placeholder 'x'>, size=(2,))");
    x.assign([1, 2]);
    expect(String(x)).toBe("tensor([1., 2.])");
    expect(String(y)).toBe("tensor([2., 4.])");
    x.assign([0.5, 3]);
    expect(String(y)).toBe("tensor([1., 6.])");
  });

  it("a released tensor", () => {
    const x = tensor([1, 2]).add(1);
    x.release();
    expect(String(x)).toBe("tensor(<released>, size=(2,))");
  });

  it("a tensor whose kernel fails prints the error (PyTorch would have raised when it was made); data() still throws it", () => {
    const gathered = tensor([1, 2, 3]).gather(0, tensor([5], { dtype: "int32" }));
    expect(() => gathered.data()).toThrow("index 5 is out of bounds for dimension 0 with size 3");
    // The text is longer than a line, so the size goes to the next one.
    expect(String(gathered)).toBe("tensor(<cannot be evaluated: gather: index 5 is out of bounds for dimension 0 with size 3>,\n       size=(1,))");
  });
});

describe("print options", () => {
  const defaults: PrintOptions = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null };

  it("start as torch's defaults; profiles set every option", () => {
    expect(getPrintOptions()).toEqual(defaults);
    setPrintOptions({ profile: "short" });
    expect(getPrintOptions()).toEqual({ ...defaults, precision: 2, edgeitems: 2 });
    setPrintOptions({ profile: "full", sciMode: true });
    expect(getPrintOptions()).toEqual({ ...defaults, threshold: Infinity, sciMode: true });
    setPrintOptions({ profile: "default" });
    expect(getPrintOptions()).toEqual(defaults);
  });

  it("change only what is given, and hand back what was in force so it can be restored", () => {
    const previous = setPrintOptions({ precision: 2, sciMode: false });
    expect(previous).toEqual(defaults);
    setPrintOptions({ linewidth: 120 });
    expect(getPrintOptions()).toEqual({ ...defaults, precision: 2, sciMode: false, linewidth: 120 });
    expect(String(tensor([1.23456]))).toBe("tensor([1.23])");
    setPrintOptions(previous);
    expect(getPrintOptions()).toEqual(defaults);
    expect(String(tensor([1.23456]))).toBe("tensor([1.2346])");
  });

  it("refuse what torch could not print, naming the option", () => {
    expect(() => setPrintOptions({ precision: -1 })).toThrow("setPrintOptions: precision must be a non-negative integer, got -1");
    expect(() => setPrintOptions({ edgeitems: 0 })).toThrow("setPrintOptions: edgeitems must be a positive integer, got 0");
    expect(() => setPrintOptions({ threshold: Number.NaN })).toThrow("setPrintOptions: threshold must be a non-negative number");
    expect(() => setPrintOptions({ sciMode: "yes" as unknown as boolean })).toThrow("setPrintOptions: sciMode must be true, false or null");
    expect(() => setPrintOptions({ sci_mode: true } as object)).toThrow("setPrintOptions: unknown option 'sci_mode'");
    expect(() => setPrintOptions({ profile: "long" as "full" })).toThrow('setPrintOptions: profile must be one of "default", "short", "full", got "long"');
    expect(() => setPrintOptions(null as unknown as object)).toThrow("setPrintOptions: expected an options object, got null");
    expect(getPrintOptions()).toEqual(defaults);
  });
});

describe("Node's console.log and util.inspect", () => {
  const x = tensor([[0.5, 1], [2, 3]], { requiresGrad: true });
  const y = x.tanh();

  it("show toString's text for a tensor, never the node's fields", () => {
    expect(inspect(x)).toBe(String(x));
    expect(format(y)).toBe("tensor([[0.4621, 0.7616],\n        [0.9640, 0.9951]], grad_fn=<tanh>)");
    expect(inspect(x, { showHidden: true, depth: 5 })).not.toMatch(/consumers|visitMark|scratchValue|inputs/);
  });

  it("show the same text for tensors inside arrays and objects, indented as Node indents any multi-line entry", () => {
    const indented = (t: Tensor) => String(t).replaceAll("\n", "\n  ");
    expect(inspect([x, y])).toBe(`[\n  ${indented(x)},\n  ${indented(y)}\n]`);
    const a = tensor([1, 2]);
    const b = tensor(0.5);
    expect(inspect([a, b])).toBe("[ tensor([1., 2.]), tensor(0.5000) ]");
    expect(inspect({ weight: a })).toBe("{ weight: tensor([1., 2.]) }");
  });
});

describe("printing changes nothing that is computed later", () => {
  /** A small training graph from fresh leaves (interning would otherwise hand back the same nodes). */
  function run(printEachStep: boolean): number[][] {
    const w = tensor([[0.3, -0.7, 0.2], [0.9, 0.1, -0.4]], { requiresGrad: true });
    const x = placeholder([4, 2], "float32", "x");
    const results: number[][] = [];
    for (let step = 0; step < 3; step++) {
      x.assign([[step, 1], [0.5, -step], [2, 0.25], [-1, step / 3]]);
      const hidden = x.matmul(w).tanh();
      const loss = hidden.mul(hidden).mean();
      if (printEachStep) {
        expect(String(hidden)).toMatch(/^tensor\(\[\[/);
        // mean is a sum divided by the count: the op that built the loss is div.
        expect(String(loss)).toMatch(/^tensor\(\d\.\d{4}, grad_fn=<div>\)$/);
        expect(String(w)).toMatch(/requires_grad=True\)$/);
      }
      w.grad = undefined;
      loss.backward();
      results.push([...loss.data(), ...w.grad!.data()]);
      w.assign(w.sub(w.grad!.mul(0.5)).detach());
    }
    return results;
  }

  it("values and gradients are the same bits with and without printing along the way", () => {
    expect(run(true)).toEqual(run(false));
  });

  it("a leaf assigned after printing prints and computes its new values; tensors built before keep theirs", () => {
    const w = tensor([1, 2]);
    const doubled = w.mul(2);
    expect(String(doubled)).toBe("tensor([2., 4.])");
    w.assign([5, 6]);
    expect(String(w)).toBe("tensor([5., 6.])");
    expect(String(doubled)).toBe("tensor([2., 4.])");
    expect(Array.from(w.mul(2).data())).toEqual([10, 12]);
  });
});

describe("large tensors", () => {
  it("summarize a million elements and print them in full under the full profile, without overflowing the stack", () => {
    const ramp = (n: number) => tensor(Float32Array.from({ length: n }, (_, i) => i % 1000));
    const big = ramp(1_000_000);
    expect(String(big)).toBe("tensor([  0.,   1.,   2.,  ..., 997., 998., 999.])");
    setPrintOptions({ profile: "full" });
    const lines = String(ramp(200_000)).split("\n");
    // Width 4 plus ", " is 6 characters: (80 - 7) / 6 gives 12 elements per line.
    expect(lines.length).toBe(Math.ceil(200_000 / 12));
    expect(lines[0]).toBe("tensor([  0.,   1.,   2.,   3.,   4.,   5.,   6.,   7.,   8.,   9.,  10.,  11.,");
  });
});
