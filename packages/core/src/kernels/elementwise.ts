import { allocate, type DType, type TypedArray } from "../basics/dtype";
import type { Formula } from "../basics/formula";
import { broadcastStrides, type Shape, sameShape, sizeOf } from "../basics/shape";

/**
 * Elementwise loops are generated from an op's scalar formula (`a + b`, `Math.tanh(a)`), one
 * loop per formula and operand layout, so no function is called per element. The compiler
 * builds fused loops from the same formulas.
 */
const layoutCodes = { full: 0, scalar: 1, strided: 2 } as const;
type Layout = keyof typeof layoutCodes;
type Loop = (
  out: TypedArray,
  size: number,
  shape: Shape,
  inputs: TypedArray[],
  strides: number[][],
  helpers: Formula["helpers"],
  params: Readonly<Record<string, number>>,
) => void;

const operandNames = ["a", "b", "c", "d"];
/**
 * Generated loops per formula text, helper and param names, indexed by the operands' layouts in
 * base 3. The helpers and param values are arguments, so formulas that share a text share the code.
 */
const loops = new Map<string, Loop[]>();

const helperNames = ({ helpers }: Formula): string[] => (helpers === undefined ? [] : Object.keys(helpers));
const bound = (formula: Formula): string[] => [...helperNames(formula), ...(formula.params ?? [])];

function generateLoop(formula: Formula, layouts: readonly Layout[]): Loop {
  const { expr } = formula;
  const n = layouts.length;
  const lines: string[] = [];
  const names = helperNames(formula);
  if (names.length > 0) lines.push(`const { ${names.join(", ")} } = helpers;`);
  if (formula.params !== undefined && formula.params.length > 0) lines.push(`const { ${formula.params.join(", ")} } = params;`);
  for (let i = 0; i < n; i++) lines.push(`const in${i} = inputs[${i}];`);
  if (layouts.every((l) => l !== "strided")) {
    for (let i = 0; i < n; i++) if (layouts[i] === "scalar") lines.push(`const ${operandNames[i]} = in${i}[0];`);
    const loads = layouts.map((l, i) => (l === "full" ? `const ${operandNames[i]} = in${i}[i];` : "")).join(" ");
    lines.push(`for (let i = 0; i < size; i++) { ${loads} out[i] = ${expr}; }`);
  } else {
    // An odometer over the output index; each operand advances by its own (possibly zero) strides.
    const rank = "shape.length";
    lines.push(`const rank = ${rank}; const idx = new Int32Array(rank);`);
    for (let i = 0; i < n; i++) lines.push(`const s${i} = strides[${i}]; let o${i} = 0;`);
    const loads = layouts.map((_, i) => `const ${operandNames[i]} = in${i}[o${i}];`).join(" ");
    const advance = layouts.map((_, i) => `o${i} += s${i}[d];`).join(" ");
    const rewind = layouts.map((_, i) => `o${i} -= s${i}[d] * shape[d];`).join(" ");
    lines.push(
      `for (let i = 0; i < size; i++) { ${loads} out[i] = ${expr};`,
      `  for (let d = rank - 1; d >= 0; d--) { idx[d]++; ${advance} if (idx[d] < shape[d]) break; ${rewind} idx[d] = 0; } }`,
    );
  }
  return new Function("out", "size", "shape", "inputs", "strides", "helpers", "params", lines.join("\n")) as Loop;
}

function loopFor(formula: Formula, layouts: readonly Layout[]): Loop {
  const key = `${formula.expr}|${bound(formula).join(",")}`;
  let byLayout = loops.get(key);
  if (byLayout === undefined) loops.set(key, (byLayout = []));
  let code = 0;
  for (const layout of layouts) code = code * 3 + layoutCodes[layout];
  return (byLayout[code] ??= generateLoop(formula, layouts));
}

/** Runs `formula` over broadcast operands into a fresh array of `outShape`, its params bound to `params`. */
export function runElementwise(
  formula: Formula,
  inputs: readonly { data: TypedArray; shape: Shape }[],
  outShape: Shape,
  outDType: DType,
  params: Readonly<Record<string, number>> = {},
): TypedArray {
  const size = sizeOf(outShape);
  const out = allocate(outDType, size);
  const layouts = inputs.map((x): Layout => (x.data.length === 1 ? "scalar" : sameShape(x.shape, outShape) ? "full" : "strided"));
  const strides = layouts.includes("strided") ? inputs.map((x) => broadcastStrides(x.shape, outShape)) : [];
  loopFor(formula, layouts)(out, size, outShape, inputs.map((x) => x.data), strides, formula.helpers, params);
  return out;
}
