import { evaluate } from "../exec/evaluate";
import { constantNode, topologicalOrder } from "../ir/graph";
import type { Tensor } from "../ir/tensor";
import { grad } from "./grad";

/**
 * PyTorch's `loss.backward()`: finds the leaves created with requiresGrad that the output
 * depends on, evaluates all their gradients in one pass (so shared work is done once) and adds
 * them into each leaf's `.grad`.
 */
export function backward(output: Tensor, gradOutput?: Tensor): void {
  if (!output.requiresGrad) {
    throw new Error("backward: the output does not require grad: no leaf it depends on was created with requiresGrad (or it was built under noGrad)");
  }
  const leaves = topologicalOrder([output], (node) => !node.requiresGrad).filter((n) => n.isLeaf && n.requiresGrad);
  const values = evaluate(grad(output, leaves, gradOutput));
  leaves.forEach((leaf, i) => {
    const data = values[i].slice();
    const previous = leaf.grad?.data();
    if (previous !== undefined) for (let j = 0; j < data.length; j++) data[j] += previous[j];
    leaf.grad = constantNode(data, leaf.shape, leaf.dtype);
  });
}

/** Clears `.grad` on the given tensors (what `optimizer.zeroGrad()` does for its parameters). */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) t.grad = undefined;
}
