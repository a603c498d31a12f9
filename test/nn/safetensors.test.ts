import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeCheckpoint, encodeCheckpoint } from "../../packages/nn/src/training/checksums";
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type TensorRecord,
} from "../../packages/nn/src/training/safetensors";

// ---------------------------------------------------------------------------------------------
// helpers

const f32 = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);
const f64 = (bits: bigint[]) => new Float64Array(BigUint64Array.from(bits).buffer);
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Exact equality including NaN payloads and -0 (compares bytes, never JS numbers). */
function expectSameTensors(actual: Record<string, TensorRecord>, expected: Record<string, TensorRecord>) {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const name of Object.keys(expected)) {
    const a = actual[name];
    const e = expected[name];
    expect(a.dtype, name).toBe(e.dtype);
    expect(a.shape, name).toEqual(e.shape);
    expect(a.data.constructor, name).toBe(e.data.constructor);
    expect(Buffer.from(bytesOf(a.data)).equals(Buffer.from(bytesOf(e.data))), name).toBe(true);
  }
}

/** A file with the given header text (unpadded unless the text has it) and data bytes. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0), headerLen?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function headerOf(bytes: Uint8Array): { n: number; json: string } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, json: new TextDecoder().decode(bytes.subarray(8, 8 + n)) };
}

/** Re-serialise an edited header in front of the original data area. */
function withHeader(original: Uint8Array, header: unknown): Uint8Array {
  const { n } = headerOf(original);
  let text = JSON.stringify(header);
  text += " ".repeat((8 - (new TextEncoder().encode(text).length % 8)) % 8);
  return rawFile(text, original.subarray(8 + n));
}

function expectCheckpointError(bytes: Uint8Array, message?: RegExp) {
  let err: unknown;
  try {
    decodeSafetensors(bytes);
  } catch (e) {
    err = e;
  }
  expect(err, "decode should have thrown").toBeInstanceOf(CheckpointError);
  if (message) expect((err as Error).message).toMatch(message);
}

// ---------------------------------------------------------------------------------------------
// compatibility with the reference implementation

// Keep in sync with TENSORS/METADATA in test/fixtures/safetensors/make.py.
const REFERENCE: Record<string, TensorRecord> = {
  weight: { dtype: "float32", shape: [2, 3], data: f32([0, 0x3f800000, 0xc0200000, 0x40500000, 0x3dcccccd, 0x80000000]) },
  bias: { dtype: "float32", shape: [4], data: f32([0x7f800000, 0xff800000, 0x7fc00001, 0x00000001]) },
  scale: { dtype: "float64", shape: [], data: Float64Array.of(3.141592653589793) },
  empty: { dtype: "float32", shape: [0, 4], data: new Float32Array(0) },
  empty64: { dtype: "float64", shape: [3, 0], data: new Float64Array(0) },
  "\uff21": { dtype: "float32", shape: [1], data: Float32Array.of(7) },
  "\u{1F600}": { dtype: "float32", shape: [1], data: Float32Array.of(8) },
  'quote"back\\slash\nnl\x01': { dtype: "float64", shape: [2], data: f64([0x7ff0000000000001n, 1n]) },
  "\u00fc": { dtype: "float64", shape: [1, 1, 1], data: Float64Array.of(-1e300) },
};
const REFERENCE_METADATA = { format: "pt", note: 'ascii "quoted"\ttab \u00e9\x7f' };
const referenceFile = new Uint8Array(
  readFileSync(fileURLToPath(new URL("../fixtures/safetensors/reference.safetensors", import.meta.url))),
);

describe("compatibility", () => {
  // Byte vectors from the reference crate's own unit tests (safetensors/src/tensor.rs).
  test("matches the reference crate's test vectors", () => {
    const attn: TensorRecord = { dtype: "float32", shape: [1, 2, 3], data: Float32Array.of(0, 1, 2, 3, 4, 5) };
    const expected = [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34,
      70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95,
      111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64,
      0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ];
    expect(Array.from(encodeSafetensors({ "attn.0": attn }))).toEqual(expected);
    expectSameTensors(decodeSafetensors(Uint8Array.from(expected)).tensors, { "attn.0": attn });

    // "attn0" is one byte shorter, so the header needs 7 spaces of padding.
    const padded = encodeSafetensors({ attn0: { ...attn, shape: [1, 1, 2, 3] } });
    expect(padded[0]).toBe(72);
    expect(Array.from(padded.subarray(8 + 65, 8 + 72))).toEqual([32, 32, 32, 32, 32, 32, 32]);

    expect(Array.from(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(new TextDecoder().decode(encodeSafetensors({}, { framework: "pt" }).subarray(8))).toBe(
      '{"__metadata__":{"framework":"pt"}}     ',
    );
  });

  test("decodes the reference file written by make.py", () => {
    const { tensors, metadata } = decodeSafetensors(referenceFile);
    expectSameTensors(tensors, REFERENCE);
    expect(metadata).toEqual(REFERENCE_METADATA);
  });

  test("encodes the reference tensors to exactly the reference bytes", () => {
    const ours = encodeSafetensors(REFERENCE, REFERENCE_METADATA);
    expect(Buffer.from(ours).equals(Buffer.from(referenceFile))).toBe(true);
  });

  test("orders F64 before F32, then names by code point (not UTF-16)", () => {
    const one: TensorRecord = { dtype: "float32", shape: [], data: Float32Array.of(1) };
    const bytes = encodeSafetensors({ b: one, "\u{1F600}": one, "\uff21": one, a: { dtype: "float64", shape: [], data: Float64Array.of(1) } });
    const keys = Object.keys(JSON.parse(headerOf(bytes).json));
    expect(keys).toEqual(["a", "b", "\uff21", "\u{1F600}"]);
  });
});

// ---------------------------------------------------------------------------------------------
// round trip

const specialF32 = [0x7fc00000, 0x7fc00001, 0xffffffff, 0x7f800001, 0x7f800000, 0xff800000, 0x80000000, 0x00000001, 0];
const specialF64 = [0x7ff8000000000000n, 0x7ff0000000000001n, 0xfff8000000000abcn, 0x7ff0000000000000n, 0xfff0000000000000n, 0x8000000000000000n, 1n];

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }); // [] = 0-d
const tensorArb: fc.Arbitrary<TensorRecord> = fc.oneof(
  shapeArb.chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const bits = fc.oneof(fc.constantFrom(...specialF32), fc.integer({ min: 0, max: 0xffffffff }));
    return fc.array(bits, { minLength: n, maxLength: n }).map((b) => ({ dtype: "float32" as const, shape, data: f32(b) }));
  }),
  shapeArb.chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const bits = fc.oneof(fc.constantFrom(...specialF64), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
    return fc.array(bits, { minLength: n, maxLength: n }).map((b) => ({ dtype: "float64" as const, shape, data: f64(b) }));
  }),
);
const nameArb = fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.constantFrom("__proto__", "", "a.b", "constructor"));
const tensorsArb = fc
  .dictionary(nameArb.filter((n) => n !== "__metadata__"), tensorArb, { maxKeys: 6 })
  .map((d) => ({ ...d }) as Record<string, TensorRecord>);
const metadataArb = fc.option(fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), fc.string({ unit: "binary", maxLength: 10 })), {
  nil: undefined,
});

describe("round trip", () => {
  test("decode(encode(x)) == x bit for bit; encoding is canonical", () => {
    fc.assert(
      fc.property(tensorsArb, metadataArb, (tensors, metadata) => {
        const bytes = encodeSafetensors(tensors, metadata);
        const { n } = headerOf(bytes);
        expect(n % 8).toBe(0); // data area starts 8-byte aligned
        const out = decodeSafetensors(bytes);
        expectSameTensors(out.tensors, tensors);
        expect(out.metadata).toEqual({ ...(metadata ?? {}) });
        for (const t of Object.values(out.tensors)) expect(t.data.buffer).not.toBe(bytes.buffer); // copied out
        expect(Buffer.from(encodeSafetensors(out.tensors, metadata)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test("works from an unaligned, offset view of a larger buffer", () => {
    const bytes = encodeSafetensors(REFERENCE, REFERENCE_METADATA);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expectSameTensors(decodeSafetensors(big.subarray(3)).tensors, REFERENCE);
  });

  test("encoder rejects what it cannot write faithfully", () => {
    const ok: TensorRecord = { dtype: "float32", shape: [2], data: new Float32Array(2) };
    expect(() => encodeSafetensors({ x: { ...ok, shape: [3] } })).toThrow(/"x".*3 elements but data has 2/);
    expect(() => encodeSafetensors({ x: { ...ok, shape: [-2] } })).toThrow(CheckpointError);
    expect(() => encodeSafetensors({ x: { ...ok, dtype: "float64" } })).toThrow(/does not match/);
    expect(() => encodeSafetensors({ __metadata__: ok })).toThrow(/reserved/);
    expect(() => encodeSafetensors({ "bad\ud800": ok })).toThrow(/lone surrogate/);
    expect(() => encodeSafetensors({}, { k: 1 as unknown as string })).toThrow(/"k" is not a string/);
  });
});

// ---------------------------------------------------------------------------------------------
// validation

describe("decoder validation", () => {
  const t = (fields: string) => `{"w":{${fields}}}`;
  const good = '"dtype":"F32","shape":[2],"data_offsets":[0,8]';
  const data8 = new Uint8Array(8);

  test("accepts the minimal valid file used by the cases below", () => {
    expect(decodeSafetensors(rawFile(t(good), data8)).tensors.w.shape).toEqual([2]);
  });

  test.each<[string, Uint8Array, RegExp]>([
    ["short file", new Uint8Array(7), /7 bytes, shorter than/],
    ["empty file", new Uint8Array(0), /shorter than/],
    ["header past end", rawFile(t(good), data8, 1000n), /header length 1000 runs past the end/],
    ["absurd header length", rawFile(t(good), data8, 2n ** 63n), /exceeds the 100000000-byte limit/],
    ["invalid UTF-8", rawFile("{ }").fill(0xff, 9, 10), /not valid UTF-8/],
    ["not JSON", rawFile("{nope}"), /not valid JSON/],
    ["top-level array", rawFile("[]"), /not an object/],
    ["BOM", rawFile("\ufeff{}"), /not valid JSON/],
    ["NUL padding", rawFile("{}\0\0"), /not valid JSON: trailing/],
    ["duplicate tensor", rawFile(`{"w":{${good}},"w":{${good}}}`, data8), /duplicate key "w"/],
    ["duplicate field", rawFile(t(`${good},"dtype":"F32"`), data8), /duplicate key "dtype"/],
    ["deep nesting", rawFile("[".repeat(100_000)), /nesting too deep/],
    ["lone surrogate", rawFile('{"\\ud800":{}}'), /lone surrogate/],
    ["entry not object", rawFile('{"w":3}'), /tensor "w": entry is not an object/],
    ["missing fields", rawFile(t('"dtype":"F32"')), /tensor "w": missing field\(s\) shape, data_offsets/],
    ["dtype not string", rawFile(t('"dtype":1,"shape":[2],"data_offsets":[0,8]'), data8), /"w": dtype is not a string/],
    ["unsupported dtype", rawFile(t('"dtype":"I64","shape":[1],"data_offsets":[0,8]'), data8), /"w" has dtype I64, which is not supported \(only F32 and F64/],
    ["unknown dtype", rawFile(t('"dtype":"F99","shape":[2],"data_offsets":[0,8]'), data8), /"w" has unknown dtype "F99"/],
    ["shape not array", rawFile(t('"dtype":"F32","shape":2,"data_offsets":[0,8]'), data8), /"w": shape is not an array/],
    ["negative dim", rawFile(t('"dtype":"F32","shape":[-2],"data_offsets":[0,8]'), data8), /"w": shape\[0\] is not a non-negative integer \(got -2\)/],
    ["fractional dim", rawFile(t('"dtype":"F32","shape":[2.0],"data_offsets":[0,8]'), data8), /shape\[0\] is not a non-negative integer \(got 2.0\)/],
    ["exponent dim", rawFile(t('"dtype":"F32","shape":[2e0],"data_offsets":[0,8]'), data8), /shape\[0\] is not a non-negative integer/],
    ["string dim", rawFile(t('"dtype":"F32","shape":["2"],"data_offsets":[0,8]'), data8), /shape\[0\] is not a non-negative integer \(got "2"\)/],
    ["huge dim", rawFile(t('"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]'), data8), /absurdly large/],
    ["overflowing shape", rawFile(t('"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]'), data8), /"w": shape .* absurdly large/],
    ["offsets not pair", rawFile(t('"dtype":"F32","shape":[2],"data_offsets":[0]'), data8), /"w": data_offsets is not a \[begin, end\] pair/],
    ["reversed offsets", rawFile(t('"dtype":"F32","shape":[2],"data_offsets":[8,0]'), data8), /"w": data_offsets \[8, 0\] are reversed/],
    ["offsets past data", rawFile(t('"dtype":"F32","shape":[4],"data_offsets":[0,16]'), data8), /"w": data_offsets \[0, 16\] extend past the 8-byte data area/],
    ["size mismatch", rawFile(t('"dtype":"F32","shape":[3],"data_offsets":[0,8]'), data8), /"w": 8 bytes of data but shape \[3\] of F32 needs 12/],
    ["F64 size mismatch", rawFile(t('"dtype":"F64","shape":[2],"data_offsets":[0,8]'), data8), /needs 16/],
    ["trailing bytes", rawFile(t('"dtype":"F32","shape":[1],"data_offsets":[0,4]'), data8), /4 trailing bytes/],
    ["gap", rawFile(t('"dtype":"F32","shape":[1],"data_offsets":[4,8]'), data8), /"w": 4 unused bytes before its data/],
    [
      "overlap",
      rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, data8),
      /"b": data_offsets \[4, 8\] overlap tensor "a" \[0, 8\]/,
    ],
    [
      "same range twice",
      rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, data8),
      /"b": data_offsets \[0, 8\] overlap tensor "a"/,
    ],
    ["metadata not object", rawFile('{"__metadata__":[]}'), /"__metadata__" is not an object/],
    ["metadata value not string", rawFile('{"__metadata__":{"epoch":3}}'), /metadata value for key "epoch" is not a string/],
  ])("%s", (_name, bytes, message) => expectCheckpointError(bytes, message));

  test("accepts what the reference reader accepts", () => {
    // Zero-size tensors share offsets; entries in any order; whitespace; null metadata; extra fields.
    const header = `  { "__metadata__" : null, "b":{"dtype":"F32","shape":[1],"data_offsets":[4,8],"x":[1,{}]},
      "e":{"dtype":"F64","shape":[0],"data_offsets":[4,4]}, "a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},
      "z":{"dtype":"F32","shape":[2,0],"data_offsets":[8,8]} }\n`;
    const out = decodeSafetensors(rawFile(header, Uint8Array.of(0, 0, 0x80, 0x3f, 0, 0, 0, 0x40)));
    expect(out.metadata).toEqual({});
    expect(Array.from(out.tensors.a.data)).toEqual([1]);
    expect(Array.from(out.tensors.b.data)).toEqual([2]);
    expect(out.tensors.e.data).toBeInstanceOf(Float64Array);
    expect(out.tensors.z.shape).toEqual([2, 0]);
  });

  test('a tensor named "__proto__" is an ordinary entry', () => {
    const out = decodeSafetensors(rawFile('{"__proto__":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', new Uint8Array(4)));
    expect(Object.keys(out.tensors)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(out.tensors)).toBe(Object.prototype);
  });
});

// ---------------------------------------------------------------------------------------------
// fuzz: mutated valid files

/** Independent reading of a (mutated) file with JSON.parse: what a correct decode must return. */
function describedBy(bytes: Uint8Array) {
  const { n, json } = headerOf(bytes);
  const header = JSON.parse(json) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const tensors: Record<string, TensorRecord> = {};
  let metadata = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = header[name] ?? {};
      continue;
    }
    const raw = bytes.slice(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
    Object.defineProperty(tensors, name, {
      enumerable: true,
      value: { dtype: e.dtype === "F32" ? "float32" : "float64", shape: e.shape, data: e.dtype === "F32" ? new Float32Array(raw.buffer) : new Float64Array(raw.buffer) },
    });
  }
  return { tensors, metadata };
}

/** Decode must throw CheckpointError or return exactly what the bytes describe; nothing else. */
function checkDecode(bytes: Uint8Array): "ok" | "rejected" {
  let out;
  try {
    out = decodeSafetensors(bytes);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw new Error(`non-CheckpointError escaped: ${String(e)}`, { cause: e });
    return "rejected";
  }
  const expected = describedBy(bytes);
  expectSameTensors(out.tensors, expected.tensors);
  expect(out.metadata).toEqual(expected.metadata);
  return "ok";
}

type ByteEdit = ["flip" | "insert" | "delete" | "flipHeader", number, number];
const byteEditsArb = fc.array(
  fc.tuple(fc.constantFrom("flip", "insert", "delete", "flipHeader"), fc.nat(), fc.integer({ min: 1, max: 255 })) as fc.Arbitrary<ByteEdit>,
  { minLength: 1, maxLength: 4 },
);

/** `base` with each edit applied in turn: xor a byte (anywhere, or in the header), insert one, delete one. */
function mangle(base: Uint8Array, edits: ByteEdit[]): Uint8Array {
  let m = base.slice();
  for (const [kind, at, v] of edits) {
    if (kind === "flip" || kind === "flipHeader") {
      const span = kind === "flipHeader" ? Math.min(m.length, 8 + headerOf(base).n) : m.length;
      if (span > 0) m[at % span] ^= v;
    } else if (kind === "insert") {
      const i = at % (m.length + 1);
      m = Uint8Array.from([...m.subarray(0, i), v, ...m.subarray(i)]);
    } else if (m.length > 0) {
      const i = at % m.length;
      m = Uint8Array.from([...m.subarray(0, i), ...m.subarray(i + 1)]);
    }
  }
  return m;
}

const baseArb = fc.oneof(
  { arbitrary: fc.constant(referenceFile), weight: 1 },
  { arbitrary: fc.tuple(tensorsArb, metadataArb).map(([t, m]) => encodeSafetensors(t, m)), weight: 3 },
);

describe("fuzz", () => {
  test("truncation and header-length changes are always rejected", () => {
    fc.assert(
      fc.property(baseArb, fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -16, max: 16 }), (base, cut, anyLen, delta) => {
        expectCheckpointError(base.subarray(0, cut % base.length));
        const n = headerOf(base).n;
        for (const len of [anyLen, BigInt(Math.max(0, n + delta))]) {
          if (len === BigInt(n)) continue;
          const m = base.slice();
          new DataView(m.buffer).setBigUint64(0, len, true);
          expectCheckpointError(m);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("random byte flips, inserts and deletes: CheckpointError or exactly what the bytes say", () => {
    let ok = 0;
    let rejected = 0;
    fc.assert(
      fc.property(
        baseArb,
        byteEditsArb,
        (base, edits) => {
          const m = mangle(base, edits);
          if (checkDecode(m) === "ok") ok++;
          else rejected++;
        },
      ),
      { numRuns: 2000 },
    );
    expect(ok).toBeGreaterThan(0); // the oracle was exercised on accepted files too
    expect(rejected).toBeGreaterThan(0);
  });

  test("flips inside the data area are read back as exactly those bytes", () => {
    fc.assert(
      fc.property(baseArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (base, at, v) => {
        const n = headerOf(base).n;
        const dataLen = base.length - 8 - n;
        fc.pre(dataLen > 0);
        const m = base.slice();
        m[8 + n + (at % dataLen)] ^= v;
        expect(checkDecode(m)).toBe("ok");
      }),
      { numRuns: 300 },
    );
  });

  type Header = Record<string, { dtype: unknown; shape: unknown; data_offsets: unknown } & Record<string, unknown>>;
  const edits: Record<string, (h: Header, names: string[], pick: number) => boolean> = {
    overlap(h, names, pick) {
      const sized = names.filter((k) => {
        const [b, e] = h[k].data_offsets as number[];
        return e > b;
      });
      if (sized.length < 2) return false;
      const i = sized[pick % sized.length];
      const j = sized[(pick + 1) % sized.length];
      const [bi, ei] = h[i].data_offsets as number[];
      const bj = (h[j].data_offsets as number[])[0];
      h[i].data_offsets = [bj, bj + (ei - bi)];
      return true;
    },
    wrongDtype(h, names, pick) {
      h[names[pick % names.length]].dtype = ["F16", "BF16", "I64", "U8", "BOOL", "f32", "F32 ", "", "float32"][pick % 9];
      return true;
    },
    shapeMismatch(h, names, pick) {
      const e = h[names[pick % names.length]];
      const numel = (e.shape as number[]).reduce((a, b) => a * b, 1);
      e.shape = [numel + 1 + (pick % 3)];
      return true;
    },
    reverse(h, names, pick) {
      const e = h[names[pick % names.length]];
      const [b, end] = e.data_offsets as number[];
      if (b === end) return false;
      e.data_offsets = [end, b];
      return true;
    },
    outOfRange(h, names, pick) {
      const e = h[names[pick % names.length]];
      const [b, end] = e.data_offsets as number[];
      e.data_offsets = [b + 1_000_000, end + 1_000_000];
      return true;
    },
    shift(h, names, pick) {
      const e = h[names[pick % names.length]];
      const [b, end] = e.data_offsets as number[];
      const d = (pick % 2 ? 1 : -1) * (1 + (pick % 5));
      // A zero-size tensor may legally move to another tensor boundary; a sized one cannot.
      if (b + d < 0 || b === end) return false;
      e.data_offsets = [b + d, end + d];
      return true;
    },
    dropField(h, names, pick) {
      delete h[names[pick % names.length]][["dtype", "shape", "data_offsets"][pick % 3]];
      return true;
    },
    badType(h, names, pick) {
      const e = h[names[pick % names.length]];
      const bad = [null, "3", 1.5, -1, {}, [[1]], true][pick % 7];
      if (pick % 2) e.shape = [bad];
      else e.data_offsets = [bad, (e.data_offsets as number[])[1]];
      return true;
    },
    metadataNotString(h, _names, pick) {
      h.__metadata__ = { ...((h.__metadata__ as unknown as object) ?? {}), key: [1, null, {}, true][pick % 4] } as never;
      return true;
    },
  };

  test.each(Object.keys(edits))("header edit %s is rejected with CheckpointError", (kind) => {
    let applied = 0;
    fc.assert(
      fc.property(baseArb, fc.nat(), (base, pick) => {
        const h = JSON.parse(headerOf(base).json) as Header;
        const names = Object.keys(h).filter((k) => k !== "__metadata__");
        if (names.length === 0 && kind !== "metadataNotString") return;
        if (!edits[kind](h, names, pick)) return;
        applied++;
        expectCheckpointError(withHeader(base, h));
      }),
      { numRuns: 200 },
    );
    expect(applied).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------------------
// checksums: the same damage, and edits the plain format cannot notice, are never silent

describe("checksummed files (encodeCheckpoint / decodeCheckpoint)", () => {
  // The checksums are found by their keys. Damage that renamed every checksum key would make a
  // file read as one without checksums; that takes one edit per tensor plus one, so for these
  // at most 4 edits the files hold at least 4 tensors (a saved module has one per parameter).
  const checkedArb = fc.tuple(
    fc.dictionary(nameArb.filter((n) => n !== "__metadata__"), tensorArb, { minKeys: 4, maxKeys: 6 }).map((d) => ({ ...d }) as Record<string, TensorRecord>),
    metadataArb.map((m) => m ?? {}),
  );

  /** decodeCheckpoint must throw CheckpointError or return exactly what was encoded. */
  async function expectErrorOrOriginal(bytes: Uint8Array, tensors: Record<string, TensorRecord>, metadata: Record<string, string>) {
    let out;
    try {
      out = await decodeCheckpoint(bytes);
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw new Error(`non-CheckpointError escaped: ${String(e)}`, { cause: e });
      return "rejected";
    }
    expectSameTensors(out.tensors, tensors);
    expect(out.metadata).toEqual(metadata);
    return "ok";
  }

  test("round trip; the checksums live in the metadata as strings and are not returned", async () => {
    await fc.assert(
      fc.asyncProperty(checkedArb, async ([tensors, metadata]) => {
        const bytes = await encodeCheckpoint(tensors, metadata);
        const plain = decodeSafetensors(bytes).metadata;
        const checksumKeys = Object.keys(plain).filter((k) => k.startsWith("checksum."));
        expect(checksumKeys.sort()).toEqual(["checksum.header", ...Object.keys(tensors).map((n) => `checksum.tensor.${n}`)].sort());
        expect(await expectErrorOrOriginal(bytes, tensors, metadata)).toBe("ok");
        // Another writer's header with the same contents (key order, spacing) still verifies.
        expect(await expectErrorOrOriginal(withHeader(bytes, JSON.parse(headerOf(bytes).json)), tensors, metadata)).toBe("ok");
      }),
      { numRuns: 100 },
    );
  });

  test("random byte flips, inserts and deletes: CheckpointError or the original values, never anything else", async () => {
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(checkedArb, byteEditsArb, async ([tensors, metadata], edits) => {
        const bytes = await encodeCheckpoint(tensors, metadata);
        if ((await expectErrorOrOriginal(mangle(bytes, edits), tensors, metadata)) === "rejected") rejected++;
      }),
      { numRuns: 1000 },
    );
    expect(rejected).toBeGreaterThan(500); // most edits change something (some only swap padding for other whitespace)
  });

  type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__?: Record<string, string> };
  const bytesOfTensor = (h: Header, name: string) => h[name].data_offsets[1] - h[name].data_offsets[0];
  // Edits that leave a well-formed file: the plain decoder returns other values without a word.
  const silentEdits: Record<string, (h: Header, names: string[], pick: number) => boolean> = {
    swapSameSizeTensors(h, names, pick) {
      const sized = names.filter((n) => bytesOfTensor(h, n) > 0);
      const a = sized[pick % Math.max(sized.length, 1)];
      const b = sized.find((n) => n !== a && bytesOfTensor(h, n) === bytesOfTensor(h, a) && h[n].dtype === h[a].dtype);
      if (a === undefined || b === undefined) return false;
      [h[a].data_offsets, h[b].data_offsets] = [h[b].data_offsets, h[a].data_offsets];
      return true;
    },
    reshape(h, names, pick) {
      const name = names[pick % names.length];
      const numel = h[name].shape.reduce((x, y) => x * y, 1);
      const flat = h[name].shape.length === 1 ? [numel, 1] : [numel];
      h[name].shape = flat;
      return true;
    },
    rename(h, names, pick) {
      const name = names[pick % names.length];
      const renamed = `${name}_renamed`;
      if (Object.hasOwn(h, renamed)) return false;
      Object.defineProperty(h, renamed, { value: h[name], enumerable: true, writable: true, configurable: true });
      delete h[name];
      return true;
    },
    editMetadata(h, _names, pick) {
      h.__metadata__ = { ...h.__metadata__, [`key${pick % 3}`]: `edited ${pick}` };
      return true;
    },
    editChecksum(h, names, pick) {
      const key = pick % 2 === 0 ? "checksum.header" : `checksum.tensor.${names[pick % names.length]}`;
      const digest = h.__metadata__![key];
      h.__metadata__![key] = digest.slice(0, -1) + (digest.endsWith("0") ? "1" : "0");
      return true;
    },
  };

  test.each(Object.keys(silentEdits))("%s: read silently without checksums, refused with them", async (kind) => {
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(checkedArb, fc.nat(), async ([tensors, metadata], pick) => {
        const bytes = await encodeCheckpoint(tensors, metadata);
        const h = JSON.parse(headerOf(bytes).json) as Header;
        const names = Object.keys(h).filter((k) => k !== "__metadata__");
        if (!silentEdits[kind](h, names, pick)) return;
        const edited = withHeader(bytes, h);
        expect(() => decodeSafetensors(edited)).not.toThrow();
        await expect(decodeCheckpoint(edited)).rejects.toThrow(/^checkpoint is damaged: /);
        applied++;
      }),
      { numRuns: 100 },
    );
    expect(applied).toBeGreaterThan(kind === "swapSameSizeTensors" ? 3 : 50);
  });

  test("what the errors say", async () => {
    const w: TensorRecord = { dtype: "float32", shape: [2], data: Float32Array.of(1, 2) };
    const b: TensorRecord = { dtype: "float32", shape: [2], data: Float32Array.of(3, 4) };
    const bytes = await encodeCheckpoint({ w, b }, { epoch: "3" });
    const n = headerOf(bytes).n;
    const flipped = bytes.slice();
    flipped[8 + n + 9] ^= 0x01; // a bit of w (F32 data sorted by name: b at bytes 0-7, then w)
    await expect(decodeCheckpoint(flipped)).rejects.toThrow('checkpoint is damaged: the data of tensor "w" does not match its checksum');
    const edit = (change: (h: Header) => void) => {
      const h = JSON.parse(headerOf(bytes).json) as Header;
      change(h);
      return decodeCheckpoint(withHeader(bytes, h));
    };
    await expect(edit((h) => (h.__metadata__!.epoch = "4"))).rejects.toThrow(
      "checkpoint is damaged: the header (tensor names, dtypes, shapes, offsets or metadata) does not match its checksum",
    );
    await expect(edit((h) => ((h.x = h.w), delete h.w))).rejects.toThrow('checkpoint is damaged: there is a checksum for tensor "w", which the file does not hold');
    await expect(edit((h) => delete h.__metadata__!["checksum.tensor.b"])).rejects.toThrow('checkpoint is damaged: tensor "b" has no checksum');
    await expect(edit((h) => delete h.__metadata__!["checksum.header"])).rejects.toThrow('the header\'s checksum ("checksum.header") is missing');
    await expect(edit((h) => (h.__metadata__!["checksum.other"] = h.__metadata__!["checksum.header"]))).rejects.toThrow('unknown checksum entry "checksum.other"');
    await expect(edit((h) => (h.__metadata__!["checksum.header"] = "crc32:0"))).rejects.toThrow('"checksum.header" is not "sha256:" and 64 hex digits');
    await expect(encodeCheckpoint({ w }, { "checksum.mine": "x" })).rejects.toThrow('metadata key(s) "checksum.mine" are reserved for checksums');
  });

  // Keep in sync with CHECKED_TENSORS/CHECKED_METADATA in test/fixtures/safetensors/make.py, which
  // computes the checksums independently (hashlib) and writes checksummed.safetensors.
  const CHECKED: Record<string, TensorRecord> = {
    weight: { dtype: "float32", shape: [2, 2], data: Float32Array.of(1, -2, 0.5, 0.25) },
    bias: { dtype: "float64", shape: [2], data: Float64Array.of(0.1, -0) },
    "\uff21": { dtype: "float32", shape: [1], data: Float32Array.of(7) },
    "\u{1F600}": { dtype: "float32", shape: [0], data: new Float32Array(0) },
  };
  const CHECKED_METADATA = { format: "pt", epoch: "\u00e9 3" };
  const checksummedFile = new Uint8Array(
    readFileSync(fileURLToPath(new URL("../fixtures/safetensors/checksummed.safetensors", import.meta.url))),
  );

  test("the checksums are the ones make.py computes in Python: same bytes, and they verify", async () => {
    expect(Buffer.from(await encodeCheckpoint(CHECKED, CHECKED_METADATA)).equals(Buffer.from(checksummedFile))).toBe(true);
    expect(await expectErrorOrOriginal(checksummedFile, CHECKED, CHECKED_METADATA)).toBe("ok");
  });

  test("files without checksums (Python's, older ones) load unverified", async () => {
    const { tensors, metadata } = await decodeCheckpoint(referenceFile);
    expectSameTensors(tensors, REFERENCE);
    expect(metadata).toEqual(REFERENCE_METADATA);
  });
});
