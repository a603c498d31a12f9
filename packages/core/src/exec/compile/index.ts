import type { DType } from "../../basics/dtype";
import { OpError } from "../../basics/errors";
import { checkShape, formatShape, sameShape, type Shape } from "../../basics/shape";
import { placeholderNode } from "../../ir/graph";
import { describeValue } from "../../ir/args";
import { Tensor } from "../../ir/tensor";
import { buildDataflow } from "./dataflow";
import { planMemory } from "./memory";
import { Program } from "./program";
import { schedule, type ScheduleOptions } from "./schedule";

export { type FeedSpec, Program, type ProgramStats } from "./program";

/**
 * What `compile` makes a program of: the inputs fed per run, the outputs, and the leaves updated in place.
 */
export interface CompileSpec {
  /** Leaves fed by every `run()` (placeholders, or constants whose values change per run). */
  readonly inputs?: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /**
   * `[leaf, newValue]` pairs: after each run, every newValue (all computed first) is written into
   * its leaf's array in place, e.g. `[w, w - lr * grad]` for an SGD step.
   */
  readonly updates?: readonly (readonly [Tensor, Tensor])[];
  /**
   * Allows sums of matrix products to be added in another order: the weight gradient of a
   * recurrent layer, a sum over its steps, becomes one large product over all of them (faster;
   * equal to the exact program within float rounding, not bit for bit). Off by default.
   */
  readonly reorderSums?: boolean;
}

/** One input of a traced `compile(fn, inputSpecs)`: the shape (and dtype, name) of its placeholder. */
export interface InputSpec {
  readonly shape: Shape;
  readonly dtype?: DType;
  readonly name?: string;
}

/**
 * Compiles a graph into a `Program` that runs again and again on new input data: merges common
 * subexpressions, folds constants, reads views (any op with a view rule) in place (a transposed
 * matrix-product operand included), fuses elementwise chains (and the reductions that
 * consume them) into single generated loops, lets steps write their block of a concatenation in
 * place, drops dead code, and plans memory so that buffers of dead values are reused.
 *
 * `compile(fn, inputSpecs)` traces `fn` on fresh placeholders of those shapes instead.
 * Leaves that are not inputs (parameters, targets) are read in place from their arrays every run,
 * so `assign()` and updates are seen. Results equal the lazy evaluator's bit for bit: no
 * arithmetic is reordered (unless `reorderSums` allows it), and fused float32 intermediates are
 * rounded as stored arrays would be.
 */
export function compile(spec: CompileSpec): Program;
export function compile(fn: (...inputs: Tensor[]) => Tensor | readonly Tensor[], inputs: readonly InputSpec[]): Program;
export function compile(
  specOrFn: CompileSpec | ((...inputs: Tensor[]) => Tensor | readonly Tensor[]),
  inputSpecs: readonly InputSpec[] = [],
): Program {
  if (typeof specOrFn === "function") {
    const inputs = inputSpecs.map((s) => placeholderNode(checkShape("compile", s.shape), s.dtype ?? "float32", s.name));
    const result = specOrFn(...inputs);
    return compile({ inputs, outputs: result instanceof Tensor ? [result] : result });
  }
  if (specOrFn === null || typeof specOrFn !== "object") {
    throw new OpError("compile", `expected { inputs?, outputs, updates?, reorderSums? } or a function and input specs, got ${describeValue(specOrFn)}`);
  }
  const { inputs = [], outputs, updates = [], reorderSums = false } = specOrFn;
  if (typeof reorderSums !== "boolean") throw new OpError("compile", `reorderSums must be true or false, got ${describeValue(reorderSums)}`);
  for (const [what, list] of [["inputs", inputs], ["outputs", outputs], ["updates", updates]] as const) {
    if (!Array.isArray(list)) throw new OpError("compile", `${what} must be an array, got ${describeValue(list)}`);
  }
  updates.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new OpError("compile", `updates[${i}] must be a [leaf, newValue] pair, got ${describeValue(pair)}`);
  });
  validate(inputs, outputs, updates);
  return lowerToProgram(inputs, outputs, updates, { reorderSums });
}

/**
 * The passes, on a checked spec. The evaluator's program cache calls this too, with inputs that
 * may be any nodes whose values it feeds (leaves, or values it already has).
 */
export function lowerToProgram(
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  updates: readonly (readonly [Tensor, Tensor])[] = [],
  options: ScheduleOptions = {},
): Program {
  const roots = [...outputs, ...updates.flat()];
  const flow = buildDataflow(roots, inputs);
  const node = (t: Tensor) => flow.nodeOf.get(t)!;
  const scheduled = schedule(
    flow,
    outputs.map(node),
    updates.map(([leaf, value]) => [node(leaf), node(value)] as const),
    options,
  );
  const keep = new Set([...scheduled.outputs, ...scheduled.updates.map((u) => u.value)].map((ref) => ref.storage));
  const plan = planMemory(scheduled.steps, keep);
  return new Program(inputs, scheduled, plan, {
    graphNodes: flow.tensorCount,
    mergedNodes: flow.mergedCount,
    foldedNodes: flow.foldedCount,
  });
}

function validate(inputs: readonly Tensor[], outputs: readonly Tensor[], updates: readonly (readonly [Tensor, Tensor])[]): void {
  const isTensor = (x: unknown, what: string) => {
    if (!(x instanceof Tensor)) throw new TypeError(`compile: ${what} must be a Tensor`);
    if (x.released) throw new Error(`compile: ${what} was released`);
  };
  inputs.forEach((x, i) => {
    isTensor(x, `inputs[${i}]`);
    if (!x.isLeaf || x.frozen) throw new Error(`compile: inputs[${i}] must be a placeholder or a (non-shared) constant leaf, got ${x.describe()}`);
  });
  if (new Set(inputs).size !== inputs.length) throw new Error("compile: an input is listed twice");
  outputs.forEach((x, i) => isTensor(x, `outputs[${i}]`));
  const targets = new Set<Tensor>();
  updates.forEach(([leaf, value], i) => {
    isTensor(leaf, `updates[${i}][0]`);
    isTensor(value, `updates[${i}][1]`);
    if (leaf.op !== "constant" || leaf.frozen || inputs.includes(leaf)) {
      throw new Error(`compile: updates[${i}] must target a constant leaf that is not an input (a parameter), got ${leaf.describe()}`);
    }
    if (!sameShape(leaf.shape, value.shape) || leaf.dtype !== value.dtype) {
      throw new OpError("compile", `updates[${i}]: the new value ${value.dtype} ${formatShape(value.shape)} must match the leaf ${leaf.dtype} ${formatShape(leaf.shape)}`);
    }
    if (targets.has(leaf)) throw new Error(`compile: updates[${i}] targets a leaf already updated`);
    targets.add(leaf);
  });
}
