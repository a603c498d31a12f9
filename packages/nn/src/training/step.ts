import { type Tensor, topologicalOrder } from "@gradgraph/core";
import { Optimizer } from "../optim";
import { checkTensor, describeValue } from "../validation";

/**
 * One optimization step, `zeroGrad(); loss.backward(); step(); loss.item()`, with checks: the
 * loss must be one number and depend on some of the optimizer's parameters. As with backward(),
 * parameters the loss does not depend on get no gradient (and so no update).
 */
export function trainStep(optimizer: Optimizer<any>, loss: Tensor): number {
  if (!(optimizer instanceof Optimizer)) throw new TypeError(`trainStep: optimizer must be an Optimizer, got ${describeValue(optimizer)}`);
  checkTensor("trainStep", "loss", loss);
  if (loss.size !== 1) throw new Error(`trainStep: the loss must have one element, got shape [${loss.shape.join(", ")}]`);
  const reachable = new Set(topologicalOrder([loss], (node) => !node.requiresGrad));
  const params = optimizer.paramGroups.flatMap((g) => g.params);
  const used = params.filter((p) => reachable.has(p));
  if (used.length === 0) throw new Error(`trainStep: the loss depends on none of the ${optimizer.name} optimizer's parameters`);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  return loss.item();
}
