import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test, vi } from "vitest";
import {
  createProgress,
  formatLoss,
  loadCheckpoint,
  lossCurveSvg,
  saveCheckpoint,
  writeFileAtomic,
  writeLossCurve,
} from "../../packages/nn/src/training";

const dir = mkdtempSync(join(tmpdir(), "gradgraph-training-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const strayTemps = (folder: string) => readdirSync(folder).filter((f) => f.endsWith(".tmp"));

// ---------------------------------------------------------------------------------------------
// atomic write

describe("writeFileAtomic / checkpoints", () => {
  test("replaces the file and leaves no temp file", async () => {
    const sub = join(dir, "basic");
    mkdirSync(sub);
    const path = join(sub, "a.bin");
    writeFileSync(path, "old contents that are longer than the new ones");
    await writeFileAtomic(path, Uint8Array.of(1, 2, 3));
    expect(Array.from(readFileSync(path))).toEqual([1, 2, 3]);
    expect(strayTemps(sub)).toEqual([]);
  });

  test("on failure the temp file is removed and the target untouched", async () => {
    const sub = join(dir, "fail");
    mkdirSync(join(sub, "target"), { recursive: true }); // renaming a file over a folder fails
    await expect(writeFileAtomic(join(sub, "target"), Uint8Array.of(1))).rejects.toThrow();
    expect(statSync(join(sub, "target")).isDirectory()).toBe(true);
    expect(strayTemps(sub)).toEqual([]);
    await expect(writeFileAtomic(join(sub, "missing-folder", "x"), Uint8Array.of(1))).rejects.toThrow(/ENOENT/);
  });

  test("saveCheckpoint takes what it saves first and the path second, as save(module, path) does", async () => {
    const path = join(dir, "order.safetensors");
    const tensors = { x: { dtype: "float32" as const, shape: [1], data: Float32Array.of(7) } };
    await expect(saveCheckpoint(path as never, tensors as never)).rejects.toThrow("saveCheckpoint: the tensors come first and the path second");
    await saveCheckpoint(tensors, path);
    expect(Array.from((await loadCheckpoint(path)).tensors.x.data)).toEqual([7]);
  });

  test("saveCheckpoint / loadCheckpoint round trip", async () => {
    const path = join(dir, "small.safetensors");
    const tensors = { w: { dtype: "float64" as const, shape: [2, 2], data: Float64Array.of(1, NaN, -0, Infinity) } };
    await saveCheckpoint(tensors, path, { epoch: "3" });
    const back = await loadCheckpoint(path);
    expect(back.metadata).toEqual({ epoch: "3" });
    expect(back.tensors.w.shape).toEqual([2, 2]);
    expect(Array.from(back.tensors.w.data)).toEqual([1, NaN, -0, Infinity]);
  });

  // A child process saves versions 1, 2, 3, ... of a 32 MB checkpoint to one path; we SIGKILL
  // it mid-save and require the path to hold exactly one complete version.
  const writer = fileURLToPath(new URL("../fixtures/safetensors/atomic-writer.ts", import.meta.url));
  const MB = 32;

  async function crashTrial(path: string, killWhen: "temp-exists" | "temp-has-data" | "random-delay") {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", writer, path, String(MB)], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));

    // Wait for the first complete save.
    const t0 = Date.now();
    while (!out.includes("saved 1\n")) {
      if (child.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`writer failed: ${err}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const folder = join(path, "..");
    if (killWhen === "random-delay") {
      await new Promise((r) => setTimeout(r, Math.random() * 80));
    } else {
      // Busy-poll (blocking on purpose, so we react within microseconds) for a save in flight.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const tmp = strayTemps(folder).filter((f) => !before.has(f));
        if (tmp.length > 0 && (killWhen === "temp-exists" || safeSize(join(folder, tmp[0])) > 0)) break;
        if (Date.now() > deadline) throw new Error("never saw a save in flight");
      }
    }
    child.kill("SIGKILL");
    await closed;
    expect(child.signalCode).toBe("SIGKILL");

    const saved = [...out.matchAll(/saved (\d+)\n/g)].map((m) => Number(m[1]));
    const lastSaved = Math.max(...saved);
    const { tensors, metadata } = await loadCheckpoint(path);
    const v = Number(metadata.version);
    // The last announced version, or the next one if its rename landed before the kill.
    expect([lastSaved, lastSaved + 1]).toContain(v);
    const w = tensors.weight.data;
    expect(w.length).toBe((MB * 1024 * 1024) / 4);
    let bad = 0;
    for (let i = 0; i < w.length; i++) if (w[i] !== v) bad++;
    expect(bad).toBe(0);
    expect(Array.from(tensors.step.data)).toEqual([v, -v, v / 3]);
    return strayTemps(folder).filter((f) => !before.has(f)).length > 0;
  }
  const before = new Set<string>();
  const safeSize = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0; // renamed away between readdir and stat
    }
  };

  test("SIGKILL mid-save leaves exactly one complete version; stray temps do not break later saves", async () => {
    const sub = join(dir, "crash");
    mkdirSync(sub);
    const path = join(sub, "ckpt.safetensors");
    const caughtMidWrite: boolean[] = [];
    for (const when of ["temp-exists", "temp-has-data", "random-delay"] as const) {
      before.clear();
      for (const f of strayTemps(sub)) before.add(f); // orphans of earlier trials
      caughtMidWrite.push(await crashTrial(path, when));
    }
    // The polled trials kill while a temp file exists: at least one must have left an orphan,
    // or this test did not exercise a kill during a write at all.
    expect(caughtMidWrite.slice(0, 2)).toContain(true);

    // A later save works and removes the orphans the killed writers left.
    await saveCheckpoint({ x: { dtype: "float32", shape: [1], data: Float32Array.of(42) } }, path, { version: "final" });
    const last = await loadCheckpoint(path);
    expect(last.metadata.version).toBe("final");
    expect(Array.from(last.tensors.x.data)).toEqual([42]);
    expect(strayTemps(sub)).toEqual([]);
  }, 120_000);

  test("a save removes the stale temps of earlier saves to the same path, and only those", async () => {
    const sub = join(dir, "stale");
    mkdirSync(sub);
    const path = join(sub, "ckpt.safetensors");
    const exited = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => exited.on("close", resolve));
    const temp = (base: string, pid: number) => `.${base}.${pid}.${"0123456789ab"}.tmp`;
    const stale = [temp("ckpt.safetensors", exited.pid!), temp("ckpt.safetensors", process.pid)]; // a dead writer; this process, not saving
    const kept = [
      temp("ckpt.safetensors", process.ppid), // a live process: perhaps a save in progress
      temp("other.safetensors", exited.pid!), // another target's
      ".ckpt.safetensors.notes.tmp", // not a temp name of ours
      "ckpt.safetensors.tmp",
    ];
    for (const name of [...stale, ...kept]) writeFileSync(join(sub, name), "partial");
    await saveCheckpoint({ x: { dtype: "float32", shape: [1], data: Float32Array.of(1) } }, path);
    expect(readdirSync(sub).sort()).toEqual([...kept, "ckpt.safetensors"].sort());
  });

  test("concurrent saves in one process do not remove each other's temps", async () => {
    const sub = join(dir, "concurrent");
    mkdirSync(sub);
    const path = join(sub, "out.bin");
    // The small writes finish, and clean up, while the 64 MB one is still writing its temp.
    const big = new Uint8Array(1 << 26).fill(1);
    await Promise.all([writeFileAtomic(path, big), ...[2, 3, 4].map((v) => writeFileAtomic(path, Uint8Array.of(v)))]);
    expect(strayTemps(sub)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// progress

class FakeTty extends Writable {
  isTTY = true;
  columns = 120;
  text = "";
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

describe("progress", () => {
  test("quiet mode prints nothing, even on a TTY", () => {
    const tty = new FakeTty();
    const spy = vi.spyOn(process.stderr, "write");
    const p = createProgress({ total: 10, quiet: true, stream: tty });
    p.update(5, 0.5);
    p.stop();
    expect(p.active).toBe(false);
    expect(tty.text).toBe("");
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  test("a non-TTY stream gets nothing", () => {
    const pipe = new FakeTty();
    pipe.isTTY = false;
    const p = createProgress({ total: 10, stream: pipe });
    p.update(5, 0.5);
    p.stop();
    expect(pipe.text).toBe("");
  });

  test("on a TTY shows label, step/total, loss, steps/s and ETA", async () => {
    const tty = new FakeTty();
    const p = createProgress({ total: 200, label: "fit", stream: tty });
    expect(p.active).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    p.update(50, 0.0123456);
    p.stop();
    p.stop(); // idempotent
    const plain = tty.text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
    expect(plain).toMatch(/fit \[[^\]]*\] 50\/200 \| loss 0\.01235 \| [0-9.]+ steps\/s \| ETA \S+/);
  });

  test("formatLoss keeps 4 significant digits", () => {
    expect(formatLoss(1.23456)).toBe("1.235");
    expect(formatLoss(0.5)).toBe("0.5000");
    expect(formatLoss(0)).toBe("0.000");
    expect(formatLoss(0.000123456)).toBe("1.235e-4");
    expect(formatLoss(123456)).toBe("1.235e+5");
    expect(formatLoss(NaN)).toBe("NaN");
    expect(formatLoss(-Infinity)).toBe("-Infinity");
  });
});

// ---------------------------------------------------------------------------------------------
// loss curve

/** The vertices of the line mark's path in an SVG rendered by vega. */
function linePoints(svg: string): [number, number][] {
  const paths = [...svg.matchAll(/<path[^>]*aria-roledescription="line mark"[^>]*\sd="([^"]*)"/g)];
  expect(paths).toHaveLength(1);
  return paths[0][1]
    .split(/[ML]/)
    .filter(Boolean)
    .map((p) => p.split(",").map(Number) as [number, number]);
}

describe("lossCurveSvg", () => {
  test("plots every loss, in order, on a linear scale", async () => {
    const svg = await lossCurveSvg([3, 2, 1.5, 1.2, 1.1], { title: "my run" });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("my run");
    const pts = linePoints(svg);
    expect(pts).toHaveLength(5);
    // x evenly spaced by step; y (pixels, downwards) linear in loss on the [1, 3] domain.
    const xs = pts.map((p) => p[0]);
    expect(xs.map((x) => x - xs[0])).toEqual([0, 1, 2, 3, 4].map((i) => (i * (xs[4] - xs[0])) / 4));
    const ys = pts.map((p) => p[1]);
    const perUnit = (ys[4] - ys[0]) / (3 - 1.1);
    [3, 2, 1.5, 1.2, 1.1].forEach((loss, i) => expect(ys[i]).toBeCloseTo(ys[0] + (3 - loss) * perUnit, 6));
  });

  test("{step, loss} points are drawn in step order; log scale; unplottable points dropped", async () => {
    const svg = await lossCurveSvg(
      [
        { step: 30, loss: 0.01 },
        { step: 10, loss: 1 },
        { step: 20, loss: 0.1 },
        { step: 40, loss: NaN },
        { step: 50, loss: 0 },
      ],
      { logScale: true },
    );
    expect(svg).toContain("2 non-plottable points omitted");
    const pts = linePoints(svg);
    expect(pts).toHaveLength(3);
    expect(pts[0][0]).toBeLessThan(pts[1][0]);
    expect(pts[1][0]).toBeLessThan(pts[2][0]);
    // Equal ratios are equal distances on a log scale.
    expect(pts[1][1] - pts[0][1]).toBeCloseTo(pts[2][1] - pts[1][1], 6);
  });

  test("writeLossCurve writes the SVG file", async () => {
    const path = join(dir, "loss.svg");
    await writeLossCurve(path, [1, 0.5, 0.25]);
    const text = readFileSync(path, "utf8");
    expect(text.startsWith("<svg")).toBe(true);
    expect(linePoints(text)).toHaveLength(3);
  });
});
