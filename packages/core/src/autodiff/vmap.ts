/**
 * `vmap`: a function of one sample made a function of a batch, as a graph transform. fn is
 * called once, on stand-ins shaped as one sample; then every node built from them is built again
 * for the whole batch by its op's batching rule (`BatchRule` in ir/registry.ts), which moves the
 * node's dims one up for the batch in front. The result is one graph, compiled and drawn like any.
 */
import { describeValue, errorInOp, OpError } from "../basics/errors";
import { formatShape, sameShape } from "../basics/shape";
import { checkFunction, checkOptions, checkTensor } from "../ir/args";
import { type Attrs } from "../ir/attrs";
import { applyCanonical, topologicalOrder } from "../ir/graph";
import { type AnyOpDef, type BatchContext, registerOp } from "../ir/registry";
import { currentScope, withExactScope } from "../ir/scope";
import { Tensor } from "../ir/tensor";
import { moveDim, sampleOf, stackSamples, withBatch, withSampleRank } from "../ops/batching";

const where = "func.vmap";

/**
 * The stand-in for one sample of a batched argument while fn is traced. It has no value: vmap
 * builds one graph for all samples, so code in fn that reads a value (item(), data(), printing)
 * cannot be run for each of them, and says so.
 */
const sampleOp = registerOp<{ dim: number }>({
  name: "vmapSample",
  arity: 1,
  infer: ([x], { dim }) => ({ shape: x.shape.filter((_, d) => d !== dim), dtype: x.dtype }),
  kernel() {
    throw new OpError(
      where,
      "fn read the value of a batched argument while vmap traced it (item(), data(), printing): vmap builds one graph for all samples, so fn cannot depend on one sample's values",
    );
  },
  vjp: "nondifferentiable",
});

function sampleStandIn(x: Tensor, dim: number): Tensor {
  const shape = x.shape.filter((_, d) => d !== dim);
  return new Tensor(sampleOp, sampleOp.name, [x], { dim }, shape, x.dtype, currentScope(), x.requiresGrad, 0);
}

/**
 * An elementwise op for the batch: batched operands get size-1 dims after the batch up to the
 * output's rank, so that they broadcast as their samples did; the others broadcast as they are.
 */
function broadcastBatch({ inputs, batched, node, rebuild }: BatchContext<Attrs>): Tensor {
  return rebuild(inputs.map((x, i) => (batched[i] ? withSampleRank(x, node.shape.length) : x)), node.attrs);
}

/** The op applied to each sample and the results stacked: exact for any op, one node per sample. */
function loopBatch({ inputs, batched, size, node, rebuild }: BatchContext<Attrs>): Tensor {
  const samples = Array.from({ length: size }, (_, b) => rebuild(inputs.map((x, i) => (batched[i] ? sampleOf(x, b) : x)), node.attrs));
  return stackSamples(samples);
}

function batchNode(node: Tensor, def: AnyOpDef, inputs: Tensor[], batched: boolean[], size: number): Tensor {
  const ctx: BatchContext<Attrs> = { inputs, batched, size, node, rebuild: (xs, attrs) => applyCanonical(def, xs, attrs) };
  const rule = def.batch;
  let result: unknown;
  try {
    result = withExactScope(node.scope, () => {
      if (typeof rule === "function") return rule(ctx);
      return rule === undefined && def.elementwise !== undefined ? broadcastBatch(ctx) : loopBatch(ctx);
    });
  } catch (error) {
    throw errorInOp(node.op, node.scope, "batching rule (vmap)", error);
  }
  const expected = [size, ...node.shape];
  if (!(result instanceof Tensor) || !sameShape(result.shape, expected) || result.dtype !== node.dtype) {
    const got = result instanceof Tensor ? `${result.dtype} ${formatShape(result.shape)}` : describeValue(result);
    throw new OpError(where, `the batching rule of '${node.op}' must give ${node.dtype} ${formatShape(expected)}, got ${got}`);
  }
  return result;
}

/** Where each argument's batch is (null: not batched), or where each output's goes. */
export interface VmapOptions {
  /** One dim for every argument, or one per argument; null for an argument shared by all samples. Default 0. */
  readonly inDims?: number | null | readonly (number | null)[];
  /** The dim of each output that holds the batch: one for all, or one per output. Default 0. */
  readonly outDims?: number | readonly number[];
}

function dimsFor(what: string, dims: unknown, count: number, allowNull: boolean): (number | null)[] {
  const list = Array.isArray(dims) ? dims : Array<unknown>(count).fill(dims);
  if (list.length !== count) throw new OpError(where, `${what} has ${list.length} entries, but there are ${count}`);
  return list.map((d: unknown, i) => {
    if (d === null && allowNull) return null;
    if (typeof d !== "number" || !Number.isInteger(d)) {
      throw new OpError(where, `${what}[${i}] must be an integer${allowNull ? " or null" : ""}, got ${describeValue(d)}`);
    }
    return d;
  });
}

function normalizeDim(what: string, dim: number, rank: number): number {
  if (dim < -rank || dim >= rank) throw new OpError(where, `${what} is ${dim}, out of range for a tensor of ${rank} dims`);
  return dim < 0 ? dim + rank : dim;
}

/**
 * `torch.func.vmap` / `jax.vmap`: fn mapped over a batch dim of its arguments (`inDims`), its
 * outputs batched along `outDims`, equal to calling fn on each sample and stacking the results.
 * Nestable, and composable with the other transforms: `vmap(func.grad(loss), { inDims: [null, 0] })`
 * gives per-sample gradients. fn may not read values (see above); randomness it draws is shared by all samples.
 */
export function vmap(fn: (...args: Tensor[]) => Tensor | readonly Tensor[], options?: VmapOptions): (...args: Tensor[]) => Tensor | Tensor[] {
  checkFunction(where, "fn", fn);
  const { inDims = 0, outDims = 0 } = checkOptions(where, options, ["inDims", "outDims"]);
  return (...args: Tensor[]) => {
    args.forEach((a, i) => checkTensor(where, `argument ${i}`, a));
    const dims = dimsFor("inDims", inDims, args.length, true).map((d, i) =>
      d === null ? null : normalizeDim(`inDims[${i}]`, d, args[i].shape.length),
    );
    const batchedArgs = dims.flatMap((d, i) => (d === null ? [] : [i]));
    if (batchedArgs.length === 0) throw new OpError(where, "no argument is batched: inDims must give a dim for at least one argument");
    const size = args[batchedArgs[0]].shape[dims[batchedArgs[0]]!];
    for (const i of batchedArgs) {
      const n = args[i].shape[dims[i]!];
      if (n !== size) {
        throw new OpError(where, `batched arguments must have one size along their inDims: argument ${batchedArgs[0]} has ${size}, argument ${i} has ${n}`);
      }
    }
    const samples = args.map((x, i) => (dims[i] === null ? x : sampleStandIn(x, dims[i]!)));
    const result: unknown = fn(...samples);
    const single = result instanceof Tensor;
    const outputs = single ? [result] : result;
    if (!Array.isArray(outputs) || outputs.length === 0 || !outputs.every((y) => y instanceof Tensor)) {
      throw new OpError(where, `fn must return a Tensor or a non-empty array of Tensors, got ${describeValue(result)}`);
    }
    const batchedOf = new Map<Tensor, Tensor>();
    samples.forEach((s, i) => {
      if (dims[i] !== null) batchedOf.set(s, moveDim(args[i], dims[i]!, 0));
    });
    // Nodes are numbered as they are built: one older than the stand-ins cannot depend on them.
    const firstId = Math.min(...[...batchedOf.keys()].map((s) => s.id));
    for (const node of topologicalOrder(outputs, (n) => n.id < firstId || batchedOf.has(n))) {
      const def = node.def;
      if (def === undefined || batchedOf.has(node)) continue;
      const batched = node.inputs.map((x) => batchedOf.has(x));
      if (!batched.some(Boolean)) continue;
      batchedOf.set(node, batchNode(node, def, node.inputs.map((x) => batchedOf.get(x) ?? x), batched, size));
    }
    const outDimList = dimsFor("outDims", outDims, outputs.length, false) as number[];
    const mapped = (outputs as Tensor[]).map((y, k) => {
      const batchedY = batchedOf.get(y);
      const withB = withBatch(batchedY ?? y, batchedY !== undefined, size);
      return moveDim(withB, 0, normalizeDim(`outDims[${k}]`, outDimList[k], withB.shape.length));
    });
    return single ? mapped[0] : mapped;
  };
}
