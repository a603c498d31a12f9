import { type DType } from "../../dtype";
import { sizeOf, stridesOf, type Shape } from "../../shape";
import { elementwiseExpr, type Fusion, type Group, groupNodes, isReduction } from "./fusion";
import { type Graph, type Node, viewOps } from "./graph";
import { broadcastStridesOf, isContiguous, matrixLayout, type Ref, type Storage, viewThrough, wholeRef } from "./layout";
import type { LoopArg, LoopInput, LoopSpec, LoopTerm } from "./loops";

/** One piece of work inside a step, still as data: the program binds it to arrays once. */
export type Part =
  | { readonly kind: "loop"; readonly spec: LoopSpec; readonly params: readonly Storage[] }
  | {
      readonly kind: "gemm";
      readonly m: number;
      readonly n: number;
      readonly k: number;
      readonly a: Storage;
      readonly aOffsets: readonly number[];
      readonly transA: boolean;
      readonly b: Storage;
      readonly bOffsets: readonly number[];
      readonly transB: boolean;
      readonly outOffsets: readonly number[];
    }
  | { readonly kind: "zero" }
  | { readonly kind: "kernel"; readonly node: Node; readonly inputs: readonly Ref[] };

/** Everything that writes one stored value. */
export interface Step {
  readonly out: Storage;
  readonly reads: readonly Storage[];
  readonly parts: readonly Part[];
  /** Read only at the element being written: the output may take over such an array at its last use. */
  readonly inPlace: readonly Storage[];
  /** Graph ops this step evaluates (more than one when fused). */
  readonly ops: number;
}

export interface Schedule {
  readonly steps: readonly Step[];
  readonly storages: readonly Storage[];
  /** Dense windows the outputs are returned as. */
  readonly outputs: readonly Ref[];
  /** Dense values copied into leaves after every step has run. */
  readonly updates: readonly { readonly leaf: Storage; readonly value: Ref }[];
}

/**
 * Orders the work: one step per stored value, in topological order. Fused elementwise members and
 * view ops get no step (views are windows that consumers read through: a transpose feeding a
 * matmul becomes gemm's transposed operand); a view is copied only for a consumer that needs dense
 * data. Steps whose value nothing needs are dropped at the end (dead-code elimination).
 */
export function schedule(graph: Graph, outputs: readonly Node[], updates: readonly (readonly [Node, Node])[]): Schedule {
  const fusion = groupNodes(graph.nodes, new Set([...outputs, ...updates.map(([, value]) => value)]));
  const scheduler = new Scheduler(fusion);
  for (const node of graph.nodes) scheduler.visit(node);
  return scheduler.finish(outputs, updates);
}

class Scheduler {
  private readonly steps: Step[] = [];
  private readonly storages: Storage[] = [];
  private readonly refs = new Map<Node, Ref>();
  private readonly denseCopies = new Map<Node, Ref>();
  /** Views of distributed nodes: never realized, the loops reading them compute them. */
  private readonly pushedViews = new Set<Node>();

  constructor(private readonly fusion: Fusion) {}

  visit(node: Node): void {
    if (node.kind !== "op") {
      const storage = this.storage(node.kind, node.shape, node.dtype, { tensor: node.tensor, value: node.value });
      this.refs.set(node, wholeRef(storage, node.shape));
      return;
    }
    const group = this.fusion.groupOf.get(node);
    if (group !== undefined) {
      if (group.root === node) this.loopStep(group);
      return;
    }
    if (this.fusion.distributed.has(node)) return;
    if (viewOps.has(node.op) && (this.fusion.distributed.has(node.inputs[0]) || this.pushedViews.has(node.inputs[0]))) {
      this.pushedViews.add(node);
      return;
    }
    if (viewOps.has(node.op)) {
      const input = node.inputs[0];
      const ref = viewThrough(node.op, node.attrs, node.shape, this.ref(input)) ?? viewThrough(node.op, node.attrs, node.shape, this.dense(input))!;
      this.refs.set(node, ref);
    } else if (node.op === "matmul") this.gemmStep(node);
    else if (node.op === "concat") this.concatStep(node);
    else if (node.op === "sliceBackward") this.sliceBackwardStep(node);
    else this.kernelStep(node);
  }

  finish(outputs: readonly Node[], updates: readonly (readonly [Node, Node])[]): Schedule {
    const updated = new Set(updates.map(([leaf]) => this.ref(leaf).storage));
    // An output or update value that lives in an updated leaf is snapshotted before the writes.
    const settled = (node: Node): Ref => {
      const ref = this.ref(node);
      return isContiguous(ref) && !updated.has(ref.storage) ? ref : this.copy(ref, node.dtype);
    };
    const outputRefs = outputs.map(settled);
    const writes = updates.flatMap(([leaf, value]) => {
      const target = this.ref(leaf);
      const ref = this.ref(value);
      const unchanged = ref.storage === target.storage && ref.offset === 0 && isContiguous(ref);
      return unchanged ? [] : [{ leaf: target.storage, value: settled(value) }];
    });
    const live = new Set([...outputRefs, ...writes.map((w) => w.value)].map((ref) => ref.storage));
    const kept: Step[] = [];
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const step = this.steps[i];
      if (!live.has(step.out)) continue;
      kept.push(step);
      for (const read of step.reads) live.add(read);
    }
    return { steps: kept.reverse(), storages: this.storages, outputs: outputRefs, updates: writes };
  }

  private storage(kind: Storage["kind"], shape: Shape, dtype: DType, extra: Pick<Storage, "tensor" | "value"> = {}): Storage {
    const storage: Storage = { id: this.storages.length, kind, size: sizeOf(shape), dtype, ...extra };
    this.storages.push(storage);
    return storage;
  }

  private ref(node: Node): Ref {
    const ref = this.refs.get(node);
    if (ref === undefined) throw new Error(`compile: internal error, no value for '${node.op}' #${node.index}`);
    return ref;
  }

  /** The node's value as a dense array, copying a strided view once for all who need it so. */
  private dense(node: Node): Ref {
    const ref = this.ref(node);
    if (isContiguous(ref)) return ref;
    let copy = this.denseCopies.get(node);
    if (copy === undefined) {
      copy = this.copy(ref, node.dtype);
      this.denseCopies.set(node, copy);
    }
    return copy;
  }

  private copy(ref: Ref, dtype: DType): Ref {
    const out = this.storage("temp", ref.shape, dtype);
    this.steps.push({ out, reads: [ref.storage], parts: [copyPart(ref, out, 0, stridesOf(ref.shape))], inPlace: [], ops: 1 });
    return wholeRef(out, ref.shape);
  }

  private addStep(node: Node, out: Storage, reads: readonly Storage[], parts: readonly Part[], inPlace: readonly Storage[] = [], ops = 1): void {
    this.steps.push({ out, reads: [...new Set(reads)], parts, inPlace, ops });
    this.refs.set(node, wholeRef(out, node.shape));
  }

  private loopStep(group: Group): void {
    const { root, loopShape } = group;
    const members = [...group.members].sort((x, y) => x.index - y.index);
    const reduced = isReduction(root) ? (root.attrs.dims as readonly number[]) : [];
    // Reduced dims iterate innermost (one register accumulator per output) when the input's
    // innermost varying dim is reduced; otherwise the loop follows memory order and scatters.
    const innermost = loopShape.reduce((at, size, d) => (size > 1 ? d : at), -1);
    const scatter = reduced.length > 0 && innermost >= 0 && !reduced.includes(innermost);
    const order = scatter ? [...loopShape.keys()] : [...loopShape.keys()].filter((d) => !reduced.includes(d)).concat(reduced);
    const keptStrides = stridesOf(loopShape.map((size, d) => (reduced.includes(d) ? 1 : size)));
    const outStrides = order.map((d) => (reduced.includes(d) ? 0 : keptStrides[d]));
    const inputs: LoopInput[] = [];
    const params: Storage[] = [];
    const inputOf = new Map<string, number>();
    const inputFor = (ref: Ref): LoopArg => {
      const input = loopInput(ref, loopShape, order, params);
      const key = JSON.stringify(input);
      let index = inputOf.get(key);
      if (index === undefined) {
        index = inputs.push(input) - 1;
        inputOf.set(key, index);
      }
      return { input: index };
    };
    const terms: LoopTerm[] = [];
    const termOf = new Map<Node, number>();
    const addTerm = (node: Node, args: readonly LoopArg[]): number => {
      terms.push({ expr: elementwiseExpr(node)!, args, argDTypes: node.inputs.map((x) => x.dtype), dtype: node.dtype });
      return terms.length - 1;
    };
    /** A window of a distributed node: its formula over the same window of its inputs. */
    const pushedDown = (view: Node): number => {
      const chain: Node[] = [];
      let base = view;
      for (; !this.fusion.distributed.has(base); base = base.inputs[0]) chain.unshift(base);
      const args = base.inputs.map((x) => {
        const ref = this.ref(x);
        let window: Ref = { ...ref, shape: base.shape, strides: broadcastStridesOf(ref, base.shape) };
        for (const v of chain) window = viewThrough(v.op, v.attrs, v.shape, window)!;
        return inputFor(window);
      });
      return addTerm(base, args);
    };
    const argOf = (x: Node): LoopArg => {
      let term = termOf.get(x);
      if (term === undefined && this.pushedViews.has(x)) {
        term = pushedDown(x);
        termOf.set(x, term);
      }
      return term !== undefined ? { term } : inputFor(this.ref(x));
    };
    for (const m of members) termOf.set(m, addTerm(m, m.inputs.map(argOf)));
    const result = reduced.length > 0 ? argOf(root.inputs[0]) : { term: termOf.get(root)! };
    const out = this.storage("temp", root.shape, root.dtype);
    const spec: LoopSpec = {
      sizes: order.map((d) => loopShape[d]),
      inputs,
      terms,
      result,
      out: { offset: 0, strides: outStrides, dtype: root.dtype },
      reduce:
        reduced.length === 0
          ? undefined
          : {
              kind: root.op as "sum" | "max",
              accumulate: scatter ? { mode: "scatter", outSize: sizeOf(root.shape) } : { mode: "register", dims: reduced.length },
              roundEachStep: !consecutive(reduced),
            },
      paramDTypes: params.map((p) => p.dtype),
      name: [root, ...members.filter((m) => m !== root).reverse()].map((m) => m.op).join("_"),
    };
    const alignedWithOut = (storage: Storage) =>
      storage.kind === "temp" &&
      storage.size === out.size &&
      storage.dtype === out.dtype &&
      inputs.every((x) => "literal" in x || params[x.param] !== storage || (x.offset === 0 && sameWalk(x.strides, outStrides, spec.sizes)));
    const inPlace = reduced.length > 0 ? [] : params.filter(alignedWithOut);
    this.addStep(root, out, params, [{ kind: "loop", spec, params }], inPlace, members.length + (reduced.length > 0 ? 1 : 0));
  }

  private gemmStep(node: Node): void {
    const batchShape = node.shape.slice(0, -2);
    const [x, y] = node.inputs;
    // gemm packs a transposed B more slowly than a row-major one: a B packed again and again (a
    // recurrent weight, or one broadcast over a batch) is transposed into an array once per run.
    const packs = y.consumers.filter((c) => c.op === "matmul").length * sizeOf(batchShape) / sizeOf(y.shape.slice(0, -2));
    const [a, b] = [this.matrixOperand(x, false), this.matrixOperand(y, packs > 1)];
    const rank = node.shape.length;
    const [m, n] = [node.shape[rank - 2], node.shape[rank - 1]];
    const k = x.shape[x.shape.length - 1];
    const out = this.storage("temp", node.shape, node.dtype);
    this.addStep(node, out, [a.ref.storage, b.ref.storage], [
      {
        kind: "gemm",
        m,
        n,
        k,
        a: a.ref.storage,
        aOffsets: batchOffsets(a.ref, batchShape),
        transA: a.transposed,
        b: b.ref.storage,
        bOffsets: batchOffsets(b.ref, batchShape),
        transB: b.transposed,
        outOffsets: Array.from({ length: sizeOf(batchShape) }, (_, i) => i * m * n),
      },
    ]);
  }

  /** How gemm reads `node`: in place, row-major or transposed, else (or if `rowMajor` is asked) from a dense copy. */
  private matrixOperand(node: Node, rowMajor: boolean): { ref: Ref; transposed: boolean } {
    const ref = this.ref(node);
    const layout = matrixLayout(ref);
    if (layout === undefined || (rowMajor && layout === "transposed")) return { ref: this.dense(node), transposed: false };
    return { ref, transposed: layout === "transposed" };
  }

  /**
   * When the pieces are whole blocks of the result (nothing but size-1 dims before `dim`), each
   * piece that is a temporary of its own becomes a window of the result: its producer writes it
   * in place and the concat copies nothing. Other pieces are copied into their blocks.
   */
  private concatStep(node: Node): void {
    const dim = node.attrs.dim as number;
    const out = this.storage("temp", node.shape, node.dtype);
    const strides = stridesOf(node.shape);
    const blocks = node.shape.slice(0, dim).every((d) => d === 1);
    let start = 0;
    const parts: Part[] = [];
    for (const x of node.inputs) {
      const ref = this.ref(x);
      const offset = start * strides[dim];
      const placeable = ref.storage.kind === "temp" && ref.storage.window === undefined && ref.storage !== out;
      if (blocks && placeable && ref.offset === 0 && ref.storage.size === sizeOf(x.shape) && isContiguous(ref)) {
        ref.storage.window = { of: out, offset };
      } else {
        parts.push(copyPart(ref, out, offset, strides));
      }
      start += x.shape[dim];
    }
    this.addStep(node, out, node.inputs.map((x) => this.ref(x).storage), parts);
  }

  /** The gradient of a slice: zeros, then the incoming gradient copied into the sliced window. */
  private sliceBackwardStep(node: Node): void {
    const { dim, start, step } = node.attrs as { dim: number; start: number; step: number };
    const out = this.storage("temp", node.shape, node.dtype);
    const strides = stridesOf(node.shape);
    const window = strides.map((s, d) => (d === dim ? s * step : s));
    const g = this.ref(node.inputs[0]);
    this.addStep(node, out, [g.storage], [{ kind: "zero" }, copyPart(g, out, start * strides[dim], window)]);
  }

  /** Any other op runs its own kernel on dense inputs; its result is copied into the planned array. */
  private kernelStep(node: Node): void {
    const inputs = node.inputs.map((x) => this.dense(x));
    const out = this.storage("temp", node.shape, node.dtype);
    this.addStep(node, out, inputs.map((r) => r.storage), [{ kind: "kernel", node, inputs }]);
  }
}

/** How a loop over `loopShape` (visited in `order`) reads `ref`: a literal if it is one constant. */
function loopInput(ref: Ref, loopShape: Shape, order: readonly number[], params: Storage[]): LoopInput {
  const strides = broadcastStridesOf(ref, loopShape);
  if (ref.storage.kind === "const" && strides.every((s) => s === 0)) return { literal: ref.storage.value![ref.offset] };
  let param = params.indexOf(ref.storage);
  if (param < 0) param = params.push(ref.storage) - 1;
  return { param, offset: ref.offset, strides: order.map((d) => strides[d]) };
}

/** A loop copying `src` into the window of `out` at `offset` with `strides` (over src's shape). */
function copyPart(src: Ref, out: Storage, offset: number, strides: readonly number[]): Part {
  const params: Storage[] = [];
  const order = [...src.shape.keys()];
  const spec: LoopSpec = {
    sizes: src.shape,
    inputs: [loopInput(src, src.shape, order, params)],
    terms: [],
    result: { input: 0 },
    out: { offset, strides, dtype: out.dtype },
    paramDTypes: params.map((p) => p.dtype),
    name: "copy",
  };
  return { kind: "loop", spec, params };
}

/** Offsets of each matrix of a (broadcast) batch, row-major over `batchShape`. */
function batchOffsets(ref: Ref, batchShape: Shape): number[] {
  const rank = ref.shape.length;
  const batchRef = { ...ref, shape: ref.shape.slice(0, rank - 2), strides: ref.strides.slice(0, rank - 2) };
  const strides = broadcastStridesOf(batchRef, batchShape);
  const offsets: number[] = [];
  const count = sizeOf(batchShape);
  for (let batch = 0; batch < count; batch++) {
    let offset = ref.offset;
    for (let d = batchShape.length - 1, rest = batch; d >= 0; d--) {
      offset += (rest % batchShape[d]) * strides[d];
      rest = Math.floor(rest / batchShape[d]);
    }
    offsets.push(offset);
  }
  return offsets;
}

function consecutive(dims: readonly number[]): boolean {
  return dims.every((d, i) => i === 0 || d === dims[i - 1] + 1);
}

function sameWalk(a: readonly number[], b: readonly number[], sizes: readonly number[]): boolean {
  return sizes.every((size, d) => size === 1 || a[d] === b[d]);
}
