import { type Tensor, tensor, topologicalOrder, withScope } from "@gradgraph/core";
import { toDot, toSvg } from "@gradgraph/viz";
import { describe, expect, test } from "vitest";
import { graphvizView, labelOf, parseDot } from "./helpers";

/** Names that break naive DOT writers. None contains "." so that, used as scopes, each stays one level. */
const ODD_NAMES = [
  'say "hi"',
  "{braces} | <angles> [brackets]",
  "back\\slash",
  "ends with a backslash\\",
  '\\" looks escaped',
  "two\nlines",
  "\\N \\G \\l escapes Graphviz would expand",
  "ünïcødé 日本語 🚀",
  "-> ; = , digraph",
];

/** Builds `input -> exp` for each odd name: the input is named by it, and the op sits in a scope named by it. */
function oddGraph(): { output: Tensor; inputs: Tensor[]; ops: Tensor[] } {
  const inputs = ODD_NAMES.map((name, i) => tensor([i], { name }));
  const ops = ODD_NAMES.map((name, i) => withScope(name, () => inputs[i].exp()));
  const output = ops.reduce((a, b) => a.add(b));
  return { output, inputs, ops };
}

describe("escaping", () => {
  test("odd names and scopes survive DOT: dotparser reads them back exactly", () => {
    const { output, inputs, ops } = oddGraph();
    const order = topologicalOrder([output]);
    const parsed = parseDot(toDot(output));
    expect(parsed.nodes.size).toBe(order.length);
    ODD_NAMES.forEach((name, i) => {
      expect(labelOf(parsed, `n${order.indexOf(inputs[i])}`)).toBe(`${name}\n[1]`);
      const [cluster] = parsed.nodes.get(`n${order.indexOf(ops[i])}`)!.clusters;
      expect(labelOf(parsed, cluster)).toBe(name);
    });
  });

  test("Graphviz draws the exact text, line by line, and renders SVG", async () => {
    const { output, inputs, ops } = oddGraph();
    const order = topologicalOrder([output]);
    const dot = toDot(output);
    const drawn = await graphvizView(dot);
    ODD_NAMES.forEach((name, i) => {
      expect(drawn.nodes.get(`n${order.indexOf(inputs[i])}`)).toEqual([...name.split("\n"), "[1]"]);
      const [cluster] = parseDot(dot).nodes.get(`n${order.indexOf(ops[i])}`)!.clusters;
      expect(drawn.clusters.get(cluster)!.title).toEqual(name.split("\n"));
    });
    const svg = await toSvg(dot);
    expect(svg).toContain("ünïcødé 日本語 🚀");
    expect(svg).toContain("say &quot;hi&quot;");
  });

  test("ampersands and entity-like text show as written: Graphviz would read `&amp;` as an entity", async () => {
    const names = ["a&amp;b", "x & y", "&#60;tag&#62;", "&lt;"];
    const output = names.map((name, i) => tensor([i], { name })).reduce((a, b) => a.add(b));
    const svg = await toSvg(toDot(output));
    // The SVG's text, read as XML reads it (entities decoded once), is the name itself.
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, text]) =>
      text.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (entity, body: string) =>
        body.startsWith("#x") ? String.fromCodePoint(parseInt(body.slice(2), 16)) : body.startsWith("#") ? String.fromCodePoint(Number(body.slice(1))) : ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[body] ?? entity,
      ),
    );
    for (const name of names) expect(texts).toContain(name);
  });

  test("control characters and broken surrogates become visible, valid text", async () => {
    const x = tensor([1], { name: "bell\u0007 tab\t cr\r\nend \ud800 lone" });
    const dot = toDot(x);
    expect(dot).not.toMatch(/[\u0000-\u0009\u000b-\u001f\ud800-\udfff]/);
    expect(labelOf(parseDot(dot), "n0")).toBe("bell\\u0007 tab\\u0009 cr\nend \ufffd lone\n[1]");
    await expect(toSvg(dot)).resolves.toContain("bell\\u0007");
  });
});
