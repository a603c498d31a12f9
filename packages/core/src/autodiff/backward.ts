import { OpError } from "../basics/errors";
import { checkTensor, describeValue } from "../ir/args";
import { copyOf } from "../basics/dtype";
import { evaluate } from "../exec/evaluate";
import { constantNode, topologicalOrder } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { grad } from "./grad";

/**
 * PyTorch's `loss.backward()`: finds the leaves created with requiresGrad that the output
 * depends on, evaluates the output and all their gradients in one pass (so shared work is done
 * once, and reading the loss afterwards costs nothing) and adds them into each leaf's `.grad`.
 */
export function backward(output: Tensor, gradOutput?: Tensor): void {
  if (!output.requiresGrad) {
    throw new Error("backward: the output does not require grad: no leaf it depends on was created with requiresGrad (or it was built under noGrad)");
  }
  const leaves = topologicalOrder([output], (node) => !node.requiresGrad).filter((n) => n.isLeaf && n.requiresGrad);
  const values = evaluate([output, ...grad(output, leaves, gradOutput)]).slice(1);
  leaves.forEach((leaf, i) => {
    const data = copyOf(values[i]);
    const previous = leaf.grad === undefined ? undefined : evaluate([leaf.grad])[0];
    if (previous !== undefined) for (let j = 0; j < data.length; j++) data[j] += previous[j];
    leaf.grad = constantNode(data, leaf.shape, leaf.dtype);
  });
}

/** Clears `.grad` on the given tensors (what `optimizer.zeroGrad()` does for its parameters). */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  if (tensors === null || typeof tensors !== "object" || !(Symbol.iterator in tensors)) {
    throw new OpError("zeroGrad", `expected an iterable of Tensors, got ${describeValue(tensors)}`);
  }
  for (const t of tensors) {
    checkTensor("zeroGrad", "each element", t);
    t.grad = undefined;
  }
}
