import { isFloat } from "../../basics/dtype";
import { sameShape } from "../../basics/shape";
import type { FlowNode } from "./dataflow";

/**
 * Sums of matrix products, `((P1 + P2) + P3) + ...` (the gradient of a weight that every step of
 * a sequence used): computed as one output that each product's gemm adds into, in the sum's
 * order, so the products are never stored and no add loop runs. gemm's accumulate mode gives the
 * bits of a separate product and add, so the result is the evaluator's, bit for bit.
 */
export interface SumsOfProducts {
  /** By the root of each sum: its products, in the order the sum adds them. */
  readonly products: ReadonlyMap<FlowNode, readonly FlowNode[]>;
  /** The products and inner additions of the sums: nodes that get no step of their own. */
  readonly inner: ReadonlySet<FlowNode>;
  /** Every addition of the sums, roots too: the fusion pass leaves them alone. */
  readonly additions: ReadonlySet<FlowNode>;
}

/** An op whose formula is addition, of two operands of its own shape (no broadcasting). */
function isPlainAddition(node: FlowNode): boolean {
  return node.def?.elementwise?.addition === true && isFloat(node.dtype) && node.inputs.every((x) => sameShape(x.shape, node.shape));
}

export function sumsOfProducts(nodes: readonly FlowNode[], pinned: ReadonlySet<FlowNode>): SumsOfProducts {
  const products = new Map<FlowNode, FlowNode[]>();
  const inner = new Set<FlowNode>();
  const additions = new Set<FlowNode>();
  /** Read only by `sum`, and needed as nothing else. */
  const privateTo = (x: FlowNode, sum: FlowNode) => !pinned.has(x) && x.consumers.length === 1 && x.consumers[0] === sum && x.inputs.length > 0;
  const isProduct = (x: FlowNode, sum: FlowNode) => x.def?.matrixProduct === true && x.dtype === sum.dtype && sameShape(x.shape, sum.shape) && privateTo(x, sum);
  /** The products of the sum ending at `node`, innermost first, or undefined if it is no such sum. */
  const termsOf = (node: FlowNode): FlowNode[] | undefined => {
    const terms: FlowNode[] = [];
    const chain: FlowNode[] = [];
    for (let sum: FlowNode | undefined = node; sum !== undefined; ) {
      if (!isPlainAddition(sum) || sum.inputs[0] === sum.inputs[1]) return undefined;
      const a: FlowNode = sum.inputs[0];
      const b: FlowNode = sum.inputs[1];
      // One operand is a product; the other a product too (the innermost addition) or the rest of the sum.
      const pair: [FlowNode, FlowNode] | undefined = isProduct(b, sum) ? [b, a] : isProduct(a, sum) ? [a, b] : undefined;
      if (pair === undefined) return undefined;
      const product: FlowNode = pair[0];
      const rest: FlowNode = pair[1];
      terms.push(product);
      chain.push(sum);
      if (isProduct(rest, sum)) {
        terms.push(rest);
        sum = undefined;
      } else if (rest.def?.elementwise?.addition === true && privateTo(rest, sum)) {
        sum = rest;
      } else return undefined;
    }
    for (const sum of chain.slice(1)) inner.add(sum);
    for (const sum of chain) additions.add(sum);
    return terms.reverse();
  };
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (inner.has(node) || !isPlainAddition(node)) continue;
    const terms = termsOf(node);
    if (terms === undefined) continue;
    products.set(node, terms);
    for (const product of terms) inner.add(product);
  }
  return { products, inner, additions };
}
