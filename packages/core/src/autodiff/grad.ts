import { OpError } from "../errors";
import { scalarNode, topologicalOrder } from "../ir/graph";
import { withExactScope } from "../ir/scope";
import { add } from "../ops/add";
import { expand } from "../ops/expand";
import { getOp } from "../ops/registry";
import { formatShape, sameShape } from "../shape";
import { Tensor } from "../tensor";

/** Gradient nodes are tagged after the node they differentiate, under `backward`, so pictures can tell them apart. */
function backwardScope(node: Tensor): string {
  return node.scope === undefined ? "backward" : `backward.${node.scope}`;
}

/**
 * Reverse-mode differentiation: d(output)/d(input) for each input, contracted with `gradOutput`
 * (ones for a scalar output). The results are lazy graphs of registered ops, so they can be
 * differentiated again. Only nodes on a path from an input to the output get gradients built.
 */
export function grad(output: Tensor, inputs: readonly Tensor[], gradOutput?: Tensor): Tensor[] {
  if (!(output instanceof Tensor)) throw new TypeError("grad: output must be a Tensor");
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`grad: inputs[${i}] must be a Tensor`);
  });
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
    else if (!node.isLeaf && getOp(node.op).vjp !== "nondifferentiable" && node.inputs.some((i) => relevant.has(i))) {
      relevant.add(node);
    }
  }

  const grads = new Map<Tensor, Tensor>([[output, seed]]);
  for (let n = order.length - 1; n >= 0; n--) {
    const node = order[n];
    const g = grads.get(node);
    if (g === undefined || node.isLeaf || !relevant.has(node)) continue;
    const def = getOp(node.op);
    if (def.vjp === "nondifferentiable") continue;
    const vjp = def.vjp;
    const needs = node.inputs.map((i) => relevant.has(i));
    if (!needs.some(Boolean)) continue;
    const inputGrads = withExactScope(backwardScope(node), () => vjp(g, { inputs: node.inputs, output: node, attrs: node.attrs, needs }));
    node.inputs.forEach((input, i) => {
      const contribution = inputGrads[i];
      if (!needs[i] || contribution == null) return;
      if (!sameShape(contribution.shape, input.shape) || contribution.dtype !== input.dtype) {
        throw new OpError(
          "grad",
          `the gradient of '${node.op}' for input ${i} has ${contribution.dtype} ${formatShape(contribution.shape)}, ` +
            `but the input is ${input.dtype} ${formatShape(input.shape)}`,
        );
      }
      const previous = grads.get(input);
      grads.set(input, previous === undefined ? contribution : withExactScope(backwardScope(node), () => add(previous, contribution)));
    });
  }
  return inputs.map((x) => grads.get(x) ?? expand(scalarNode(0, x.dtype), x.shape));
}

/**
 * `valueAndGrad(fn)(...args)` returns `[fn(...args), [d fn/d arg for each arg]]`, all lazy: the
 * functional form for users who do not want `.grad` fields.
 */
export function valueAndGrad<Args extends Tensor[]>(fn: (...args: Args) => Tensor): (...args: Args) => [Tensor, Tensor[]] {
  return (...args) => {
    const value = fn(...args);
    return [value, grad(value, args)];
  };
}
