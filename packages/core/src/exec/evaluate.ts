import type { TypedArray } from "../dtype";
import { topologicalOrder } from "../ir/graph";
import { getOp, type Value } from "../ops/registry";
import { formatShape, sizeOf } from "../shape";
import type { Tensor } from "../tensor";

/** Counters that let tests (and curious users) see what evaluation did. */
export const evaluationStats = { kernelInvocations: 0 };

let anomalyDetection = false;

/**
 * Anomaly mode checks every kernel's output and throws at the first op that turns finite inputs
 * into NaN, naming the op and its module path. Off by default: it reads every value once more.
 */
export function setAnomalyDetection(enabled: boolean): void {
  anomalyDetection = enabled;
}

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
  if (node.released) return new Error(`${node} was released and its value can no longer be computed`);
  const name = node.name === undefined ? "" : ` '${node.name}'`;
  return new Error(`placeholder${name} ${formatShape(node.shape)} ${node.dtype} has no value: assign() it data or feed it to a compiled program`);
}

/**
 * Realizes `outputs`: walks only the subgraph they need (stopping at values already known), in
 * topological order without recursion, and drops each intermediate as soon as its last consumer
 * has run. The requested values are kept on their tensors until a leaf changes.
 */
export function evaluate(outputs: readonly Tensor[]): TypedArray[] {
  const known = (node: Tensor) => node.cachedValue !== undefined || node.isLeaf;
  if (outputs.every((o) => o.cachedValue !== undefined)) return outputs.map((o) => o.cachedValue!);
  const order = topologicalOrder(outputs, known);
  const remainingUses = new Map<Tensor, number>();
  for (const node of order) {
    if (known(node)) continue;
    for (const input of node.inputs) remainingUses.set(input, (remainingUses.get(input) ?? 0) + 1);
  }
  const requested = new Set(outputs);
  const values = new Map<Tensor, TypedArray>();
  for (const node of order) {
    let data = node.cachedValue;
    if (data === undefined) {
      if (node.isLeaf) throw missingValue(node);
      const inputs: Value[] = node.inputs.map((input) => ({ data: values.get(input)!, shape: input.shape, dtype: input.dtype }));
      data = getOp(node.op).kernel(inputs, node.attrs, node);
      evaluationStats.kernelInvocations++;
      if (data.length !== sizeOf(node.shape)) {
        throw new Error(`kernel '${node.op}' returned ${data.length} values for shape ${formatShape(node.shape)}`);
      }
      if (anomalyDetection && hasNaN(data) && !inputs.some((x) => hasNaN(x.data))) throw new AnomalyError(node);
      for (const input of node.inputs) {
        const uses = remainingUses.get(input)! - 1;
        remainingUses.set(input, uses);
        if (uses === 0 && !requested.has(input)) values.delete(input);
      }
    }
    values.set(node, data);
  }
  return outputs.map((output) => {
    const data = values.get(output)!;
    if (!output.isLeaf) output.cache(data);
    return data;
  });
}
