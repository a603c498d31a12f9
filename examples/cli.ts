/** What the training examples share when run as scripts. */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type LossCurveOptions, writeLossCurve } from "@gradgraph/nn";

export interface ScriptOptions {
  steps?: number;
  quiet: boolean;
}

/** Calls `main` with `--steps N` and `--quiet` from the command line, if `moduleUrl` is the script node was started with. */
export async function runAsScript(moduleUrl: string, main: (options: ScriptOptions) => Promise<unknown>): Promise<void> {
  if (process.argv[1] === undefined || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  const at = process.argv.indexOf("--steps");
  const steps = at < 0 ? undefined : Number(process.argv[at + 1]);
  if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) throw new Error(`--steps expects a positive integer, got ${process.argv[at + 1]}`);
  await main({ steps, quiet: process.argv.includes("--quiet") });
}

/** Writes the loss curve SVG, creating its folder. */
export async function saveLossCurve(path: string, losses: number[], options: LossCurveOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeLossCurve(path, losses, options);
}
