// cli-progress is CommonJS: the default import is its module.exports, which works under Node's
// ESM loader, tsx and vitest alike (its named exports are not statically detectable).
import cliProgress from "cli-progress";

/** What a progress bar shows and where it writes. */
export type ProgressOptions = {
  /** Total number of steps. */
  total: number;
  /** Print nothing (also the case whenever the stream is not a TTY, e.g. CI logs or pipes). */
  quiet?: boolean;
  /** Text before the bar. Default "train". */
  label?: string;
  /** Step the run starts at (for resumed runs), so steps/s counts only this session's steps. */
  startStep?: number;
  /** Output stream; default process.stderr (stdout stays free for the program's own output). */
  stream?: ProgressStream;
};

/**
 * What the bar uses of its stream (a `process.stderr` or any `tty.WriteStream` is one), spelled out
 * so that the published types do not need @types/node: cli-progress writes text, reads `isTTY` and
 * `columns`, and moves the cursor through node:readline, which writes escape codes with a callback.
 */
export type ProgressStream = {
  /** Writes `text` (a Node stream's `write`). */
  write(text: string, callback?: (error?: Error | null) => void): unknown;
  isTTY?: boolean;
  columns?: number;
};

/** A running progress bar: report steps and losses, then stop it. */
export type ProgressReporter = {
  /** Record that `step` steps are done with the given loss; redraws at most 10 times a second. */
  update(step: number, loss: number): void;
  /** Draw the final state and release the terminal (and the bar's redraw timer). Idempotent. */
  stop(): void;
  /** False when the reporter is silent. */
  readonly active: boolean;
};

/** 4 significant digits, switching to exponent form where fixed notation would be unreadable. */
export function formatLoss(loss: number): string {
  if (!Number.isFinite(loss)) return String(loss);
  const a = Math.abs(loss);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? loss.toExponential(3) : loss.toPrecision(4);
}

/** A progress bar for a training loop, with the step, loss and rate. */
export function createProgress(opts: ProgressOptions): ProgressReporter {
  // A browser has no process.stderr, and bundlers leave cli-progress out there (package.json "browser").
  const stream = opts.stream ?? globalThis.process?.stderr;
  if (opts.quiet || !stream?.isTTY) return { update() {}, stop() {}, active: false };

  const startStep = opts.startStep ?? 0;
  const label = (opts.label ?? "train").replaceAll("{", "(").replaceAll("}", ")"); // not a format token
  const bar = new cliProgress.SingleBar({
    // cli-progress types its stream as a whole NodeJS.WritableStream but uses only ProgressStream's part.
    stream: stream as NodeJS.WritableStream,
    format: `${label} [{bar}] {value}/{total} | loss {loss} | {rate} steps/s | ETA {eta_formatted}`,
    barsize: 24,
    hideCursor: false, // a killed run must not leave the user's cursor hidden
  });
  const t0 = performance.now();
  let stopped = false;
  bar.start(opts.total, startStep, { loss: "-", rate: "-" });
  return {
    active: true,
    update(step, loss) {
      if (stopped) return;
      const seconds = (performance.now() - t0) / 1000;
      const rate = seconds > 0 ? (step - startStep) / seconds : 0;
      bar.update(step, { loss: formatLoss(loss), rate: rate >= 100 ? rate.toFixed(0) : rate.toPrecision(3) });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
