import type { TypedArray } from "../basics/dtype";
import { checkTensorList } from "../ir/args";
import { formatShape } from "../basics/shape";
import { topologicalOrder } from "../ir/graph";
import type { Value } from "../ir/registry";
import type { Tensor } from "../ir/tensor";
import { runCachedProgram } from "./programCache";
import { runKernel } from "./runKernel";
import { evaluationStats } from "./stats";

export { evaluationStats } from "./stats";

let anomalyDetection = false;

/**
 * Anomaly mode checks every kernel's output and throws at the first op that turns finite inputs
 * into NaN, naming the op and its module path. Off by default: it reads every value once more.
 */
export function setAnomalyDetection(enabled: boolean): void {
  anomalyDetection = enabled;
}

/**
 * With anomaly detection on (`setAnomalyDetection(true)`), thrown by the first op whose output holds a NaN
 * its inputs did not.
 */
export class AnomalyError extends Error {
  constructor(readonly node: Tensor) {
    super(
      `anomaly: op '${node.op}'${node.scope === undefined ? "" : ` in '${node.scope}'`} produced NaN from inputs ` +
        `without NaN (output ${formatShape(node.shape)} ${node.dtype})`,
    );
    this.name = "AnomalyError";
  }
}

function hasNaN(data: TypedArray): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== data[i]) return true;
  return false;
}

function missingValue(node: Tensor): Error {
  if (node.released) return new Error(`${node.describe()} was released and its value can no longer be computed`);
  const name = node.name === undefined ? "" : ` '${node.name}'`;
  return new Error(`placeholder${name} ${formatShape(node.shape)} ${node.dtype} has no value: assign() it data or feed it to a compiled program`);
}

/** Released nodes may not be evaluated or evaluated through (a released constant still holds its data, a derived node could be recomputed). */
function checkNotReleased(nodes: readonly Tensor[]): void {
  const released = nodes.find((node) => node.released);
  if (released !== undefined) throw new Error(`${released.describe()} was released and can no longer be evaluated or used`);
}

function countOps(order: readonly Tensor[]): number {
  let ops = 0;
  for (const node of order) if (node.def !== undefined && node.cachedValue === undefined) ops++;
  return ops;
}

/**
 * The value node `node` reads as input `i`: an earlier result, or for a leaf the version the node
 * kept when it was built (a placeholder's or a shared scalar's current value).
 */
function inputValue(node: Tensor, i: number): TypedArray {
  const input = node.inputs[i];
  if (input.def !== undefined) return input.scratchValue!;
  const data = node.leafVersions?.[i]?.data ?? input.leafValue;
  if (data === undefined) throw missingValue(input);
  return data;
}

function leafValue(leaf: Tensor): TypedArray {
  const data = leaf.leafValue;
  if (data === undefined) throw missingValue(leaf);
  return data;
}

/**
 * Realizes `outputs`: walks only the subgraph they need (stopping at leaves and values already
 * known), in topological order without recursion, and drops each intermediate as soon as its last
 * consumer has run. Values are fixed when a node is built, so the requested ones stay cached on
 * their nodes for good (but for those read from placeholders, whose slots change).
 */
export function evaluate(outputs: readonly Tensor[]): TypedArray[] {
  checkTensorList("evaluate", "outputs", outputs);
  checkNotReleased(outputs);
  if (outputs.every((o) => o.cachedValue !== undefined)) return outputs.map((o) => o.cachedValue!);
  const order = topologicalOrder(outputs, (node) => node.isLeaf || node.cachedValue !== undefined);
  checkNotReleased(order);
  if (!anomalyDetection) {
    const values = runCachedProgram(order, outputs, countOps(order));
    if (values !== undefined) {
      outputs.forEach((output, i) => output.cache(values[i]));
      return values;
    }
  }
  for (const node of order) {
    if (node.isLeaf) continue;
    node.scratchValue = node.cachedValue;
    if (node.scratchValue === undefined) for (const input of node.inputs) input.pendingUses++;
  }
  // One extra use per request keeps requested values alive to the end.
  for (const output of outputs) output.pendingUses++;
  try {
    for (const node of order) {
      const def = node.def;
      if (def === undefined || node.scratchValue !== undefined) continue;
      const inputs: Value[] = node.inputs.map((input, i) => ({ data: inputValue(node, i), shape: input.shape, dtype: input.dtype }));
      const data = runKernel(node, inputs);
      evaluationStats.kernelInvocations++;
      if (anomalyDetection && hasNaN(data) && !inputs.some((x) => hasNaN(x.data))) throw new AnomalyError(node);
      node.scratchValue = data;
      for (const input of node.inputs) if (--input.pendingUses === 0) input.scratchValue = undefined;
    }
    return outputs.map((output) => {
      if (output.isLeaf) return leafValue(output);
      const data = output.scratchValue!;
      output.cache(data);
      return data;
    });
  } finally {
    for (const node of order) {
      node.scratchValue = undefined;
      node.pendingUses = 0;
    }
  }
}
