import { describeValue } from "../validation";
import { decodeCheckpoint, encodeCheckpoint } from "./checksums";
import { type NodeFiles, nodeFiles } from "./nodeFiles";
import type { TensorRecord } from "./safetensors";

/** Temp files this process is writing right now: never stale, whatever their age. */
const tempsInFlight = new Set<string>();

/**
 * Replace `path` with `bytes` so that readers (and a crash at any instant) see either the old
 * file or the complete new one, never a torn write: write a temp file in the same folder (a
 * rename is only atomic within one file system), fsync it, rename it over the target, then
 * fsync the folder so the rename itself is durable.
 *
 * Temp names are unique per call, `.<base>.<pid>.<hex>.tmp`, so a temp file left behind by a
 * killed process never collides with a later save; that later save removes it (see
 * `removeStaleTemps`).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const node = nodeFiles("writeFileAtomic", "keep the bytes in memory, or hand them to the page (a download, IndexedDB)");
  const { open, rename, unlink } = node.fs;
  const dir = node.path.dirname(path);
  const tmp = node.path.join(dir, `.${node.path.basename(path)}.${process.pid}.${node.crypto.randomBytes(6).toString("hex")}.tmp`);
  tempsInFlight.add(tmp);
  try {
    const fh = await open(tmp, "wx");
    try {
      let written = 0;
      while (written < bytes.byteLength) {
        const { bytesWritten } = await fh.write(bytes, written, bytes.byteLength - written);
        written += bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    tempsInFlight.delete(tmp);
  }
  await syncDir(node, dir);
  await removeStaleTemps(node, path);
}

/**
 * Removes the temp files of earlier saves to `path` whose writer is gone: a process that no
 * longer exists, or this process when the file is not one of its saves in flight (a pid can come
 * back, e.g. in a restarted container). Temps of other live processes may be saves in progress
 * and are left alone. Best effort: a save never fails over the cleanup.
 */
async function removeStaleTemps({ fs, path: paths }: NodeFiles, path: string): Promise<void> {
  const dir = paths.dirname(path);
  const prefix = `.${paths.basename(path)}.`;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const writer = /^(\d+)\.[0-9a-f]{12}$/.exec(name.slice(prefix.length, -".tmp".length));
    if (writer === null) continue; // not one of our temp names
    const pid = Number(writer[1]);
    const tmp = paths.join(dir, name);
    const stale = pid === process.pid ? !tempsInFlight.has(tmp) : !processExists(pid);
    if (stale) await fs.unlink(tmp).catch(() => {}); // another save may have removed it first
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 checks existence and sends nothing
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user
  }
}

async function syncDir({ fs }: NodeFiles, dir: string): Promise<void> {
  let fh;
  try {
    fh = await fs.open(dir, "r");
  } catch {
    return; // some platforms (Windows) cannot open a folder; nothing more we can do there
  }
  try {
    await fh.sync();
  } catch (err) {
    // Folders that do not support fsync report EINVAL/EISDIR/EPERM; the data itself is synced.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EPERM" && code !== "EBADF") throw err;
  } finally {
    await fh.close();
  }
}

/**
 * Save tensors as a safetensors file with checksums (see {@link encodeCheckpoint}), atomically (see {@link writeFileAtomic}).
 * What is saved comes first and where second, as in `save(module, path)` and `torch.save(obj, f)`.
 */
export async function saveCheckpoint(
  tensors: Record<string, TensorRecord>,
  path: string,
  metadata?: Record<string, string>,
): Promise<void> {
  if (typeof tensors === "string") {
    throw new TypeError("saveCheckpoint: the tensors come first and the path second, saveCheckpoint(tensors, path), as in save(module, path)");
  }
  if (typeof path !== "string" || path === "") throw new TypeError(`saveCheckpoint: path must be a non-empty string, got ${describeValue(path)}`);
  nodeFiles("saveCheckpoint", "encodeCheckpoint(tensors, metadata) gives the file's bytes");
  await writeFileAtomic(path, await encodeCheckpoint(tensors, metadata));
}

/** Load a safetensors file, verifying its checksums when it has them; malformed or damaged contents raise CheckpointError, I/O problems the fs error. */
export async function loadCheckpoint(
  path: string,
): Promise<{ tensors: Record<string, TensorRecord>; metadata: Record<string, string> }> {
  const { fs } = nodeFiles("loadCheckpoint", "decodeCheckpoint(bytes) reads the file's bytes (new Uint8Array(await response.arrayBuffer()) for a fetched file)");
  const bytes = await fs.readFile(path);
  return decodeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
