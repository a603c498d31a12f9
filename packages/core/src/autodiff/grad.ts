import { isFloat } from "../basics/dtype";
import { describeValue, errorInOp, OpError } from "../basics/errors";
import { checkFunction, checkTensor, checkTensorList } from "../ir/args";
import { formatShape, sameShape } from "../basics/shape";
import type { Attrs } from "../ir/attrs";
import { scalarNode, topologicalOrder } from "../ir/graph";
import type { Vjp } from "../ir/registry";
import { withExactScope } from "../ir/scope";
import { isNodeOf, Tensor } from "../ir/tensor";
import { add } from "../ops/add";
import { concat } from "../ops/concat";
import { expand } from "../ops/expand";
import { type SliceBackwardAttrs, sliceBackwardOp } from "../ops/sliceBackward";

/** Gradient nodes are tagged after the node they differentiate, under `backward`, so pictures can tell them apart. */
function backwardScope(node: Tensor): string {
  return node.scope === undefined ? "backward" : `backward.${node.scope}`;
}

type SliceGrad = Tensor & { readonly attrs: SliceBackwardAttrs };

function zerosOfShape(like: Tensor, dim: number, size: number): Tensor {
  const shape = [...like.shape];
  shape[dim] = size;
  return expand(scalarNode(0, like.dtype), shape);
}

/**
 * Gradients of disjoint slices of one tensor, placed side by side: one concat instead of a sum
 * of mostly-zero full-size tensors, which would cost O(L²) for the L steps of a sequence.
 */
function assembleSlices(slices: SliceGrad[]): Tensor | undefined {
  const { dim, size } = slices[0].attrs;
  const sorted = [...slices].sort((a, b) => a.attrs.start - b.attrs.start);
  const pieces: Tensor[] = [];
  let position = 0;
  for (const slice of sorted) {
    const { start } = slice.attrs;
    if (start < position) return undefined;
    if (start > position) pieces.push(zerosOfShape(slice, dim, start - position));
    const piece = slice.inputs[0];
    pieces.push(piece);
    position = start + piece.shape[dim];
  }
  if (position < size) pieces.push(zerosOfShape(sorted[0], dim, size - position));
  return concat(pieces, dim);
}

/** The total gradient of a node from its consumers' contributions. */
function sumContributions(parts: readonly Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const slicesByDim = new Map<number, SliceGrad[]>();
  const terms: Tensor[] = [];
  for (const part of parts) {
    if (isNodeOf(part, sliceBackwardOp) && part.attrs.step === 1) {
      const group = slicesByDim.get(part.attrs.dim) ?? [];
      group.push(part);
      slicesByDim.set(part.attrs.dim, group);
    } else terms.push(part);
  }
  for (const group of slicesByDim.values()) {
    const assembled = group.length > 1 ? assembleSlices(group) : undefined;
    if (assembled === undefined) terms.push(...group);
    else terms.push(assembled);
  }
  return terms.reduce((total, term) => add(total, term));
}

/**
 * The gradients `node`'s VJP gives for its inputs, built under the node's backward scope. The
 * result must hold one entry per input, each null or a Tensor of that input's shape and dtype: a
 * short list would otherwise read as zero gradients, silently. An error inside the VJP is
 * rethrown naming the op and the node's module path.
 */
export function runVjp(node: Tensor, vjp: Vjp<Attrs>, g: Tensor, needs: readonly boolean[]): readonly (Tensor | null)[] {
  let grads: unknown;
  try {
    grads = withExactScope(backwardScope(node), () => vjp(g, { inputs: node.inputs, output: node, attrs: node.attrs, needs }));
  } catch (error) {
    throw errorInOp(node.op, node.scope, "gradient (VJP)", error);
  }
  const of = `the gradient of '${node.op}'${node.scope === undefined ? "" : ` in '${node.scope}'`}`;
  const count = node.inputs.length;
  if (!Array.isArray(grads) || grads.length !== count) {
    const got = Array.isArray(grads) ? `${grads.length}` : describeValue(grads);
    throw new OpError("grad", `${of} must be a list of ${count} entries, one per input (null for none), got ${got}`);
  }
  grads.forEach((contribution: unknown, i) => {
    if (contribution === null) return;
    const input = node.inputs[i];
    if (!(contribution instanceof Tensor)) {
      throw new OpError("grad", `${of} for input ${i} must be a Tensor or null, got ${describeValue(contribution)}`);
    }
    if (!sameShape(contribution.shape, input.shape) || contribution.dtype !== input.dtype) {
      throw new OpError(
        "grad",
        `${of} for input ${i} has ${contribution.dtype} ${formatShape(contribution.shape)}, but the input is ${input.dtype} ${formatShape(input.shape)}`,
      );
    }
  });
  return grads;
}

/** A gradient `grad` returned: d(output)/d(input). */
export interface GradientTarget {
  readonly output: Tensor;
  readonly input: Tensor;
}

// Kept beside the nodes rather than on them, so nodes that are no gradient pay nothing; weak, so
// the record lives exactly as long as the gradient node does.
const gradientTargetsOf = new WeakMap<Tensor, GradientTarget[]>();

/**
 * What `grad` returned `node` as the gradient of, so pictures can label it `∂loss/∂rnn.weight_ih_l0`
 * without the user naming it. An interned node can be several gradients (two biases added to the
 * same sum have the same gradient); nodes `grad` never returned have none.
 */
export function gradientTargets(node: Tensor): readonly GradientTarget[] {
  return gradientTargetsOf.get(node) ?? [];
}

function recordGradient(gradient: Tensor, output: Tensor, input: Tensor): void {
  const targets = gradientTargetsOf.get(gradient);
  if (targets === undefined) gradientTargetsOf.set(gradient, [{ output, input }]);
  else if (!targets.some((t) => t.output === output && t.input === input)) targets.push({ output, input });
}

/**
 * Reverse-mode differentiation: d(output)/d(input) for each input, contracted with `gradOutput`
 * (ones for a scalar output). The results are lazy graphs of registered ops, so they can be
 * differentiated again. Only nodes on a path from an input to the output get gradients built.
 */
export function grad(output: Tensor, inputs: readonly Tensor[], gradOutput?: Tensor): Tensor[] {
  checkTensor("grad", "output", output);
  checkTensorList("grad", "inputs", inputs);
  inputs.forEach((input, i) => {
    // PyTorch: only tensors of floating point dtype can require gradients.
    if (!isFloat(input.dtype)) throw new OpError("grad", `only float tensors can be differentiated, input ${i} is ${input.dtype} ${formatShape(input.shape)}`);
  });
  if (gradOutput !== undefined) checkTensor("grad", "gradOutput", gradOutput);
  let seed: Tensor;
  if (gradOutput === undefined) {
    if (output.size !== 1) {
      throw new OpError("grad", `grad can be implicitly created only for scalar outputs; output has shape ${formatShape(output.shape)}, pass gradOutput`);
    }
    seed = expand(scalarNode(1, output.dtype), output.shape);
  } else {
    if (!sameShape(gradOutput.shape, output.shape) || gradOutput.dtype !== output.dtype) {
      throw new OpError(
        "grad",
        `gradOutput ${gradOutput.dtype} ${formatShape(gradOutput.shape)} must match output ${output.dtype} ${formatShape(output.shape)}`,
      );
    }
    seed = gradOutput;
  }

  const order = topologicalOrder([output]);
  const wanted = new Set(inputs);
  // A node matters if it is a wanted input or depends differentiably on one.
  const relevant = new Set<Tensor>();
  for (const node of order) {
    if (wanted.has(node)) relevant.add(node);
    else if (node.def !== undefined && node.def.vjp !== "nondifferentiable" && node.inputs.some((i) => relevant.has(i))) {
      relevant.add(node);
    }
  }

  // Contributions are collected and summed when the walk reaches their node: by then all are in.
  const contributions = new Map<Tensor, Tensor[]>([[output, [seed]]]);
  const total = (node: Tensor): Tensor | undefined => {
    const parts = contributions.get(node);
    return parts === undefined ? undefined : withExactScope(backwardScope(node), () => sumContributions(parts));
  };
  for (let n = order.length - 1; n >= 0; n--) {
    const node = order[n];
    const def = node.def;
    if (def === undefined || def.vjp === "nondifferentiable" || !relevant.has(node)) continue;
    const g = total(node);
    if (g === undefined) continue;
    const needs = node.inputs.map((i) => relevant.has(i));
    if (!needs.some(Boolean)) continue;
    const inputGrads = runVjp(node, def.vjp, g, needs);
    node.inputs.forEach((input, i) => {
      const contribution = inputGrads[i];
      if (!needs[i] || contribution === null) return;
      const parts = contributions.get(input);
      if (parts === undefined) contributions.set(input, [contribution]);
      else parts.push(contribution);
    });
  }
  return inputs.map((x) => {
    const gradient = total(x) ?? expand(scalarNode(0, x.dtype), x.shape);
    recordGradient(gradient, output, x);
    return gradient;
  });
}

/**
 * `valueAndGrad(fn)(...args)` returns `[fn(...args), [d fn/d arg for each arg]]`, all lazy: the
 * functional form for users who do not want `.grad` fields.
 */
export function valueAndGrad<Args extends Tensor[]>(fn: (...args: Args) => Tensor): (...args: Args) => [Tensor, Tensor[]] {
  checkFunction("valueAndGrad", "fn", fn);
  return (...args) => {
    const value = fn(...args);
    checkTensor("valueAndGrad", "the value fn returns", value);
    return [value, grad(value, args)];
  };
}
