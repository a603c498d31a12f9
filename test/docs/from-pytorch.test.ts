/**
 * docs/from-pytorch.md runs: every gradgraph snippet of its tables and every `ts` block runs after
 * the guide's `ts setup` block, and where a row states a result ("gives"), the snippet must give
 * it, PyTorch must give it too (the row's PyTorch column, all of which make_from_pytorch.py runs,
 * into from-pytorch.json), and both sides must agree to float32 rounding. Every snippet must also
 * type-check as a reader would paste it: after the setup, with both blocks' imports.
 */
import * as nodeFs from "node:fs";
import * as nodeOs from "node:os";
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "@gradgraph/core";
import * as testing from "@gradgraph/core/testing";
import * as nn from "@gradgraph/nn";
import * as viz from "@gradgraph/viz";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { loadFixture } from "../helpers/fixtures";

const guide = nodeFs.readFileSync(new URL("../../docs/from-pytorch.md", import.meta.url), "utf8");

/** What the guide's snippets may import, by the specifiers a reader would write. */
const modules: Record<string, object> = {
  "@gradgraph/core": core,
  "@gradgraph/core/testing": testing,
  "@gradgraph/nn": nn,
  "@gradgraph/viz": viz,
  "node:fs": nodeFs,
  "node:os": nodeOs,
  "node:path": nodePath,
};

interface Row {
  readonly section: string;
  readonly pytorch: string[];
  readonly gradgraph: string[];
  /** The row's stated result, as the text of a JS literal. */
  readonly gives: string | undefined;
}

const CODE_SPAN = /`([^`]+)`/g;
const spans = (cell: string) => [...cell.matchAll(CODE_SPAN)].map((m) => m[1]);

/** A table row's cells: split at unescaped bars (GitHub's rule, inside code spans too), `\|` unescaped. */
function cells(line: string): string[] {
  return line.trim().split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim().replaceAll("\\|", "|"));
}

/** The rows of every table whose columns start PyTorch | gradgraph | gives (make_from_pytorch.py reads them alike). */
function guideRows(text: string): Row[] {
  const rows: Row[] = [];
  let section = "";
  let columns: string[] | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("## ")) section = line.slice(3);
    if (!line.startsWith("|")) {
      columns = undefined;
      continue;
    }
    const row = cells(line);
    if (columns === undefined) {
      columns = row;
      continue;
    }
    if (row.every((cell) => /^[-: ]*$/.test(cell)) || columns.slice(0, 3).join() !== "PyTorch,gradgraph,gives") continue;
    rows.push({ section, pytorch: spans(row[0]), gradgraph: spans(row[1]), gives: spans(row[2])[0] });
  }
  return rows;
}

/** The fenced blocks whose info string is `info` exactly. */
function fencedBlocks(text: string, info: string): string[] {
  return [...text.matchAll(/^```([^\n]*)\n([\s\S]*?)^```/gm)].filter((m) => m[1].trim() === info).map((m) => m[2]);
}

/** What an `import { a, type B } from "m"` names: values (`a`, `c as d`) and types (`B`), from one module. */
function importedNames(declaration: ts.ImportDeclaration, source: ts.SourceFile): { specifier: string; values: string[]; types: string[] } {
  const specifier = (declaration.moduleSpecifier as ts.StringLiteral).text;
  const clause = declaration.importClause;
  const elements = clause?.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : [];
  const isType = (element: ts.ImportSpecifier) => clause?.isTypeOnly === true || element.isTypeOnly;
  return {
    specifier,
    values: elements.filter((e) => !isType(e)).map((e) => e.getText(source)),
    types: elements.filter(isType).map((e) => e.name.text),
  };
}

/** `import { a, type B } from "m"` as `const { a } = __modules["m"]`; an unknown module fails the test, naming it. */
function withImportsResolved(source: ts.SourceFile): string {
  let out = "";
  let from = 0;
  for (const statement of source.statements.filter(ts.isImportDeclaration)) {
    const { specifier, values } = importedNames(statement, source);
    if (!(specifier in modules)) throw new Error(`the guide imports "${specifier}", which its test does not provide`);
    out += source.text.slice(from, statement.getStart(source));
    out += values.length === 0 ? "" : `const { ${values.join(", ").replaceAll(" as ", ": ")} } = __modules[${JSON.stringify(specifier)}];`;
    from = statement.getEnd();
  }
  return out + source.text.slice(from);
}

/** TypeScript source with its imports resolved and, if `returnLast`, its last statement (an expression) returned. */
function body(code: string, returnLast: boolean): string {
  let source = ts.createSourceFile("snippet.ts", code, ts.ScriptTarget.ES2022, true);
  if (returnLast) {
    const last = source.statements[source.statements.length - 1];
    if (last === undefined || !ts.isExpressionStatement(last)) throw new Error(`the last statement of \`${code}\` is not an expression`);
    code = `${code.slice(0, last.getStart(source))}return (${last.expression.getText(source)});`;
    source = ts.createSourceFile("snippet.ts", code, ts.ScriptTarget.ES2022, true);
  }
  return withImportsResolved(source);
}

const setup = fencedBlocks(guide, "ts setup");

/** Runs `code` in a block of its own after a fresh run of the setup, so no snippet sees another's changes. */
async function run(code: string, returnLast: boolean): Promise<unknown> {
  const source = `(async (__modules) => {\n${body(setup[0], false)}\n{\n${body(code, returnLast)}\n}\n})`;
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  const fn = new Function(`return ${js}`)() as (m: typeof modules) => Promise<unknown>;
  return fn(modules);
}

/** `import` declarations of `code`, and the rest of it. */
function splitImports(code: string): { imports: ts.ImportDeclaration[]; source: ts.SourceFile; rest: string } {
  const source = ts.createSourceFile("snippet.ts", code, ts.ScriptTarget.ES2022, true);
  const imports = source.statements.filter(ts.isImportDeclaration);
  const rest = source.statements.filter((s) => !ts.isImportDeclaration(s)).map((s) => s.getFullText(source)).join("");
  return { imports, source, rest };
}

/**
 * A module a reader could paste into an editor: the setup's and the snippet's imports merged (by
 * module, each name once), the setup's statements, and the snippet in an async function of its own.
 */
function typedModule(code: string): string {
  const parts = [splitImports(setup[0]), splitImports(code)];
  const named = new Map<string, Set<string>>();
  for (const { imports, source } of parts) {
    for (const declaration of imports) {
      const { specifier, values, types } = importedNames(declaration, source);
      const names = named.get(specifier) ?? new Set<string>();
      for (const name of [...values, ...types.map((type) => `type ${type}`)]) names.add(name);
      named.set(specifier, names);
    }
  }
  const importLines = [...named].map(([specifier, names]) => `import { ${[...names].join(", ")} } from ${JSON.stringify(specifier)};`);
  return `${importLines.join("\n")}\n${parts[0].rest}\nexport async function snippet() {\n${parts[1].rest}\n}\n`;
}

/** The type errors of each module, compiled together with the repository's compiler options (as test/ is). */
function typeErrors(sources: readonly string[]): string[][] {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const config = ts.readConfigFile(`${root}tsconfig.base.json`, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const names = sources.map((_, i) => `${root}test/docs/guide-snippet-${i}.ts`);
  const texts = new Map(names.map((name, i) => [name, sources[i]]));
  const host = ts.createCompilerHost({ ...options, noEmit: true });
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => texts.has(name) || fileExists.call(host, name);
  host.readFile = (name) => texts.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) => {
    const text = texts.get(name);
    return text === undefined ? getSourceFile.call(host, name, language, ...rest) : ts.createSourceFile(name, text, language);
  };
  const program = ts.createProgram(names, { ...options, noEmit: true }, host);
  return names.map((name) => {
    const file = program.getSourceFile(name)!;
    return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].map((d) => {
      const { line } = file.getLineAndCharacterOfPosition(d.start ?? 0);
      return `line ${line + 1} (${file.text.split("\n")[line].trim()}): ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
  });
}

/** A result in the guide's terms: tensors as nested arrays, typed arrays as arrays, bools as 1 and 0, undefined as null. */
function plain(value: unknown): unknown {
  if (value instanceof core.Tensor) return plain(value.toArray());
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value === undefined) return null;
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** Where `actual` and `expected` differ beyond `atol + rtol·|expected|` (or in structure), or undefined. */
function difference(actual: unknown, expected: unknown, atol: number, rtol: number, at = "value"): string | undefined {
  if (typeof expected === "number") {
    const close = typeof actual === "number" && (actual === expected || Math.abs(actual - expected) <= atol + rtol * Math.abs(expected));
    return close ? undefined : `${at}: ${JSON.stringify(actual)}, expected ${expected}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${at}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
    for (let i = 0; i < expected.length; i++) {
      const found = difference(actual[i], expected[i], atol, rtol, `${at}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === "object") {
    const keys = Object.keys(expected);
    if (actual === null || typeof actual !== "object" || Object.keys(actual).join() !== keys.join()) {
      return `${at}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
    }
    for (const key of keys) {
      const found = difference((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], atol, rtol, `${at}.${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return actual === expected ? undefined : `${at}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
}

/** The guide states results to 4 decimals. */
const STATED = { atol: 1e-4, rtol: 1e-4 };
/** gradgraph against PyTorch: float32 rounding, as torch.testing.assert_close. */
const FLOAT32 = { atol: 1e-5, rtol: 1.3e-6 };

function expectNoDifference(actual: unknown, expected: unknown, tolerance: { atol: number; rtol: number }, what: string): void {
  const found = difference(actual, expected, tolerance.atol, tolerance.rtol);
  if (found !== undefined) throw new Error(`${what}: ${found}`);
}

const rows = guideRows(guide);
/** Each PyTorch snippet of the guide as PyTorch ran it: with its value where the row states a result. */
const pytorchRuns = new Map(loadFixture<{ id: string; value?: unknown }>("from-pytorch.json").map((c) => [c.id, c]));
const stated = (row: Row) => new Function(`return (${row.gives});`)() as unknown;

describe("docs/from-pytorch.md", () => {
  test("has one setup block per language, and its tables have rows with stated results", () => {
    expect(setup).toHaveLength(1);
    expect(fencedBlocks(guide, "python setup")).toHaveLength(1);
    expect(rows.filter((row) => row.gives !== undefined).length).toBeGreaterThan(50);
    for (const row of rows) expect(row.gradgraph.length, `a row of "${row.section}" without gradgraph code`).toBeGreaterThan(0);
  });

  test("its links within the page lead to headings (GitHub's anchors)", () => {
    const anchor = (heading: string) => heading.toLowerCase().replace(/[^\p{L}\p{N} -]/gu, "").replaceAll(" ", "-");
    const anchors = new Set([...guide.matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1])));
    const links = [...guide.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !anchors.has(link))).toEqual([]);
  });

  test("PyTorch ran exactly the guide's PyTorch snippets, with a value for each row that states a result (rerun make_from_pytorch.py after editing the guide)", () => {
    expect([...pytorchRuns.keys()].sort()).toEqual([...new Set(rows.flatMap((row) => row.pytorch))].sort());
    const withoutValue = rows.filter((row) => row.gives !== undefined).flatMap((row) => row.pytorch).filter((code) => !("value" in pytorchRuns.get(code)!));
    expect(withoutValue).toEqual([]);
  });

  describe.each([...new Set(rows.map((row) => row.section))])("%s", (section) => {
    const sectionRows = rows.filter((row) => row.section === section);
    test.each(sectionRows.flatMap((row) => row.gradgraph.map((code) => ({ code, row }))))("$code", async ({ code, row }) => {
      const result = plain(await run(code, row.gives !== undefined));
      if (row.gives === undefined) return;
      expectNoDifference(result, stated(row), STATED, `\`${code}\` against the stated ${row.gives}`);
      for (const pytorch of row.pytorch) {
        const value = pytorchRuns.get(pytorch)?.value;
        expectNoDifference(value, stated(row), STATED, `PyTorch's \`${pytorch}\` against the stated ${row.gives}`);
        expectNoDifference(result, value, FLOAT32, `\`${code}\` against PyTorch's \`${pytorch}\``);
      }
    });
  });

  test("every snippet type-checks, pasted into a module after the setup", () => {
    const snippets = [...rows.flatMap((row) => row.gradgraph), ...fencedBlocks(guide, "ts")];
    const errors = typeErrors(snippets.map(typedModule));
    const failing = snippets.flatMap((code, i) => (errors[i].length === 0 ? [] : [`\`${code.split("\n")[0]}\`:\n  ${errors[i].join("\n  ")}`]));
    expect(failing, failing.join("\n")).toEqual([]);
  });

  test.each(fencedBlocks(guide, "ts").map((code) => ({ code, first: code.split("\n")[0] })))("the block starting $first runs", async ({ code }) => {
    await run(code, false);
  });
});
