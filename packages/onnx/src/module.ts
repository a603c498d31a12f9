import { placeholder, type Tensor } from "@gradgraph/core";
import { type AnyModule, type HookHandle, writeFileAtomic } from "@gradgraph/nn";
import { encodeModel, exportGraph, type Substitute, type ToOnnxOptions } from "./export";
import { hasNativeForm, isRecurrent, recurrentOnnx } from "./recurrent";

/** How `exportOnnx` names the model's inputs and outputs and writes recurrent modules. */
export interface ExportOnnxOptions {
  /** The inputs' names, in order: `input`, `input_1`, ... by default (`input`, `h0`, `c0` for recurrent modules). */
  readonly inputNames?: readonly string[];
  /** The outputs' names, in order: `output`, `output_1`, ... by default (`output`, `h_n`, `c_n` for recurrent modules). */
  readonly outputNames?: readonly string[];
  /** Symbolic dims of inputs and outputs, as toOnnx takes them: `{ input: { 0: "batch" } }`. */
  readonly dynamicAxes?: ToOnnxOptions["dynamicAxes"];
  /**
   * RNN, LSTM and GRU modules, the exported module itself or ones inside it, as ONNX's own
   * operators (`"native"`, the default: runtimes fuse them, and they take any batch and sequence
   * length) or as the graph gradgraph builds, step by step (`"unrolled"`, exact to the graph, for
   * the sizes of the sample). An inner module called with `{ lengths }` or with an LSTM
   * projection (which ONNX's operators do not have) is written unrolled.
   */
  readonly recurrent?: "native" | "unrolled";
}

/** A forward's arguments, nested as the module takes them: LSTM's `[input, [h0, c0]]`. */
export type SampleInputs = Tensor | readonly (Tensor | SampleInputs)[];

/** The tensors of a forward's arguments or outputs, nested as modules take and return them (`[output, [hN, cN]]`), in order. */
function flatten(value: unknown): Tensor[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value as Tensor];
}

/** `value` with its tensors replaced, in order, by `replacements`. */
function rebuild(value: unknown, replacements: Tensor[]): unknown {
  return Array.isArray(value) ? value.map((item) => rebuild(item, replacements)) : replacements.shift();
}

/**
 * While `run` traces the module, each call of a recurrent module inside it, recorded as a
 * substitute: its outputs exported as ONNX's operator from its inputs, its parameters under
 * their state-dict keys (`encoder.lstm.weight_ih_l0`).
 */
function tracingRecurrentCalls<T>(module: AnyModule, run: () => T): { result: T; substitutes: Substitute[] } {
  const substitutes: Substitute[] = [];
  const handles: HookHandle[] = [];
  for (const [key, inner] of module.namedModules()) {
    if (key === "" || !hasNativeForm(inner)) continue;
    handles.push(
      inner.registerForwardHook((_module, [input, hidden, lengths], output) => {
        if (lengths !== undefined) return undefined; // ONNX's sequence_lens is not PyTorch's packing: left unrolled
        const [h0, c0] = hidden === undefined ? [] : flatten(hidden);
        substitutes.push({
          inputs: [input as Tensor, h0, c0],
          outputs: flatten(output),
          build: (b, values) => recurrentOnnx(b, inner, values, `${key}.`),
        });
        return undefined;
      }),
    );
  }
  try {
    return { result: run(), substitutes };
  } finally {
    for (const handle of handles) handle.remove();
  }
}

function defaultNames(base: string, count: number, recurrent: readonly string[] | undefined): string[] {
  if (recurrent !== undefined && count <= recurrent.length) return recurrent.slice(0, count);
  return Array.from({ length: count }, (_, i) => (i === 0 ? base : `${base}_${i}`));
}

/**
 * The ONNX model (opset 17) of `module` in eval mode, traced on inputs shaped like
 * `sampleInputs` (the forward's arguments: `[input, [h0, c0]]` for an LSTM): parameters and buffers are initializers under their state-dict names, and the
 * nodes are named after the ops and module paths that built them. With a `path` the model is also
 * written there (Node.js only). Returns the serialized ModelProto.
 */
export async function exportOnnx(
  module: AnyModule,
  sampleInputs: SampleInputs,
  path?: string,
  options: ExportOnnxOptions = {},
): Promise<Uint8Array> {
  const args: readonly unknown[] = Array.isArray(sampleInputs) ? sampleInputs : [sampleInputs];
  const samples = flatten(args);
  const recurrent = isRecurrent(module) && (options.recurrent ?? "native") === "native";
  const inputNames = options.inputNames ?? defaultNames("input", samples.length, isRecurrent(module) ? ["input", "h0", "c0"] : undefined);
  if (inputNames.length !== samples.length) throw new Error(`exportOnnx: ${samples.length} sample inputs but ${inputNames.length} input names (${inputNames.join(", ")})`);
  const slots = samples.map((sample, i) => placeholder(sample.shape, sample.dtype, inputNames[i]));
  const wasTraining = module.training;
  module.eval();
  const forward = () => flatten(module.forward(...(rebuild(args, [...slots]) as unknown[])));
  let traced: { result: Tensor[]; substitutes: Substitute[] };
  try {
    traced = (options.recurrent ?? "native") === "native" && !recurrent ? tracingRecurrentCalls(module, forward) : { result: forward(), substitutes: [] };
  } finally {
    module.train(wasTraining);
  }
  const outputs = traced.result;
  const outputNames = options.outputNames ?? defaultNames("output", outputs.length, isRecurrent(module) ? ["output", "h_n", "c_n"] : undefined);
  if (outputNames.length !== outputs.length) throw new Error(`exportOnnx: the module gives ${outputs.length} outputs but ${outputNames.length} output names (${outputNames.join(", ")})`);
  const stateNames = new Map(Object.entries(module.stateDict()).map(([key, t]) => [t, key]));
  const model = recurrent
    ? encodeModel(
        {
          inputs: slots.map((slot) => ({ name: slot.name!, meta: slot })),
          outputs: outputs.map((t, i) => ({ name: outputNames[i], meta: t })),
          dynamicAxes: options.dynamicAxes,
          build: (b, inputs) => recurrentOnnx(b, module, inputs),
        },
        "exportOnnx",
      )
    : exportGraph(outputs, { inputs: slots, outputNames, dynamicAxes: options.dynamicAxes, names: stateNames }, traced.substitutes);
  // nn's atomic write: a reader (or a crash) never sees half a model; in a page it says what to do instead.
  if (path !== undefined) await writeFileAtomic(path, model);
  return model;
}
