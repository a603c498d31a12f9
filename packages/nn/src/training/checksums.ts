/**
 * Checkpoints that notice damage. `encodeCheckpoint` stores SHA-256 checksums in the safetensors
 * `__metadata__`, as strings, so Python's `safetensors` reads the file as before:
 *
 *   "checksum.tensor.<name>": "sha256:<hex>"  over the tensor's bytes as stored (little-endian)
 *   "checksum.header":        "sha256:<hex>"  over everything else the header says: every tensor's
 *                                             name, dtype, shape and data offsets, and every other
 *                                             metadata entry (the tensor checksums included)
 *
 * The header checksum covers a canonical description rather than the header's bytes, so a file
 * rewritten by another writer with the same contents still verifies:
 *   JSON of [[[key, value], ... sorted by key], [[name, dtype, [shape], [begin, end]], ... sorted by name]]
 * without whitespace, keys and names in code point order (test/fixtures/safetensors/check_checksums.py
 * recomputes it in Python).
 *
 * `decodeCheckpoint` verifies them when present: a flipped bit, a renamed tensor or edited
 * metadata is a CheckpointError instead of silently different values. A file with no checksum
 * entry at all (written by Python, or by an older gradgraph) loads unverified. The checksums are
 * found by their keys, so damage that renamed every one of them would make a file read as
 * unverified; that takes one edit per tensor, plus one.
 *
 * Hashing uses the Web Crypto API, present in Node and in browsers (on https or localhost pages).
 */
import {
  CheckpointError,
  type TensorLayout,
  type TensorRecord,
  compareCodePoints,
  decodeSafetensors,
  encodeSafetensors,
  layoutSafetensors,
  littleEndianBytes,
} from "./safetensors";

/** Metadata keys under this prefix are the checksums' and refused from users. */
export const CHECKSUM_PREFIX = "checksum.";
const HEADER_KEY = `${CHECKSUM_PREFIX}header`;
const TENSOR_PREFIX = `${CHECKSUM_PREFIX}tensor.`;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** safetensors bytes with checksums of every tensor and of the header. */
export async function encodeCheckpoint(tensors: Record<string, TensorRecord>, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const reserved = Object.keys(metadata).filter((key) => key.startsWith(CHECKSUM_PREFIX));
  if (reserved.length > 0) {
    throw new CheckpointError(`metadata key(s) ${reserved.map((k) => JSON.stringify(k)).join(", ")} are reserved for checksums`);
  }
  const layout = layoutSafetensors(tensors);
  const withChecksums: Record<string, string> = { ...metadata };
  for (const { name } of layout) withChecksums[TENSOR_PREFIX + name] = await sha256(littleEndianBytes(tensors[name].data));
  withChecksums[HEADER_KEY] = await sha256(describeHeader(layout, withChecksums));
  return encodeSafetensors(tensors, withChecksums);
}

/** Decodes safetensors bytes and verifies their checksums if they have any; the metadata returned holds none. */
export async function decodeCheckpoint(bytes: Uint8Array): Promise<{ tensors: Record<string, TensorRecord>; metadata: Record<string, string> }> {
  const { tensors, metadata, layout } = decodeSafetensors(bytes);
  const checksumKeys = Object.keys(metadata).filter((key) => key.startsWith(CHECKSUM_PREFIX));
  const userMetadata = Object.fromEntries(Object.entries(metadata).filter(([key]) => !key.startsWith(CHECKSUM_PREFIX)));
  if (checksumKeys.length === 0) return { tensors, metadata: userMetadata };

  const damaged = (what: string) => new CheckpointError(`checkpoint is damaged: ${what}`);
  for (const key of checksumKeys) {
    if (!DIGEST.test(metadata[key])) throw damaged(`checksum entry ${JSON.stringify(key)} is not "sha256:" and 64 hex digits`);
    if (key === HEADER_KEY) continue;
    if (!key.startsWith(TENSOR_PREFIX)) throw damaged(`unknown checksum entry ${JSON.stringify(key)}`);
    const name = key.slice(TENSOR_PREFIX.length);
    if (!Object.hasOwn(tensors, name)) throw damaged(`there is a checksum for tensor ${JSON.stringify(name)}, which the file does not hold`);
  }
  if (!Object.hasOwn(metadata, HEADER_KEY)) throw damaged(`the header's checksum ("${HEADER_KEY}") is missing`);
  for (const { name } of layout) {
    if (!Object.hasOwn(metadata, TENSOR_PREFIX + name)) throw damaged(`tensor ${JSON.stringify(name)} has no checksum`);
  }
  const { [HEADER_KEY]: _, ...described } = metadata;
  if ((await sha256(describeHeader(layout, described))) !== metadata[HEADER_KEY]) {
    throw damaged("the header (tensor names, dtypes, shapes, offsets or metadata) does not match its checksum");
  }
  for (const { name } of layout) {
    if ((await sha256(littleEndianBytes(tensors[name].data))) !== metadata[TENSOR_PREFIX + name]) {
      throw damaged(`the data of tensor ${JSON.stringify(name)} does not match its checksum`);
    }
  }
  return { tensors, metadata: userMetadata };
}

/** The canonical description the header checksum covers (see the file comment). */
function describeHeader(layout: TensorLayout[], metadata: Record<string, string>): Uint8Array {
  const entries = Object.entries(metadata).sort(([a], [b]) => compareCodePoints(a, b));
  const tensors = [...layout].sort((a, b) => compareCodePoints(a.name, b.name)).map((t) => [t.name, t.dtype, t.shape, t.dataOffsets]);
  return new TextEncoder().encode(JSON.stringify([entries, tensors]));
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    throw new CheckpointError("checkpoint checksums need the Web Crypto API (crypto.subtle): Node 20 or later, or a browser page on https or localhost");
  }
  // Web Crypto refuses views of a SharedArrayBuffer; those are hashed from a copy.
  const source = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const digest = new Uint8Array(await subtle.digest("SHA-256", source));
  return `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
