/**
 * The safetensors format, byte-compatible with Hugging Face's reference implementation
 * (the Rust crate behind Python's `safetensors`):
 *
 *   [u64 LE header length N][N bytes UTF-8 JSON header, space-padded to a multiple of 8][data]
 *
 * Header: `{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}`,
 * offsets relative to the start of the data area. The writer lays tensors out by descending
 * dtype (so F64 before F32), then by name in code point order, exactly as the crate does, so
 * our bytes equal Python's for the same tensors (metadata keys: the crate uses a HashMap, so
 * with more than one key its order is arbitrary; we sort them).
 *
 * The reader is at least as strict as the crate: the tensors must tile the data area exactly
 * (no gaps, overlaps or trailing bytes), sizes must match shape * dtype, and it also rejects
 * what the crate lets through or resolves silently (duplicate JSON keys).
 */

import { JsonNumber, JsonSyntaxError, type JsonValue, hasLoneSurrogate, parseStrictJson } from "./strictJson";

/** A tensor as a safetensors file holds it: dtype, shape and flat values. */
export type TensorRecord = {
  dtype: "float32" | "float64";
  shape: number[];
  data: Float32Array | Float64Array;
};

/** Raised for any malformed checkpoint (when reading) or unencodable tensor (when writing). */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** Same limit as the reference implementation: larger headers are refused as absurd. */
export const MAX_HEADER_SIZE = 100_000_000;

const DTYPES = {
  F32: { dtype: "float32", size: 4 },
  F64: { dtype: "float64", size: 8 },
} as const;
type SupportedCode = keyof typeof DTYPES;

/** Valid safetensors dtypes we do not load; named in errors so users know the file is fine. */
const OTHER_SAFETENSORS_DTYPES = new Set([
  "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
  "I16", "U16", "F16", "BF16", "I32", "U32", "C64", "I64", "U64",
]);

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Encoding

/** What a header says about one tensor: its name, safetensors dtype, shape and byte range in the data area. */
export type TensorLayout = {
  name: string;
  dtype: "F32" | "F64";
  shape: number[];
  dataOffsets: [begin: number, end: number];
};

/**
 * Where `encodeSafetensors` puts each tensor, in data order: the crate's order, descending dtype
 * (F64 sorts after F32 in its enum), then name. Rust compares names as UTF-8 bytes, which is code
 * point order, not JS's UTF-16 order. Validates every record.
 */
export function layoutSafetensors(tensors: Record<string, TensorRecord>): TensorLayout[] {
  const checked = Object.keys(tensors).map((name) => {
    if (name === "__metadata__") throw new CheckpointError(`tensor name "__metadata__" is reserved`);
    checkUnicode(name, "tensor name");
    return { name, ...checkTensor(name, tensors[name]) };
  });
  checked.sort((a, b) => (a.dtype !== b.dtype ? (a.dtype === "F64" ? -1 : 1) : compareCodePoints(a.name, b.name)));
  let offset = 0;
  return checked.map(({ name, dtype, shape, byteLength }) => {
    const dataOffsets: [number, number] = [offset, offset + byteLength];
    offset += byteLength;
    return { name, dtype, shape, dataOffsets };
  });
}

/**
 * The bytes of a safetensors file holding `tensors` and `metadata`, laid out as the safetensors crate lays
 * them out.
 */
export function encodeSafetensors(
  tensors: Record<string, TensorRecord>,
  metadata?: Record<string, string>,
): Uint8Array {
  const layout = layoutSafetensors(tensors);
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareCodePoints);
    const entries = keys.map((k) => {
      const v = metadata[k];
      if (typeof v !== "string") throw new CheckpointError(`metadata value for key ${JSON.stringify(k)} is not a string`);
      checkUnicode(k, "metadata key");
      checkUnicode(v, `metadata value for key ${JSON.stringify(k)}`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`"__metadata__":{${entries.join(",")}}`);
  }
  for (const { name, dtype, shape, dataOffsets } of layout) {
    // JSON.stringify escapes strings exactly like serde_json for well-formed Unicode.
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${shape.join(",")}],"data_offsets":[${dataOffsets.join(",")}]}`);
  }
  const json = utf8Encoder.encode(`{${parts.join(",")}}`);
  const headerLen = Math.ceil(json.byteLength / 8) * 8;
  if (headerLen > MAX_HEADER_SIZE) throw new CheckpointError(`header of ${headerLen} bytes exceeds the ${MAX_HEADER_SIZE}-byte limit`);

  const dataLen = layout.length === 0 ? 0 : layout[layout.length - 1].dataOffsets[1];
  const out = new Uint8Array(8 + headerLen + dataLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLen);
  for (const { name, dataOffsets } of layout) out.set(littleEndianBytes(tensors[name].data), 8 + headerLen + dataOffsets[0]);
  return out;
}

function checkTensor(name: string, t: TensorRecord): { dtype: SupportedCode; shape: number[]; byteLength: number } {
  const where = `tensor ${JSON.stringify(name)}`;
  if (t === null || typeof t !== "object") throw new CheckpointError(`${where} is not a tensor record`);
  let dtype: SupportedCode;
  if (t.dtype === "float32" && t.data instanceof Float32Array) dtype = "F32";
  else if (t.dtype === "float64" && t.data instanceof Float64Array) dtype = "F64";
  else throw new CheckpointError(`${where}: dtype ${String(t.dtype)} does not match its data (${t.data?.constructor?.name})`);
  if (!Array.isArray(t.shape)) throw new CheckpointError(`${where}: shape is not an array`);
  let numel = 1;
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new CheckpointError(`${where}: shape entry ${d} is not a non-negative integer`);
    numel *= d;
  }
  if (numel !== t.data.length) {
    throw new CheckpointError(`${where}: shape [${t.shape.join(", ")}] has ${numel} elements but data has ${t.data.length}`);
  }
  return { dtype, shape: [...t.shape], byteLength: t.data.byteLength };
}

/** The bytes as a file holds them: a view of the data on little-endian hosts, a swapped copy elsewhere. */
export function littleEndianBytes(data: Float32Array | Float64Array): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return view;
  const swapped = view.slice();
  swapBytes(swapped, data.BYTES_PER_ELEMENT);
  return swapped;
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

/** Code point order (Rust's and Python's string order), not JS's UTF-16 order. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/** A lone surrogate has no UTF-8 form: TextEncoder would silently turn it into U+FFFD. */
function checkUnicode(s: string, what: string): void {
  if (hasLoneSurrogate(s)) throw new CheckpointError(`${what} ${JSON.stringify(s)} contains a lone surrogate (not valid Unicode)`);
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** The tensors and metadata of a safetensors file, and its layout (data order) as the header gives it. */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, TensorRecord>;
  metadata: Record<string, string>;
  layout: TensorLayout[];
} {
  if (!(bytes instanceof Uint8Array)) throw new CheckpointError("expected the file contents as a Uint8Array");
  if (bytes.byteLength < 8) throw new CheckpointError(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) throw new CheckpointError(`header length ${n} exceeds the ${MAX_HEADER_SIZE}-byte limit`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.byteLength) {
    throw new CheckpointError(`header length ${headerLen} runs past the end of the ${bytes.byteLength}-byte file`);
  }

  let text: string;
  try {
    // ignoreBOM keeps a leading BOM in the text so the JSON parser rejects it, as serde_json does.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new CheckpointError("header is not valid UTF-8");
  }
  let header: JsonValue;
  try {
    header = parseStrictJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new CheckpointError(`header is not valid JSON: ${err.message}`);
    throw err;
  }
  if (!(header instanceof Map)) throw new CheckpointError("header JSON is not an object");

  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const layout: TensorLayout[] = [];

  for (const [name, value] of header) {
    if (name === "__metadata__") {
      if (value === null) continue; // serde reads null as "no metadata"
      if (!(value instanceof Map)) throw new CheckpointError(`"__metadata__" is not an object`);
      for (const [k, v] of value) {
        if (typeof v !== "string") throw new CheckpointError(`metadata value for key ${JSON.stringify(k)} is not a string`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!(value instanceof Map)) throw new CheckpointError(`${where}: entry is not an object`);
    const dtype = value.get("dtype");
    const shape = value.get("shape");
    const offsets = value.get("data_offsets");
    if (dtype === undefined || shape === undefined || offsets === undefined) {
      const missing = ["dtype", "shape", "data_offsets"].filter((f) => !value.has(f));
      throw new CheckpointError(`${where}: missing field(s) ${missing.join(", ")}`);
    }
    if (typeof dtype !== "string") throw new CheckpointError(`${where}: dtype is not a string`);
    if (!Object.hasOwn(DTYPES, dtype)) {
      throw new CheckpointError(
        OTHER_SAFETENSORS_DTYPES.has(dtype)
          ? `${where} has dtype ${dtype}, which is not supported (only F32 and F64 are)`
          : `${where} has unknown dtype ${JSON.stringify(dtype)} (only F32 and F64 are supported)`,
      );
    }
    if (!Array.isArray(shape)) throw new CheckpointError(`${where}: shape is not an array`);
    const dims = shape.map((d, i) => toIndex(d, `${where}: shape[${i}]`));
    if (!Array.isArray(offsets) || offsets.length !== 2) {
      throw new CheckpointError(`${where}: data_offsets is not a [begin, end] pair`);
    }
    const begin = toIndex(offsets[0], `${where}: data_offsets[0]`);
    const end = toIndex(offsets[1], `${where}: data_offsets[1]`);
    if (end < begin) throw new CheckpointError(`${where}: data_offsets [${begin}, ${end}] are reversed`);
    if (end > dataLen) {
      throw new CheckpointError(`${where}: data_offsets [${begin}, ${end}] extend past the ${dataLen}-byte data area`);
    }
    layout.push({ name, dtype: dtype as SupportedCode, shape: dims, dataOffsets: [begin, end] });
  }

  // Like the crate, require the tensors to tile the data area exactly once sorted by offset.
  layout.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1] || compareCodePoints(a.name, b.name));
  let cursor = 0;
  let prev: TensorLayout | undefined;
  for (const e of layout) {
    const where = `tensor ${JSON.stringify(e.name)}`;
    const [begin, end] = e.dataOffsets;
    if (begin < cursor) {
      throw new CheckpointError(
        `${where}: data_offsets [${begin}, ${end}] overlap tensor ${JSON.stringify(prev!.name)} [${prev!.dataOffsets.join(", ")}]`,
      );
    }
    if (begin > cursor) throw new CheckpointError(`${where}: ${begin - cursor} unused bytes before its data (at offset ${cursor})`);
    let numel = 1;
    for (const d of e.shape) {
      numel *= d;
      if (numel > Number.MAX_SAFE_INTEGER) throw new CheckpointError(`${where}: shape [${e.shape.join(", ")}] is absurdly large`);
    }
    const expected = numel * DTYPES[e.dtype].size;
    if (end - begin !== expected) {
      throw new CheckpointError(`${where}: ${end - begin} bytes of data but shape [${e.shape.join(", ")}] of ${e.dtype} needs ${expected}`);
    }
    cursor = end;
    prev = e;
  }
  if (cursor !== dataLen) throw new CheckpointError(`${dataLen - cursor} trailing bytes after the last tensor`);

  const tensors: Record<string, TensorRecord> = {};
  for (const { name, dtype, shape, dataOffsets } of layout) {
    // Copy into a fresh buffer: the file's data area need not be aligned for Float64Array.
    const raw = bytes.slice(dataStart + dataOffsets[0], dataStart + dataOffsets[1]);
    if (!HOST_IS_LITTLE_ENDIAN) swapBytes(raw, DTYPES[dtype].size);
    const data = dtype === "F32" ? new Float32Array(raw.buffer) : new Float64Array(raw.buffer);
    setOwn(tensors, name, { dtype: DTYPES[dtype].dtype, shape: [...shape], data });
  }
  return { tensors, metadata, layout };
}

/** Plain assignment would treat a tensor named "__proto__" as a prototype change. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function toIndex(v: JsonValue | undefined, where: string): number {
  // serde reads these as usize: integer literals only, no fractions or exponents.
  if (!(v instanceof JsonNumber) || !/^(0|[1-9][0-9]*)$/.test(v.raw)) {
    throw new CheckpointError(`${where} is not a non-negative integer (got ${describe(v)})`);
  }
  const x = Number(v.raw);
  if (!Number.isSafeInteger(x)) throw new CheckpointError(`${where} = ${v.raw} is absurdly large`);
  return x;
}

function describe(v: JsonValue | undefined): string {
  if (v instanceof JsonNumber) return v.raw;
  if (v instanceof Map) return "an object";
  if (Array.isArray(v)) return "an array";
  return JSON.stringify(v) ?? String(v);
}
