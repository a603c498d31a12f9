import type { OnnxTensor, OnnxValue, Tensor } from "@gradgraph/core";
import { GRU, LSTM, RNN } from "@gradgraph/nn";
import type { GraphBuilder } from "./export";

/** A module that ONNX has an operator for: RNN, LSTM and GRU accept any batch and sequence length there. */
type RecurrentModule = RNN | LSTM | GRU;

export function isRecurrent(module: unknown): module is RecurrentModule {
  return module instanceof RNN || module instanceof LSTM || module instanceof GRU;
}

/**
 * PyTorch stacks the gate blocks of W and b as RNN [h], LSTM [i | f | g | o], GRU [r | z | n];
 * ONNX as RNN [h], LSTM [i | o | f | c], GRU [z | r | h]: the PyTorch block at each ONNX position.
 */
const onnxGateOrder = { RNN: [0], LSTM: [0, 3, 1, 2], GRU: [1, 0, 2] } as const;

/** A recurrent module ONNX's operators can express: all but an LSTM with a projection. */
export function hasNativeForm(module: unknown): module is RecurrentModule {
  return isRecurrent(module) && !(module instanceof LSTM && module.projSize > 0);
}

const operatorOf = (module: RecurrentModule) => (module instanceof LSTM ? "LSTM" : module instanceof GRU ? "GRU" : "RNN");

/**
 * The recurrent module as ONNX's own operator, one node per layer. The parameters are
 * initializers under their state-dict names; the gate reordering and the stacking of directions
 * are nodes on them (constant, so runtimes fold them once). Inputs and outputs are PyTorch's:
 * (seq, batch, feature), or batch first, or unbatched; h0 and hN (layers·directions, [batch,] hidden).
 * `keyPrefix` is the module's place in the exported one (`encoder.`), before its parameters' keys.
 */
export function recurrentOnnx(
  b: GraphBuilder,
  module: RecurrentModule,
  [input, h0, c0]: readonly (OnnxTensor | undefined)[],
  keyPrefix = "",
): OnnxValue[] {
  const operator = operatorOf(module);
  if (module instanceof LSTM && module.projSize > 0) {
    throw new Error(`exportOnnx: ONNX's LSTM has no projection (projSize ${module.projSize}); export it unrolled with { recurrent: "unrolled" }`);
  }
  const hidden = module.hiddenSize;
  const directions = module.bidirectional ? 2 : 1;
  const batched = input!.shape.length === 3;
  const parameters = module.stateDict();
  // The module's path, as its parameters are named after it (`rnn.weight_ih_l0`): the scope of its nodes.
  const path = (parameters.weight_ih_l0.name ?? "weight_ih_l0").slice(0, -"weight_ih_l0".length).replace(/\.$/, "");
  const parameterValues = new Map<string, OnnxValue>();
  const parameter = (key: string) => {
    let value = parameterValues.get(key);
    if (value === undefined) {
      const t: Tensor = parameters[key];
      parameterValues.set(key, (value = b.constant(t.data(), t.shape, t.dtype, `${keyPrefix}${key}`)));
    }
    return value;
  };
  /** The gate blocks of one direction's weight or bias in ONNX's order. */
  const reordered = (key: string) => {
    const order = onnxGateOrder[operator];
    if (order.length === 1) return parameter(key);
    const block = (k: number) => b.op("Slice", [parameter(key), b.int64s([k * hidden]), b.int64s([(k + 1) * hidden]), b.int64s([0])]);
    return b.op("Concat", order.map(block), { axis: 0 });
  };
  /** One value per direction, stacked on a new first dim. */
  const perDirection = (valueOf: (suffix: string) => OnnxValue) =>
    b.op("Concat", Array.from({ length: directions }, (_, d) => b.op("Unsqueeze", [valueOf(d === 0 ? "" : "_reverse"), b.int64s([0])])), { axis: 0 });
  /** Layer l's slice of an initial state, with the batch dim ONNX wants. */
  const initial = (state: OnnxTensor | undefined, layer: number) => {
    if (state === undefined) return null;
    const slice = b.op("Slice", [state, b.int64s([layer * directions]), b.int64s([(layer + 1) * directions]), b.int64s([0])]);
    return batched ? slice : b.op("Unsqueeze", [slice, b.int64s([1])]);
  };

  let sequence: OnnxValue = !batched ? b.op("Unsqueeze", [input!, b.int64s([1])]) : module.batchFirst ? b.op("Transpose", [input!], { perm: [1, 0, 2] }) : input!;
  const finalStates: OnnxValue[][] = [[], []];
  for (let layer = 0; layer < module.numLayers; layer++) {
    b.current = { op: operator, scope: [path, `l${layer}`].filter((part) => part !== "").join("."), index: b.nodesExported++ };
    const W = perDirection((suffix) => reordered(`weight_ih_l${layer}${suffix}`));
    const R = perDirection((suffix) => reordered(`weight_hh_l${layer}${suffix}`));
    // ONNX's bias is [Wb, Rb]: the input's and the hidden state's, as PyTorch keeps them apart.
    const B = module.bias
      ? perDirection((suffix) => b.op("Concat", [reordered(`bias_ih_l${layer}${suffix}`), reordered(`bias_hh_l${layer}${suffix}`)], { axis: 0 }))
      : null;
    const attrs = {
      hidden_size: hidden,
      direction: directions === 2 ? "bidirectional" : "forward",
      ...(module instanceof RNN ? { activations: { strings: Array(directions).fill(module.nonlinearity === "relu" ? "Relu" : "Tanh") } } : {}),
      // PyTorch's GRU applies the reset gate after the hidden state's product (n = tanh(W_in x + b_in + r * (W_hn h + b_hn))).
      ...(module instanceof GRU ? { linear_before_reset: 1 } : {}),
    };
    const inputs = [sequence, W, R, B, null, initial(h0, layer), ...(operator === "LSTM" ? [initial(c0, layer)] : [])];
    const [Y, Yh, Yc] = b.opOutputs(operator, inputs, attrs, operator === "LSTM" ? 3 : 2);
    finalStates[0].push(Yh);
    if (Yc !== undefined) finalStates[1].push(Yc);
    // Y is (seq, directions, batch, hidden); the next layer reads each step's directions side by side.
    sequence = b.op("Reshape", [b.op("Transpose", [Y], { perm: [0, 2, 1, 3] }), b.int64s([0, 0, -1])]);
  }
  b.current = undefined;
  const output = !batched ? b.op("Squeeze", [sequence, b.int64s([1])]) : module.batchFirst ? b.op("Transpose", [sequence], { perm: [1, 0, 2] }) : sequence;
  const states = finalStates
    .filter((list) => list.length > 0)
    .map((list) => {
      const all = b.op("Concat", list, { axis: 0 });
      return batched ? all : b.op("Squeeze", [all, b.int64s([1])]);
    });
  return [output, ...states];
}
