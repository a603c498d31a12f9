import type { DType } from "../../basics/dtype";
import { paramValues } from "../../basics/formula";
import { type Shape, sizeOf, stridesOf } from "../../basics/shape";
import { roundsEachStep } from "../../kernels/reduce";
import { batchOffsets, broadcastWindow, coversWhole, denseWindow, isContiguous, matrixLayout } from "../../basics/window";
import type { Attrs } from "../../ir/attrs";
import type { AnyOpDef, TensorMeta } from "../../ir/registry";
import type { Dataflow, FlowNode } from "./dataflow";
import { elementwiseFormula, type Fusion, type Group, groupNodes, isReduction } from "./fusion";
import { type SumsOfProducts, sumsOfProducts } from "./sums";
import { type Ref, refOn, rootOf, type Storage, wholeRef } from "./layout";
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
      /** Add the product into the output (which holds the sum of the products before it). */
      readonly accumulate: boolean;
    }
  | { readonly kind: "zero" }
  | {
      readonly kind: "kernel";
      /** What the kernel needs of its node (not the node, which would keep the graph alive); the scope names it in errors. */
      readonly node: TensorMeta & { readonly def: AnyOpDef; readonly attrs: Attrs; readonly scope: string | undefined };
      readonly inputs: readonly Ref[];
    };

type GemmPart = Part & { kind: "gemm" };

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
 * view ops get no step (views are windows that consumers read through: a transposed view feeding
 * a matrix product becomes gemm's transposed operand); a view is copied only for a consumer that needs dense
 * data. Steps whose value nothing needs are dropped at the end (dead-code elimination).
 */
export interface ScheduleOptions {
  /** Sums of matrix products may be computed in another order (see `mergeAlongK`); off, every bit is the evaluator's. */
  readonly reorderSums?: boolean;
}

export function schedule(
  flow: Dataflow,
  outputs: readonly FlowNode[],
  updates: readonly (readonly [FlowNode, FlowNode])[],
  options: ScheduleOptions = {},
): Schedule {
  const pinned = new Set([...outputs, ...updates.map(([, value]) => value)]);
  const sums = sumsOfProducts(flow.nodes, pinned);
  const fusion = groupNodes(flow.nodes, pinned, sums.additions);
  const scheduler = new Scheduler(fusion, sums, options);
  for (const node of flow.nodes) scheduler.visit(node);
  return scheduler.finish(outputs, updates);
}

class Scheduler {
  private readonly steps: Step[] = [];
  private readonly storages: Storage[] = [];
  private readonly refs = new Map<FlowNode, Ref>();
  private readonly denseCopies = new Map<FlowNode, Ref>();
  /** Views of distributed nodes: never realized, the loops reading them compute them. */
  private readonly pushedViews = new Set<FlowNode>();

  constructor(
    private readonly fusion: Fusion,
    private readonly sums: SumsOfProducts,
    private readonly options: ScheduleOptions,
  ) {}

  visit(node: FlowNode): void {
    if (node.kind !== "op") {
      // A broadcast constant is stored as its one element, read with zero strides.
      const broadcast = node.kind === "const" && node.value!.length !== sizeOf(node.shape);
      const storage = this.storage(node.kind, broadcast ? [] : node.shape, node.dtype, { tensor: node.tensor, value: node.value });
      this.refs.set(node, broadcast ? refOn(storage, broadcastWindow(denseWindow([]), node.shape)) : wholeRef(storage, node.shape));
      return;
    }
    const def = node.def!;
    if (this.sums.inner.has(node)) return;
    const products = this.sums.products.get(node);
    if (products !== undefined) return this.accumulateStep(node, products);
    const group = this.fusion.groupOf.get(node);
    if (group !== undefined) {
      if (group.root === node) this.loopStep(group);
      return;
    }
    if (this.fusion.distributed.has(node)) return;
    const view = def.view;
    if (view !== undefined && (this.fusion.distributed.has(node.inputs[0]) || this.pushedViews.has(node.inputs[0]))) {
      this.pushedViews.add(node);
      return;
    }
    if (view !== undefined) {
      const input = node.inputs[0];
      const through = (ref: Ref) => {
        const window = view(ref, node.attrs, node);
        return window === undefined ? undefined : refOn(ref.storage, window);
      };
      this.refs.set(node, through(this.ref(input)) ?? through(this.dense(input))!);
    } else if (def.matrixProduct) this.gemmStep(node);
    else if (def.placement !== undefined) this.placementStep(node);
    else this.kernelStep(node);
  }

  finish(outputs: readonly FlowNode[], updates: readonly (readonly [FlowNode, FlowNode])[]): Schedule {
    const updated = new Set(updates.map(([leaf]) => this.ref(leaf).storage));
    // An output or update value that lives in an updated leaf is snapshotted before the writes.
    const settled = (node: FlowNode): Ref => {
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

  private ref(node: FlowNode): Ref {
    const ref = this.refs.get(node);
    if (ref === undefined) throw new Error(`compile: internal error, no value for '${node.def?.name ?? node.kind}' #${node.index}`);
    return ref;
  }

  /** The node's value as a dense array, copying a strided view once for all who need it so. */
  private dense(node: FlowNode): Ref {
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

  private addStep(node: FlowNode, out: Storage, reads: readonly Storage[], parts: readonly Part[], inPlace: readonly Storage[] = [], ops = 1): void {
    this.steps.push({ out, reads: [...new Set(reads)], parts, inPlace, ops });
    this.refs.set(node, wholeRef(out, node.shape));
  }

  private loopStep(group: Group): void {
    const { root, loopShape } = group;
    const members = [...group.members].sort((x, y) => x.index - y.index);
    const reduction = root.def!.reduction;
    const reduced = reduction === undefined ? [] : reduction.dims(root.attrs);
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
    const termOf = new Map<FlowNode, number>();
    const addTerm = (node: FlowNode, args: readonly LoopArg[]): number => {
      const formula = elementwiseFormula(node)!;
      terms.push({ formula, params: paramValues(formula, node.attrs), args, argDTypes: node.inputs.map((x) => x.dtype), dtype: node.dtype });
      return terms.length - 1;
    };
    /** A window of a distributed node: its formula over the same window of its inputs. */
    const pushedDown = (view: FlowNode): number => {
      const chain: FlowNode[] = [];
      let base = view;
      for (; !this.fusion.distributed.has(base); base = base.inputs[0]) chain.unshift(base);
      const args = base.inputs.map((x) => {
        const ref = this.ref(x);
        let window: Ref = refOn(ref.storage, broadcastWindow(ref, base.shape));
        for (const v of chain) window = refOn(ref.storage, v.def!.view!(window, v.attrs, v)!);
        return inputFor(window);
      });
      return addTerm(base, args);
    };
    const argOf = (x: FlowNode): LoopArg => {
      let term = termOf.get(x);
      if (term === undefined && this.pushedViews.has(x)) {
        term = pushedDown(x);
        termOf.set(x, term);
      }
      return term !== undefined ? { term } : inputFor(this.ref(x));
    };
    for (const m of members) termOf.set(m, addTerm(m, m.inputs.map(argOf)));
    const result = reduction !== undefined ? argOf(root.inputs[0]) : { term: termOf.get(root)! };
    const out = this.storage("temp", root.shape, root.dtype);
    const spec: LoopSpec = {
      sizes: order.map((d) => loopShape[d]),
      inputs,
      terms,
      result,
      out: { offset: 0, strides: outStrides, dtype: root.dtype },
      reduce:
        reduction === undefined
          ? undefined
          : {
              identity: reduction.identity,
              combine: reduction.combine,
              accumulate: scatter ? { mode: "scatter", outSize: sizeOf(root.shape) } : { mode: "register", dims: reduced.length },
              roundEachStep: roundsEachStep(root.dtype, consecutive(reduced)),
            },
      paramDTypes: params.map((p) => p.dtype),
      name: [root, ...members.filter((m) => m !== root).reverse()].map((m) => m.def!.name).join("_"),
    };
    const alignedWithOut = (storage: Storage) =>
      storage.kind === "temp" &&
      storage.size === out.size &&
      storage.dtype === out.dtype &&
      inputs.every((x) => "literal" in x || params[x.param] !== storage || (x.offset === 0 && sameWalk(x.strides, outStrides, spec.sizes)));
    const inPlace = reduction !== undefined ? [] : params.filter(alignedWithOut);
    this.addStep(root, out, params, [{ kind: "loop", spec, params }], inPlace, members.length + (reduction !== undefined ? 1 : 0));
  }

  private gemmStep(node: FlowNode): void {
    const part = this.gemmPart(node);
    const out = this.storage("temp", node.shape, node.dtype);
    this.addStep(node, out, [part.a, part.b], [part]);
  }

  /** A sum of matrix products as one output that each product's gemm adds into, in the sum's order. */
  private accumulateStep(node: FlowNode, products: readonly FlowNode[]): void {
    const single = products.map((product) => this.gemmPart(product));
    const merged = this.options.reorderSums ? this.mergeAlongK(single, node.dtype) : single;
    const parts = merged.map((part, i) => ({ ...part, accumulate: i > 0 }));
    const out = this.storage("temp", node.shape, node.dtype);
    this.addStep(node, out, parts.flatMap((part) => [part.a, part.b]), parts, [], 2 * products.length - 1);
  }

  /**
   * With reordered sums allowed: Σ_i A_iᵀ·B_i where the A_i lie one after another in one array (an
   * RNN's stacked states) and so do the B_i (the per-step gate gradients, already placed in the
   * gradient of the stacked input projection) is one gemm over their concatenation along k: for
   * a recurrent weight's gradient one product of k = L·B instead of L products of k = B. B_i that
   * are temporaries of their own are first given consecutive blocks of one new array. The other
   * products stay separate parts.
   */
  private mergeAlongK(parts: readonly GemmPart[], dtype: DType): GemmPart[] {
    const aStart = (part: GemmPart) => rootOf(part.a).offset + part.aOffsets[0];
    const bStart = (part: GemmPart) => rootOf(part.b).offset + part.bOffsets[0];
    const uses = new Map<Storage, number>();
    for (const part of parts) uses.set(part.b, (uses.get(part.b) ?? 0) + 1);
    /** A B that can still be placed anywhere: a whole temporary of its own, read by one product. */
    const free = (part: GemmPart) => part.b.kind === "temp" && part.b.window === undefined && part.bOffsets[0] === 0 && uses.get(part.b) === 1;
    const mergeable = (part: GemmPart) =>
      // With k = 1 a column and a row are the same array: either layout reads as the transposed A or row-major B.
      part.outOffsets.length === 1 && (part.transA || part.k === 1) && (!part.transB || part.k === 1) && part.b.size === part.k * part.n &&
      (free(part) || part.b.window !== undefined) && rootOf(part.b).root !== rootOf(part.a).root;
    /** Whether `next` continues a run ending at `previous`: its A right after, and its B too (or both free). */
    const follows = (previous: GemmPart, next: GemmPart) =>
      aStart(next) === aStart(previous) + previous.k * previous.m &&
      (free(previous)
        ? free(next)
        : !free(next) && rootOf(next.b).root === rootOf(previous.b).root && bStart(next) === bStart(previous) + previous.k * previous.n);

    const result = parts.filter((part) => !mergeable(part));
    const byArray = new Map<Storage, GemmPart[]>();
    for (const part of parts.filter(mergeable)) {
      const { root } = rootOf(part.a);
      const group = byArray.get(root);
      if (group === undefined) byArray.set(root, [part]);
      else group.push(part);
    }
    for (const [root, group] of byArray) {
      group.sort((x, y) => aStart(x) - aStart(y));
      for (let first = 0; first < group.length; ) {
        let end = first + 1;
        while (end < group.length && follows(group[end - 1], group[end])) end++;
        const run = group.slice(first, end);
        first = end;
        if (run.length === 1) {
          result.push(run[0]);
          continue;
        }
        const k = run.reduce((total, part) => total + part.k, 0);
        let b = rootOf(run[0].b).root;
        if (free(run[0])) {
          b = this.storage("temp", [k, run[0].n], dtype);
          let offset = 0;
          for (const part of run) {
            part.b.window = { of: b, offset };
            offset += part.k * part.n;
          }
        }
        result.push({ ...run[0], k, a: root, aOffsets: [aStart(run[0])], transA: true, b, bOffsets: [bStart(run[0])], transB: false });
      }
    }
    return result;
  }

  private gemmPart(node: FlowNode): GemmPart {
    const batchShape = node.shape.slice(0, -2);
    const [x, y] = node.inputs;
    // gemm keeps a packed B while its bits are unchanged, so a recurrent weight read at every step
    // is read in place, transposed or not.
    const [a, b] = [this.matrixOperand(x), this.matrixOperand(y)];
    const rank = node.shape.length;
    const [m, n] = [node.shape[rank - 2], node.shape[rank - 1]];
    return {
      kind: "gemm",
      m,
      n,
      k: x.shape[x.shape.length - 1],
      a: a.ref.storage,
      aOffsets: batchOffsets(a.ref, batchShape),
      transA: a.transposed,
      b: b.ref.storage,
      bOffsets: batchOffsets(b.ref, batchShape),
      transB: b.transposed,
      outOffsets: Array.from({ length: sizeOf(batchShape) }, (_, i) => i * m * n),
      accumulate: false,
    };
  }

  /** How gemm reads `node`: in place, row-major or transposed, else from a dense copy. */
  private matrixOperand(node: FlowNode): { ref: Ref; transposed: boolean } {
    const ref = this.ref(node);
    const layout = matrixLayout(ref);
    if (layout === undefined) return { ref: this.dense(node), transposed: false };
    return { ref, transposed: layout === "transposed" };
  }

  /**
   * A placement: zeros (when the rule asks) and each input copied into its window of the result.
   * Without zero-filling, an input that is a temporary of its own and whose window is a contiguous
   * block of the result becomes that window: its producer writes it in place and nothing is copied
   * (the RNN's stacked outputs).
   */
  private placementStep(node: FlowNode): void {
    const { zeroFill, windows } = node.def!.placement!(node.inputs, node.attrs, node);
    const out = this.storage("temp", node.shape, node.dtype);
    const parts: Part[] = zeroFill ? [{ kind: "zero" }] : [];
    node.inputs.forEach((x, i) => {
      const ref = this.ref(x);
      const window = windows[i];
      const own = ref.storage.kind === "temp" && ref.storage.window === undefined && ref.storage !== out && coversWhole(ref, ref.storage.size);
      if (!zeroFill && own && isContiguous(window)) ref.storage.window = { of: out, offset: window.offset };
      else parts.push(copyPart(ref, out, window.offset, window.strides));
    });
    this.addStep(node, out, node.inputs.map((x) => this.ref(x).storage), parts);
  }

  /** Any other op runs its own kernel on dense inputs; its result is copied into the planned array. */
  private kernelStep(node: FlowNode): void {
    const inputs = node.inputs.map((x) => this.dense(x));
    const out = this.storage("temp", node.shape, node.dtype);
    const part: Part = { kind: "kernel", node: { def: node.def!, attrs: node.attrs, shape: node.shape, dtype: node.dtype, scope: node.scope }, inputs };
    this.addStep(node, out, inputs.map((r) => r.storage), [part]);
  }
}

/** How a loop over `loopShape` (visited in `order`) reads `ref`: a literal if it is one constant. */
function loopInput(ref: Ref, loopShape: Shape, order: readonly number[], params: Storage[]): LoopInput {
  const strides = broadcastWindow(ref, loopShape).strides;
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

function consecutive(dims: readonly number[]): boolean {
  return dims.every((d, i) => i === 0 || d === dims[i - 1] + 1);
}

function sameWalk(a: readonly number[], b: readonly number[], sizes: readonly number[]): boolean {
  return sizes.every((size, d) => size === 1 || a[d] === b[d]);
}
