import { randomBytes } from "node:crypto";
import { open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { decodeSafetensors, encodeSafetensors, type TensorRecord } from "./safetensors";

/**
 * Replace `path` with `bytes` so that readers (and a crash at any instant) see either the old
 * file or the complete new one, never a torn write: write a temp file in the same folder (a
 * rename is only atomic within one file system), fsync it, rename it over the target, then
 * fsync the folder so the rename itself is durable.
 *
 * Temp names are unique per call (pid + random), so a temp file left behind by a killed
 * process never collides with a later save; it is just an orphan named `.<base>.<pid>.<hex>.tmp`.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
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
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, "r");
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

/** Save tensors as a safetensors file, atomically (see {@link writeFileAtomic}). */
export async function saveCheckpoint(
  path: string,
  tensors: Record<string, TensorRecord>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Load a safetensors file; malformed contents raise CheckpointError, I/O problems the fs error. */
export async function loadCheckpoint(
  path: string,
): Promise<{ tensors: Record<string, TensorRecord>; metadata: Record<string, string> }> {
  const bytes = await readFile(path);
  return decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
