/**
 * A strict JSON parser for text read from checkpoint files. JSON.parse silently keeps the last
 * of duplicate keys and rounds big or fractional numbers, either of which could turn a damaged
 * file into silently wrong values. Here duplicate keys are errors, objects become Maps (file
 * order kept), numbers keep their literal text, and nesting is limited so hostile input cannot
 * overflow the stack.
 */

export class JsonNumber {
  constructor(readonly raw: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | Map<string, JsonValue>;

/** What is wrong and where; callers wrap it into their own error naming the text they parsed. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly detail: string,
    readonly position: number,
  ) {
    super(`${detail} at character ${position}`);
    this.name = "JsonSyntaxError";
  }
}

/** Far deeper than any safetensors header or optimizer metadata. */
const MAX_JSON_DEPTH = 64;

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A lone surrogate has no UTF-8 form (TextEncoder would silently write U+FFFD instead). */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** Parses the whole of `text` (surrounding whitespace allowed); throws JsonSyntaxError. */
export function parseStrictJson(text: string): JsonValue {
  let pos = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(what, pos);
  };
  const skipWs = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      pos++;
    }
  };
  const parseString = (): string => {
    const start = pos; // at the opening quote
    pos++;
    for (;;) {
      if (pos >= text.length) fail("unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c < 0x20) fail("control character in string");
      pos += c === 0x5c ? 2 : 1;
    }
    pos++;
    let s: string;
    try {
      s = JSON.parse(text.slice(start, pos)) as string; // decodes (and validates) the escapes
    } catch {
      return fail("bad escape in string");
    }
    if (hasLoneSurrogate(s)) fail("lone surrogate escape in string");
    return s;
  };
  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_JSON_DEPTH) fail("nesting too deep");
    skipWs();
    const c = text[pos];
    if (c === "{") {
      pos++;
      const obj = new Map<string, JsonValue>();
      skipWs();
      if (text[pos] === "}") {
        pos++;
        return obj;
      }
      for (;;) {
        skipWs();
        if (text[pos] !== '"') fail("expected a key");
        const key = parseString();
        if (obj.has(key)) fail(`duplicate key ${JSON.stringify(key)}`);
        skipWs();
        if (text[pos] !== ":") fail("expected ':'");
        pos++;
        obj.set(key, parseValue(depth + 1));
        skipWs();
        if (text[pos] === ",") pos++;
        else if (text[pos] === "}") {
          pos++;
          return obj;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      pos++;
      const arr: JsonValue[] = [];
      skipWs();
      if (text[pos] === "]") {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipWs();
        if (text[pos] === ",") pos++;
        else if (text[pos] === "]") {
          pos++;
          return arr;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    for (const [lit, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(lit, pos)) {
        pos += lit.length;
        return v;
      }
    }
    NUMBER_RE.lastIndex = pos;
    const m = NUMBER_RE.exec(text);
    if (m === null) return fail("unexpected character");
    pos += m[0].length;
    return new JsonNumber(m[0]);
  };
  const value = parseValue(0);
  skipWs();
  if (pos !== text.length) fail("trailing characters");
  return value;
}

/**
 * What JSON.parse would have returned for an already strictly parsed value: plain objects (own
 * keys only, so "__proto__" stays a key) and numbers. Use it where the values are then checked
 * field by field and rounding cannot matter (hyperparameters, step counts).
 */
export function toPlainJson(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return Number(value.raw);
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, toPlainJson(v)]));
  return value;
}
