/**
 * `pnpm bench`: runs every workload for gradgraph, TensorFlow.js (cpu and wasm backends) and,
 * when `python3` can import torch, PyTorch, one implementation per child process, one after the
 * other on this machine; then W3 once more per implementation in its own process for its peak
 * resident set. Prints a markdown table (paste it into bench/RESULTS.md).
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import type { Results } from "./common";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = [process.execPath, "--conditions=source", "--import", "tsx"];

interface Child {
  label: string;
  command: string[];
  env?: Record<string, string>;
}

function runChild({ label, command, env }: Child): unknown {
  process.stderr.write(`running ${label}: ${command.slice(command.length - 2).join(" ")}\n`);
  const options = { cwd: root, encoding: "utf8" as const, timeout: 20 * 60_000, maxBuffer: 1 << 24, env: { ...process.env, ...env } };
  const result = spawnSync(command[0], command.slice(1), options);
  const line = result.stdout?.split("\n").find((l) => l.startsWith("RESULT "));
  if (result.status !== 0 || line === undefined) {
    process.stderr.write(`${label} failed (exit ${result.status}):\n${result.stderr}\n${result.stdout}\n`);
    return undefined;
  }
  return JSON.parse(line.slice("RESULT ".length));
}

function findTorchPython(): string | undefined {
  for (const python of ["python3", "/usr/bin/python3"]) {
    if (spawnSync(python, ["-c", "import torch"], { encoding: "utf8" }).status === 0) return python;
  }
  return undefined;
}

const python = findTorchPython();
const implementations: Child[] = [
  { label: "gradgraph", command: [...node, "bench/gradgraph.ts"] },
  { label: "tfjs-cpu", command: [...node, "bench/tfjs.ts", "cpu"] },
  { label: "tfjs-wasm", command: [...node, "bench/tfjs.ts", "wasm"] },
];
// OpenMP threads spin while waiting; on a machine shared with other work that costs PyTorch 100×.
// OpenBLAS 0.3.21 does not know this CPU model and falls back to its SSE3 kernels unless told the core type.
const torchEnv = { OMP_WAIT_POLICY: "PASSIVE", OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? "SkylakeX" };
if (python !== undefined) implementations.push({ label: "PyTorch", command: [python, "bench/torch_bench.py"], env: torchEnv });
else process.stderr.write("PyTorch: no python3 with torch found, skipped\n");

const loadBefore = loadavg()[0];
const results = new Map(implementations.map((c) => [c.label, runChild(c) as Results | undefined]));
const memory = new Map(
  implementations.map((c) => [c.label, (runChild({ ...c, label: `${c.label} W3 memory`, command: [...c.command, "--memory"] }) as { peakRssMb: number } | undefined)?.peakRssMb]),
);

// ---------------------------------------------------------------------------------------------
// The table

const labels = ["tfjs-cpu", "tfjs-wasm", "PyTorch", "gradgraph"].filter((l) => results.has(l));
const fmt = (value: number | undefined, digits: number) => (value === undefined ? "–" : value.toFixed(digits));
/** A figure, or PyTorch's per thread count: "x (1 thread), y (2)". */
const perThreads = (values: Record<string, number> | number, key: (threads: number) => string, digits: number) =>
  typeof values === "number" ? fmt(values, digits) : `${fmt(values[key(1)], digits)} (1 thread), ${fmt(values[key(2)], digits)} (2)`;
type Row = { name: string; cell: (r: Results) => string; pytorchStyle?: (r: Results) => string };
const rows: Row[] = [
  ...[64, 256, 512, 1024].map((n): Row => ({
    name: `W1 matmul ${n}, GFLOP/s`,
    cell: (r) => (n in r.w1 ? fmt(r.w1[n], 1) : perThreads(r.w1, (t) => `${n}/${t}t`, 1)),
  })),
  { name: "W2 notebook RNN fwd+bwd, µs", cell: (r) => fmt(r.w2, 2), pytorchStyle: (r) => fmt(r.pytorchStyle?.w2, 2) },
  { name: "W3 RNN training step, ms", cell: (r) => perThreads(r.w3, (t) => `${t}t`, 2), pytorchStyle: (r) => fmt(r.pytorchStyle?.w3, 2) },
  { name: "W4 1,000 adds, µs/op (peers eager, gradgraph compiled / lazy)", cell: (r) => fmt(r.w4.compiled ?? r.w4.lazy, 4), pytorchStyle: (r) => fmt(r.w4.lazy, 4) },
];
// Peers have one form (eager); gradgraph has two columns: compile()d, and as PyTorch users write it.
const header = labels.flatMap((l) => (l === "gradgraph" ? ["gradgraph compiled", "gradgraph PyTorch-style"] : [l]));
const cells = (row: Row, l: string) => {
  const r = results.get(l);
  if (r === undefined) return l === "gradgraph" ? ["failed", "failed"] : ["failed"];
  return l === "gradgraph" ? [row.cell(r), row.pytorchStyle?.(r) ?? "–"] : [row.cell(r)];
};
const lines = [
  `| workload | ${header.join(" | ")} |`,
  `|---|${header.map(() => "---:").join("|")}|`,
  ...rows.map((row) => `| ${row.name} | ${labels.flatMap((l) => cells(row, l)).join(" | ")} |`),
  `| W3 peak RSS, MB (own process) | ${labels.flatMap((l) => (l === "gradgraph" ? [fmt(memory.get(l), 0), "–"] : [fmt(memory.get(l), 0)])).join(" | ")} |`,
];
const load = `load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`;
console.log(`Command: pnpm bench · ${new Date().toISOString().slice(0, 10)} · Node ${process.version} · ${cpus()[0].model} × ${cpus().length} · ${load}`);
console.log();
console.log(lines.join("\n"));
console.log();
for (const [label, r] of results) for (const note of r?.notes ?? []) console.log(`- ${label}: ${note}`);
